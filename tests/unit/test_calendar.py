"""Business-time arithmetic: worked examples, and properties over random
calendars (short and long slots, slots across midnight, holidays) and starts
around the 2026 DST changes of zones that shift at 02:00, at midnight and by
half an hour."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.calendar import (
    BusinessCalendar,
    Slot,
    add_business_minutes,
    business_minutes_between,
    calendar_from_config,
)

BERLIN = ZoneInfo("Europe/Berlin")
UTC = UTC
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OFFICE = calendar_from_config({"timezone": "Europe/Berlin", "hours": {d: ["09:00-17:00"] for d in WEEKDAYS[:5]}})


def local(*args, zone=BERLIN):
    return datetime(*args, tzinfo=zone)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def on(day: date, *ranges: str, zone: str = "Europe/Berlin", holidays=()) -> BusinessCalendar:
    """A calendar open only on `day`'s weekday."""
    return calendar_from_config(
        {"timezone": zone, "hours": {WEEKDAYS[day.weekday()]: list(ranges)}, "holidays": list(holidays)}
    )


# Worked examples


def test_friday_afternoon_request_is_due_monday_morning():
    due = add_business_minutes(local(2026, 11, 27, 16, 0), 120, OFFICE)
    assert due == local(2026, 11, 30, 10, 0)
    assert due.tzinfo is UTC
    assert business_minutes_between(local(2026, 11, 27, 16, 0), due, OFFICE) == 120


def test_a_holiday_pushes_it_a_day_further():
    with_holiday = BusinessCalendar(OFFICE.timezone, OFFICE.slots, frozenset({date(2026, 11, 30)}))
    assert add_business_minutes(local(2026, 11, 27, 16, 0), 120, with_holiday) == local(2026, 12, 1, 10, 0)


def test_the_start_may_be_in_any_zone():
    new_york = local(2026, 11, 27, 10, 0, zone=ZoneInfo("America/New_York"))  # 16:00 in Berlin
    assert add_business_minutes(new_york, 120, OFFICE) == local(2026, 11, 30, 10, 0)


def test_outside_hours_counting_starts_at_the_next_opening():
    assert add_business_minutes(local(2026, 11, 28, 12, 0), 30, OFFICE) == local(2026, 11, 30, 9, 30)


def test_zero_minutes_is_now_when_open_else_the_next_opening():
    assert add_business_minutes(local(2026, 11, 27, 12, 0), 0, OFFICE) == local(2026, 11, 27, 12, 0)
    assert add_business_minutes(local(2026, 11, 27, 9, 0), 0, OFFICE) == local(2026, 11, 27, 9, 0)
    # Intervals are half-open: at 17:00 the office is closed.
    assert add_business_minutes(local(2026, 11, 27, 17, 0), 0, OFFICE) == local(2026, 11, 30, 9, 0)
    assert add_business_minutes(local(2026, 11, 28, 12, 0), 0, OFFICE) == local(2026, 11, 30, 9, 0)


def test_a_slot_across_midnight_belongs_to_two_dates():
    plain = calendar_from_config({"timezone": "Europe/Berlin", "hours": {"fri": ["22:00-02:00"]}})
    assert add_business_minutes(local(2026, 11, 27, 21, 0), 150, plain) == local(2026, 11, 28, 0, 30)
    assert business_minutes_between(local(2026, 11, 27, 23, 0), local(2026, 11, 28, 3, 0), plain) == 180
    # A start inside the after-midnight part counts from there.
    assert add_business_minutes(local(2026, 11, 28, 1, 0), 30, plain) == local(2026, 11, 28, 1, 30)
    assert add_business_minutes(local(2026, 11, 28, 1, 0), 90, plain) == local(2026, 12, 4, 22, 30)


def test_each_part_of_a_slot_across_midnight_answers_to_its_own_date():
    saturday_off = calendar_from_config(
        {"timezone": "Europe/Berlin", "hours": {"fri": ["22:00-02:00"]}, "holidays": ["2026-11-28"]}
    )
    assert add_business_minutes(local(2026, 11, 27, 21, 0), 90, saturday_off) == local(2026, 11, 27, 23, 30)
    assert add_business_minutes(local(2026, 11, 27, 21, 0), 150, saturday_off) == local(2026, 12, 4, 22, 30)
    friday_off = calendar_from_config(
        {"timezone": "Europe/Berlin", "hours": {"fri": ["22:00-02:00"]}, "holidays": ["2026-11-27"]}
    )
    assert add_business_minutes(local(2026, 11, 27, 21, 0), 90, friday_off) == local(2026, 11, 28, 1, 30)
    assert business_minutes_between(local(2026, 11, 27), local(2026, 11, 29), friday_off) == 120


