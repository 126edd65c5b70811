"""Business-hours arithmetic: weekly opening slots in a local time zone,
holidays, slots across midnight, correct across DST changes. Pure.

Slots are local wall-clock times. Each local date's business intervals are
converted to UTC on their own, so a DST change shortens or lengthens that
day's intervals by the real elapsed time (01:00-04:00 in Berlin is two real
hours on 2026-03-29 and four on 2026-10-25).

Local times a DST change skips or repeats are read with zoneinfo's fold=0,
the offset in force before the change, for slot starts and ends alike:
- spring forward (Berlin 02:00 -> 03:00): 02:30 is read as 02:30 CET, the
  instant shown as 03:30 CEST. So 02:00-02:30 is open 03:00-03:30 CEST, and
  02:00-03:00 (02:00 CET to 03:00 CEST, the same instant) is open not at all.
- fall back (Berlin 03:00 -> 02:00): 02:00-02:30 is the first pass only (CEST).
A slot whose end maps to an instant at or before its start is empty that day.

Holidays are local dates. A slot across midnight belongs to two dates, each
part suppressed only if its own date is a holiday: Fri 22:00-02:00 with a
holiday on Saturday still opens Friday 22:00-24:00.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIDNIGHT = time(0, 0)
ONE_DAY = timedelta(days=1)
# A target that does not fit in this many days is a broken calendar (say, only
# holidays), not a reason to loop; SLA targets are hours or weeks.
_SEARCH_DAYS = 3 * 366
_RANGE = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")


@dataclass(frozen=True)
class Slot:
    weekday: int  # 0 = Monday
    start: time
    end: time  # at or before start: runs past midnight; 00:00: until midnight


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str
    slots: tuple[Slot, ...]
    holidays: frozenset[date] = frozenset()

    @classmethod
    def always(cls) -> BusinessCalendar:
        """Calendar time: open around the clock, every day."""
        return cls("UTC", tuple(Slot(day, MIDNIGHT, MIDNIGHT) for day in range(7)))

    @property
    def around_the_clock(self) -> bool:
        return not self.holidays and all(
            any(s.weekday == day and s.start == MIDNIGHT and s.end == MIDNIGHT for s in self.slots) for day in range(7)
        )


def calendar_from_config(doc: object) -> BusinessCalendar:
    """From stage settings: {"timezone", "hours": {"mon": ["09:00-17:00"], ...}, "holidays": [...]}.
    ValueError names the offending value."""
    if not isinstance(doc, dict):
        raise ValueError(f"a calendar is an object with timezone, hours and holidays, not {doc!r}")
    zone = doc.get("timezone")
    try:
        if not isinstance(zone, str):
            raise ValueError
        ZoneInfo(zone)
    except Exception:
        raise ValueError(f"timezone: {zone!r} is not a known IANA time zone") from None
    hours = doc.get("hours")
    if not isinstance(hours, dict):
        raise ValueError(f"hours: {hours!r} is not an object of weekdays ({', '.join(WEEKDAYS)})")
    slots: list[Slot] = []
    for name, ranges in hours.items():
        if name not in WEEKDAYS:
            raise ValueError(f"hours: unknown weekday {name!r} (use {', '.join(WEEKDAYS)})")
        if not isinstance(ranges, (list, tuple)):
            raise ValueError(f"hours/{name}: {ranges!r} is not a list of HH:MM-HH:MM")
        slots.extend(_slot(WEEKDAYS.index(name), text) for text in ranges)
    if not slots:
        raise ValueError("hours: no business hours on any day")
    holidays = doc.get("holidays", [])
    if not isinstance(holidays, (list, tuple)):
        raise ValueError(f"holidays: {holidays!r} is not a list of YYYY-MM-DD dates")
    return BusinessCalendar(zone, tuple(slots), frozenset(_holiday(text) for text in holidays))


def _slot(weekday: int, text: object) -> Slot:
    match = _RANGE.fullmatch(text) if isinstance(text, str) else None
    try:
        if not match:
            raise ValueError
        start_h, start_m, end_h, end_m = map(int, match.groups())
        # 24:00 ends a day; as a start it would silently mean the same day's 00:00.
        end = MIDNIGHT if (end_h, end_m) == (24, 0) else time(end_h, end_m)
        return Slot(weekday, time(start_h, start_m), end)
    except ValueError:
        raise ValueError(f"hours/{WEEKDAYS[weekday]}: {text!r} is not HH:MM-HH:MM") from None


def _holiday(text: object) -> date:
    # fullmatch first: date.fromisoformat also takes 20261225 and 2026-W52-5.
    try:
        if not (isinstance(text, str) and _DATE.fullmatch(text)):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"holidays: {text!r} is not a date (YYYY-MM-DD)") from None


def _utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at.replace(fold=0), zone).astimezone(UTC)  # fold=0: see above


@lru_cache(maxsize=4096)
def _intervals(calendar: BusinessCalendar, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """One local date's business intervals in UTC: ordered, disjoint, and
    within the date's own midnights, so no two dates ever overlap."""
    if day in calendar.holidays:
        return ()
    zone = ZoneInfo(calendar.timezone)
    opens, closes = _utc(day, MIDNIGHT, zone), _utc(day + ONE_DAY, MIDNIGHT, zone)
    yesterday = (day.weekday() - 1) % 7
    pieces = []
    for slot in calendar.slots:
        crosses = slot.end <= slot.start
        if slot.weekday == day.weekday():
            pieces.append((_utc(day, slot.start, zone), closes if crosses else _utc(day, slot.end, zone)))
        if slot.weekday == yesterday and crosses and slot.end != MIDNIGHT:
            pieces.append((opens, _utc(day, slot.end, zone)))
    # Sorted in UTC, not by wall clock: fold=0 maps a skipped 02:30 after 03:00.
    pieces = sorted((max(a, opens), min(b, closes)) for a, b in pieces)
    intervals: list[tuple[datetime, datetime]] = []
    for a, b in pieces:
        if b <= a:
            continue
        if intervals and a <= intervals[-1][1]:
            intervals[-1] = (intervals[-1][0], max(intervals[-1][1], b))
        else:
            intervals.append((a, b))
    return tuple(intervals)


