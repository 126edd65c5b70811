"""Business-time arithmetic: worked examples, and properties over random
calendars (slots across midnight, holidays, weekends) and starts around the
2026 DST changes."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from chalicelib.domain.calendar import (BusinessCalendar, Slot, add_business_minutes, business_minutes_between,
                                        calendar_from_config)

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = calendar_from_config({"timezone": "Europe/Berlin",
                               "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}})


def local(*args, zone=BERLIN):
    return datetime(*args, tzinfo=zone)


def test_friday_afternoon_request_is_due_monday_morning():
    assert add_business_minutes(local(2026, 11, 27, 16, 0), 120, OFFICE) == local(2026, 11, 30, 10, 0)


def test_a_holiday_pushes_it_a_day_further():
    with_holiday = BusinessCalendar(OFFICE.timezone, OFFICE.slots, frozenset({date(2026, 11, 30)}))
    assert add_business_minutes(local(2026, 11, 27, 16, 0), 120, with_holiday) == local(2026, 12, 1, 10, 0)


def test_outside_hours_counting_starts_at_the_next_opening():
    assert add_business_minutes(local(2026, 11, 28, 12, 0), 30, OFFICE) == local(2026, 11, 30, 9, 30)
    assert add_business_minutes(local(2026, 11, 28, 12, 0), 0, OFFICE) == local(2026, 11, 30, 9, 0)


def test_a_slot_across_midnight_belongs_to_two_dates():
    night = calendar_from_config({"timezone": "Europe/Berlin", "hours": {"fri": ["22:00-02:00"]},
                                  "holidays": ["2026-11-28"]})  # the Saturday part is a holiday
    assert add_business_minutes(local(2026, 11, 27, 21, 0), 90, night) == local(2026, 11, 27, 23, 30)
    assert add_business_minutes(local(2026, 11, 27, 21, 0), 150, night) == local(2026, 12, 4, 22, 30)
    plain = calendar_from_config({"timezone": "Europe/Berlin", "hours": {"fri": ["22:00-02:00"]}})
    assert add_business_minutes(local(2026, 11, 27, 21, 0), 150, plain) == local(2026, 11, 28, 0, 30)
    assert business_minutes_between(local(2026, 11, 27, 23, 0), local(2026, 11, 28, 3, 0), plain) == 180


def test_around_the_clock_is_plain_time():
    start = datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc)
    assert add_business_minutes(start, 1000, BusinessCalendar.always()) == start + timedelta(minutes=1000)


@pytest.mark.parametrize("zone,day,real_minutes", [
    ("Europe/Berlin", date(2026, 3, 29), 120),  # spring forward: 01:00-04:00 local is two real hours
    ("Europe/Berlin", date(2026, 10, 25), 240),  # fall back: four real hours
    ("America/New_York", date(2026, 3, 8), 120),
    ("America/New_York", date(2026, 11, 1), 240),
])
def test_dst_changes_count_real_elapsed_time(zone, day, real_minutes):
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
    calendar = calendar_from_config({"timezone": zone, "hours": {weekday: ["01:00-04:00"]}})
    start = datetime.combine(day, time(0, 0), ZoneInfo(zone))
    assert business_minutes_between(start, start + timedelta(hours=12), calendar) == real_minutes


def test_a_calendar_with_no_time_at_all_fails_loudly():
    closed = BusinessCalendar("UTC", (Slot(0, time(9), time(17)),), frozenset(
        date(2026, 1, 5) + timedelta(weeks=w) for w in range(200)))
    with pytest.raises(ValueError):
        add_business_minutes(datetime(2026, 1, 1, tzinfo=timezone.utc), 60, closed)
    with pytest.raises(ValueError, match="not HH:MM-HH:MM"):
        calendar_from_config({"timezone": "UTC", "hours": {"mon": ["9-5"]}})


# Properties

times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
# At least an hour each, so 6,000 minutes fit well inside the three-year search.
slots = st.builds(lambda day, start, hours: Slot(day, start, time((start.hour + hours) % 24, start.minute)),
                  st.integers(0, 6), times, st.integers(1, 12))
calendars = st.builds(
    BusinessCalendar, st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]),
    st.lists(slots, min_size=1, max_size=4).map(tuple),
    st.frozensets(st.dates(date(2026, 3, 1), date(2026, 11, 30)), max_size=5))
# Around the 2026 DST changes and ordinary days, to the minute.
starts = st.builds(lambda day, minute: datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(days=day, minutes=minute),
                   st.sampled_from([86, 87, 88, 297, 298, 299, 303, 304, 305, 140, 200]), st.integers(0, 1439))
minutes = st.integers(0, 6000)


@settings(max_examples=150, deadline=None)
@given(calendars, starts, minutes)
def test_the_due_instant_is_exactly_that_much_business_time_later(calendar, start, amount):
    due = add_business_minutes(start, amount, calendar)
    assert due >= start
    assert business_minutes_between(start, due, calendar) == pytest.approx(amount, abs=1e-6)


@settings(max_examples=150, deadline=None)
@given(calendars, starts, st.integers(0, 3000), st.integers(1, 3000))
def test_more_time_is_never_earlier_and_adding_is_additive(calendar, start, a, b):
    first = add_business_minutes(start, a, calendar)
    assert first <= add_business_minutes(start, a + b, calendar)
    # Counting on from a due instant continues seamlessly (b > 0: zero minutes
    # from a closing instant means the next opening, by definition).
    assert add_business_minutes(first, b, calendar) == add_business_minutes(start, a + b, calendar)


@settings(max_examples=150, deadline=None)
@given(calendars, starts, st.integers(1, 6000))
def test_a_due_instant_falls_inside_business_time(calendar, start, amount):
    due = add_business_minutes(start, amount, calendar)
    assert business_minutes_between(due - timedelta(minutes=1), due, calendar) > 0