def test_midnight_and_24_00_end_a_day():
    for text in ("22:00-00:00", "22:00-24:00"):
        cal = on(date(2026, 11, 27), text)
        assert business_minutes_between(local(2026, 11, 27), local(2026, 11, 29), cal) == 120
    whole_day = on(date(2026, 11, 27), "00:00-24:00")
    assert business_minutes_between(local(2026, 11, 26), local(2026, 11, 29), whole_day) == 1440


def test_around_the_clock_is_plain_time():
    start = utc(2026, 3, 29, 0, 30)
    assert add_business_minutes(start, 1000, BusinessCalendar.always()) == start + timedelta(minutes=1000)
    assert business_minutes_between(start, start + timedelta(days=3), BusinessCalendar.always()) == 3 * 1440


@pytest.mark.parametrize(
    "zone,day,real_minutes",
    [
        ("Europe/Berlin", date(2026, 3, 29), 120),  # spring forward: 01:00-04:00 local is two real hours
        ("Europe/Berlin", date(2026, 10, 25), 240),  # fall back: four real hours
        ("America/New_York", date(2026, 3, 8), 120),
        ("America/New_York", date(2026, 11, 1), 240),
    ],
)
def test_dst_changes_count_real_elapsed_time(zone, day, real_minutes):
    calendar = on(day, "01:00-04:00", zone=zone)
    start = datetime.combine(day, time(0, 0), ZoneInfo(zone))
    assert business_minutes_between(start, start + timedelta(hours=12), calendar) == real_minutes
    assert add_business_minutes(start, real_minutes, calendar) == datetime.combine(day, time(4, 0), ZoneInfo(zone))
    # One more minute is next week's first.
    next_week = datetime.combine(day + timedelta(weeks=1), time(1, 1), ZoneInfo(zone))
    assert add_business_minutes(start, real_minutes + 1, calendar) == next_week


def test_dst_changes_in_new_york_to_the_minute():
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT; 90 minutes after 01:00 EST is 03:30 EDT.
    spring = on(date(2026, 3, 8), "01:00-04:00", zone="America/New_York")
    assert add_business_minutes(utc(2026, 3, 8, 5), 90, spring) == utc(2026, 3, 8, 7, 30)
    # 2026-11-01: 02:00 EDT falls back to 01:00 EST; 90 minutes after 01:00 EDT is 01:30 EST.
    autumn = on(date(2026, 11, 1), "01:00-04:00", zone="America/New_York")
    assert add_business_minutes(utc(2026, 11, 1, 4), 90, autumn) == utc(2026, 11, 1, 6, 30)


def test_skipped_and_repeated_local_times_read_with_fold_0():
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)  # Berlin: 02:00-03:00 skipped / repeated
    week = (utc(2026, 3, 28), utc(2026, 3, 30))
    # 02:00 CET is 01:00 UTC, which is 03:00 CEST: half an hour from then.
    assert add_business_minutes(week[0], 0, on(spring, "02:00-02:30")) == utc(2026, 3, 29, 1, 0)
    assert business_minutes_between(*week, on(spring, "02:00-02:30")) == 30
    # 02:00 CET and 03:00 CEST are the same instant: nothing open.
    assert business_minutes_between(*week, on(spring, "02:00-03:00")) == 0
    # Sorted by instant, not by wall clock (02:30 CET comes after 03:00 CEST).
    assert business_minutes_between(*week, on(spring, "02:30-02:45", "03:00-03:10")) == 25
    # Falling back, a repeated time is its first pass (CEST).
    autumn_week = (utc(2026, 10, 24), utc(2026, 10, 26))
    assert add_business_minutes(autumn_week[0], 30, on(autumn, "02:00-02:30")) == utc(2026, 10, 25, 0, 30)
    assert business_minutes_between(*autumn_week, on(autumn, "02:30-03:00")) == 90  # 02:30 CEST to 03:00 CET