def _instant(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, not {moment!r}")
    return moment.astimezone(UTC)


def _local_date(moment: datetime, calendar: BusinessCalendar) -> date:
    return moment.astimezone(ZoneInfo(calendar.timezone)).date()


def add_business_minutes(start: datetime, minutes: float, calendar: BusinessCalendar) -> datetime:
    """The UTC instant when `minutes` of business time have passed after
    `start`, counting from the next opening if `start` is outside business
    hours (so 0 minutes is `start` when open, else the next opening)."""
    start = _instant(start, "start")
    if minutes < 0:
        raise ValueError(f"minutes must not be negative, not {minutes!r}")
    if not calendar.slots:
        raise ValueError("the calendar has no business hours")
    if calendar.around_the_clock:
        return start + timedelta(minutes=minutes)
    remaining = timedelta(minutes=minutes)
    # From the day before: an instant may lie in the previous local date's
    # stretch (a slot past midnight, or a DST change at midnight).
    day = _local_date(start, calendar) - ONE_DAY
    for _ in range(_SEARCH_DAYS):
        for a, b in _intervals(calendar, day):
            if b <= start:
                continue
            a = max(a, start)
            if remaining <= b - a:
                return a + remaining
            remaining -= b - a
        day += ONE_DAY
    raise ValueError(
        f"{minutes} business minutes after {start.isoformat()} do not fit in {_SEARCH_DAYS} days "
        "(too few business hours, or only holidays)"
    )


def business_minutes_between(a: datetime, b: datetime, calendar: BusinessCalendar) -> float:
    """Business minutes in [a, b); 0 if b is not after a."""
    a, b = _instant(a, "a"), _instant(b, "b")
    if b <= a:
        return 0.0
    if calendar.around_the_clock:
        return (b - a).total_seconds() / 60
    total = timedelta()
    # One date either side, as in add_business_minutes.
    day, last = _local_date(a, calendar) - ONE_DAY, _local_date(b, calendar) + ONE_DAY
    while day <= last:
        for start, end in _intervals(calendar, day):
            overlap = min(end, b) - max(start, a)
            if overlap > timedelta():
                total += overlap
        day += ONE_DAY
    return total.total_seconds() / 60
