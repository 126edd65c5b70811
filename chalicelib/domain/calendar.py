"""Business-hours arithmetic: weekly opening slots in a local time zone,
holidays, slots across midnight, correct across DST changes.

Slots are local wall-clock times. Each local date's business intervals are
converted to UTC on their own, so a DST change shortens or lengthens that
day's intervals by the real elapsed time. A local time that does not exist
(spring forward) or exists twice (fall back) is read with zoneinfo's fold=0:
the offset in force before the change.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIDNIGHT = time(0, 0)
_SEARCH_DAYS = 3 * 366  # a calendar open less than this is unusable, not a reason to loop


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
    def always(cls) -> "BusinessCalendar":
        """Calendar time: open around the clock, every day."""
        return cls("UTC", tuple(Slot(day, MIDNIGHT, MIDNIGHT) for day in range(7)))

    @property
    def around_the_clock(self) -> bool:
        return not self.holidays and all(
            any(s.weekday == day and s.start == MIDNIGHT and s.end == MIDNIGHT for s in self.slots)
            for day in range(7))


def calendar_from_config(doc: dict) -> BusinessCalendar:
    """From stage settings: {"timezone", "hours": {"mon": ["09:00-17:00"], ...}, "holidays": [...]}."""
    zone = doc.get("timezone", "UTC")
    try:
        ZoneInfo(zone)
    except Exception:
        raise ValueError(f"unknown time zone {zone!r}") from None
    slots = []
    for name, ranges in doc.get("hours", {}).items():
        if name not in WEEKDAYS:
            raise ValueError(f"unknown weekday {name!r} (use {', '.join(WEEKDAYS)})")
        for text in ranges:
            try:
                start_text, end_text = text.split("-")
                start, end = _clock_time(start_text), _clock_time(end_text)
            except ValueError:
                raise ValueError(f"{name}: {text!r} is not HH:MM-HH:MM") from None
            slots.append(Slot(WEEKDAYS.index(name), start, end))
    if not slots:
        raise ValueError("no business hours")
    try:
        holidays = frozenset(date.fromisoformat(d) for d in doc.get("holidays", ()))
    except ValueError as error:
        raise ValueError(f"holidays: {error}") from None
    return BusinessCalendar(zone, tuple(slots), holidays)


def _clock_time(text: str) -> time:
    hours, minutes = (int(part) for part in text.strip().split(":"))
    return MIDNIGHT if (hours, minutes) == (24, 0) else time(hours, minutes)


@lru_cache(maxsize=4096)
def _intervals(calendar: BusinessCalendar, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The business intervals of one local date, in UTC, merged and ordered."""
    if day in calendar.holidays:
        return ()
    zone = ZoneInfo(calendar.timezone)
    yesterday = (day.weekday() - 1) % 7
    pieces = []
    for slot in calendar.slots:
        crosses = slot.end <= slot.start
        if slot.weekday == day.weekday():
            pieces.append((slot.start, None if crosses else slot.end))  # None: until midnight
        if slot.weekday == yesterday and crosses and slot.end != MIDNIGHT:
            pieces.append((MIDNIGHT, slot.end))
    intervals = []
    for start, end in sorted(pieces, key=lambda p: p[0]):
        a = datetime.combine(day, start, zone).astimezone(timezone.utc)
        b = (datetime.combine(day + timedelta(days=1), MIDNIGHT, zone) if end is None
             else datetime.combine(day, end, zone)).astimezone(timezone.utc)
        if b <= a:
            continue
        if intervals and a <= intervals[-1][1]:
            intervals[-1] = (intervals[-1][0], max(intervals[-1][1], b))
        else:
            intervals.append((a, b))
    return tuple(intervals)


def _local_date(moment: datetime, calendar: BusinessCalendar) -> date:
    return moment.astimezone(ZoneInfo(calendar.timezone)).date()


def add_business_minutes(start: datetime, minutes: float, calendar: BusinessCalendar) -> datetime:
    """When `minutes` of business time have passed after `start` (counting
    from the next opening if `start` is outside business hours)."""
    start = start.astimezone(timezone.utc)
    if calendar.around_the_clock:
        return start + timedelta(minutes=minutes)
    remaining = timedelta(minutes=minutes)
    day = _local_date(start, calendar) - timedelta(days=1)  # yesterday's slot may still run
    for _ in range(_SEARCH_DAYS):
        for a, b in _intervals(calendar, day):
            if b <= start:
                continue
            a = max(a, start)
            if remaining <= b - a:
                return a + remaining
            remaining -= b - a
        day += timedelta(days=1)
    raise ValueError("the calendar has no business time within three years")


def business_minutes_between(a: datetime, b: datetime, calendar: BusinessCalendar) -> float:
    """Business minutes in [a, b)."""
    a, b = a.astimezone(timezone.utc), b.astimezone(timezone.utc)
    if b <= a:
        return 0.0
    if calendar.around_the_clock:
        return (b - a).total_seconds() / 60
    total = timedelta()
    day, last = _local_date(a, calendar) - timedelta(days=1), _local_date(b, calendar)
    while day <= last:
        for start, end in _intervals(calendar, day):
            overlap = min(end, b) - max(start, a)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total.total_seconds() / 60