def test_a_half_hour_dst_change_and_one_at_midnight():
    # Lord Howe falls back half an hour at 02:00 (2026-04-05): 01:00-03:00 is 150 real minutes.
    lord_howe = on(date(2026, 4, 5), "01:00-03:00", zone="Australia/Lord_Howe")
    assert business_minutes_between(utc(2026, 4, 3), utc(2026, 4, 6), lord_howe) == 150
    # Santiago springs forward at midnight (2026-09-06): Sat 22:00 to Sun 02:00 is three real hours.
    santiago = calendar_from_config({"timezone": "America/Santiago", "hours": {"sat": ["22:00-02:00"]}})
    assert business_minutes_between(utc(2026, 9, 5), utc(2026, 9, 7), santiago) == 180


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_minutes(datetime(2026, 11, 27, 12), 30, OFFICE)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_minutes_between(local(2026, 11, 27, 12), datetime(2026, 11, 28), OFFICE)
    with pytest.raises(ValueError, match="negative"):
        add_business_minutes(local(2026, 11, 27, 12), -1, OFFICE)
    assert business_minutes_between(local(2026, 11, 27, 12), local(2026, 11, 27, 11), OFFICE) == 0


def test_a_calendar_with_no_time_at_all_fails_loudly():
    with pytest.raises(ValueError, match="no business hours"):
        add_business_minutes(utc(2026, 1, 1), 60, BusinessCalendar("UTC", ()))
    closed = BusinessCalendar(
        "UTC", (Slot(0, time(9), time(17)),), frozenset(date(2026, 1, 5) + timedelta(weeks=w) for w in range(200))
    )
    with pytest.raises(ValueError, match="do not fit"):
        add_business_minutes(utc(2026, 1, 1), 60, closed)


def test_large_targets_land_exactly():
    for offset in range(100):
        start = local(2026, 11, 2, 8, 0) + timedelta(minutes=offset)
        due = add_business_minutes(start, 10_000, OFFICE)
        assert business_minutes_between(start, due, OFFICE) == 10_000


@pytest.mark.parametrize(
    "doc,named",
    [
        ({"timezone": "Mars/Olympus", "hours": {"mon": ["09:00-17:00"]}}, "'Mars/Olympus'"),
        ({"hours": {"mon": ["09:00-17:00"]}}, "timezone: None"),
        ({"timezone": "UTC", "hours": ["09:00-17:00"]}, "hours: ['09:00-17:00']"),
        ({"timezone": "UTC", "hours": {"monday": ["09:00-17:00"]}}, "'monday'"),
        ({"timezone": "UTC", "hours": {"mon": "09:00-17:00"}}, "hours/mon: '09:00-17:00' is not a list"),
        ({"timezone": "UTC", "hours": {"mon": ["9-5"]}}, "hours/mon: '9-5' is not HH:MM-HH:MM"),
        ({"timezone": "UTC", "hours": {"mon": ["09:00-17:60"]}}, "'09:00-17:60'"),
        ({"timezone": "UTC", "hours": {"mon": ["24:00-02:00"]}}, "'24:00-02:00'"),
        ({"timezone": "UTC", "hours": {"mon": ["09:00-24:30"]}}, "'09:00-24:30'"),
        ({"timezone": "UTC", "hours": {"mon": [900]}}, "hours/mon: 900"),
        ({"timezone": "UTC", "hours": {"mon": []}}, "no business hours"),
        (
            {"timezone": "UTC", "hours": {"mon": ["09:00-17:00"]}, "holidays": "2026-12-25"},
            "'2026-12-25' is not a list",
        ),
        ({"timezone": "UTC", "hours": {"mon": ["09:00-17:00"]}, "holidays": ["2026-02-30"]}, "'2026-02-30'"),
        ({"timezone": "UTC", "hours": {"mon": ["09:00-17:00"]}, "holidays": ["20261225"]}, "'20261225'"),
    ],
)
def test_config_errors_name_the_bad_value(doc, named):
    with pytest.raises(ValueError) as error:
        calendar_from_config(doc)
    assert named in str(error.value)


def test_config_reads_slots_and_holidays():
    cal = calendar_from_config(
        {"timezone": "Europe/Berlin", "hours": {"fri": ["09:00-17:00", "22:00-02:00"]}, "holidays": ["2026-12-25"]}
    )
    assert cal == BusinessCalendar(
        "Europe/Berlin", (Slot(4, time(9), time(17)), Slot(4, time(22), time(2))), frozenset({date(2026, 12, 25)})
    )


# Properties

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago", "Asia/Kolkata", "UTC"]
# 2026 days (from 1 January) of the DST changes in those zones, and two ordinary ones.
CHANGES = [66, 87, 93, 248, 275, 297, 304]
AROUND = sorted({d + k for d in [*CHANGES, 140, 200] for k in (-2, -1, 0, 1)})
NEW_YEAR = date(2026, 1, 1)

# A quarter of an hour to a whole day (an end equal to the start), many across midnight.
slots = st.builds(
    lambda day, start, quarters: Slot(
        day, time(start // 4, start % 4 * 15), time((start + quarters) % 96 // 4, (start + quarters) % 4 * 15)
    ),
    st.integers(0, 6),
    st.integers(0, 95),
    st.integers(1, 96),
)
calendars = st.builds(
    BusinessCalendar,
    st.sampled_from(ZONES),
    st.lists(slots, min_size=1, max_size=4).map(tuple),
    st.frozensets(st.sampled_from(AROUND).map(lambda d: NEW_YEAR + timedelta(days=d)), max_size=6),
)
# Around the changes, to the minute, written in any of the zones.
starts = st.builds(
    lambda day, minute, zone: (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day, minutes=minute)).astimezone(
        ZoneInfo(zone)
    ),
    st.sampled_from(AROUND),
    st.integers(0, 1439),
    st.sampled_from(ZONES),
)


def budget(calendar: BusinessCalendar, amount: int) -> int:
    """Scale a drawn 0..6000 down to what surely fits in three years: 40
    weeks of the longest slot (a few weeks may go to holidays or DST)."""

    def length(slot):
        minutes = (slot.end.hour * 60 + slot.end.minute) - (slot.start.hour * 60 + slot.start.minute)
        return minutes if minutes > 0 else minutes + 1440

    return amount * min(6000, 40 * max(length(s) for s in calendar.slots)) // 6000


amounts = st.integers(0, 6000)


PROPERTY = settings(max_examples=200, deadline=None)
LIGHTER = settings(max_examples=100, deadline=None)  # checks of the counting itself


@PROPERTY
@given(calendars, starts, amounts)
def test_the_due_instant_is_exactly_that_much_business_time_later(calendar, start, amount):
    amount = budget(calendar, amount)
    due = add_business_minutes(start, amount, calendar)
    assert due.tzinfo is UTC and due >= start
    assert business_minutes_between(start, due, calendar) == pytest.approx(amount, abs=1e-6)


@PROPERTY
@given(calendars, starts, amounts, amounts)
def test_more_time_is_never_earlier_and_adding_is_additive(calendar, start, a, b):
    a, b = budget(calendar, a) // 2, budget(calendar, b) // 2
    first = add_business_minutes(start, a, calendar)
    assert first <= add_business_minutes(start, a + b, calendar)
    # Counting on from a due instant continues seamlessly, for b > 0: zero
    # minutes from a closing instant is the next opening, by definition.
    if b > 0:
        assert add_business_minutes(first, b, calendar) == add_business_minutes(start, a + b, calendar)


@PROPERTY
@given(calendars, starts, amounts)
def test_a_due_instant_falls_inside_or_at_the_end_of_business_time(calendar, start, amount):
    amount = budget(calendar, amount)
    due = add_business_minutes(start, amount, calendar)
    # Every boundary here falls on a whole minute, so a due instant inside or
    # at the end of an interval has a whole open minute before it.
    if amount > 0:
        assert business_minutes_between(due - timedelta(minutes=1), due, calendar) == pytest.approx(1)
    else:  # now if open, else the next opening, with nothing open in between
        assert business_minutes_between(due, due + timedelta(minutes=1), calendar) == pytest.approx(1)
        assert business_minutes_between(start, due, calendar) == 0


@LIGHTER
@given(calendars, starts, st.integers(0, 5000), st.integers(0, 5000))
def test_business_time_adds_up_over_consecutive_stretches(calendar, start, x, y):
    start = start.astimezone(UTC)  # aware arithmetic is wall-clock arithmetic in the start's zone
    middle, end = start + timedelta(minutes=x), start + timedelta(minutes=x + y)
    whole = business_minutes_between(start, end, calendar)
    assert whole == pytest.approx(
        business_minutes_between(start, middle, calendar) + business_minutes_between(middle, end, calendar), abs=1e-6
    )
    assert 0 <= whole <= x + y


@LIGHTER
@given(st.sampled_from(ZONES), starts, st.integers(0, 6000))
def test_a_calendar_open_all_day_every_day_is_plain_time_through_dst(zone, start, amount):
    # Two slots a day, so the general path runs rather than the around-the-clock shortcut.
    halves = tuple(Slot(d, t, e) for d in range(7) for t, e in ((time(0), time(12)), (time(12), time(0))))
    calendar = BusinessCalendar(zone, halves)
    assert not calendar.around_the_clock
    start = start.astimezone(UTC)  # aware arithmetic is wall-clock arithmetic in the start's zone
    assert add_business_minutes(start, amount, calendar) == start + timedelta(minutes=amount)
    assert business_minutes_between(start, start + timedelta(minutes=amount), calendar) == amount
