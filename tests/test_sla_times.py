"""Due times and the next SLA event (calendar time)."""
from datetime import datetime, timedelta, timezone

from hypothesis import given, strategies as st

from chalicelib.config import PriorityTargets, Target
from chalicelib.domain.sla import DueTimes, due_times, next_event, warning_time

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
NORMAL = PriorityTargets(Target(24 * 60), Target(72 * 60))


def test_normal_request_is_due_within_24_hours():
    due = due_times(T0, NORMAL)
    assert due.first_response == T0 + timedelta(hours=24)
    assert due.resolution == T0 + timedelta(hours=72)


def test_warning_at_the_configured_share_of_the_target():
    assert warning_time(T0, T0 + timedelta(hours=24), 80) == T0 + timedelta(hours=19, minutes=12)


def test_events_come_in_time_order_and_skip_what_is_done():
    due = due_times(T0, NORMAL)
    first = next_event(T0, due, 80, first_responded=False, done=frozenset())
    assert (first.metric, first.kind) == ("first_response", "warning")
    second = next_event(T0, due, 80, first_responded=False, done=frozenset({("first_response", "warning")}))
    assert (second.metric, second.kind, second.at) == ("first_response", "breach", due.first_response)


def test_first_response_clock_stops_with_the_first_reply():
    event = next_event(T0, due_times(T0, NORMAL), 80, first_responded=True, done=frozenset())
    assert (event.metric, event.kind) == ("resolution", "warning")


def test_nothing_left_once_every_event_is_done():
    done = frozenset((m, k) for m in ("first_response", "resolution") for k in ("warning", "breach"))
    assert next_event(T0, due_times(T0, NORMAL), 80, first_responded=False, done=done) is None


@given(fr=st.integers(1, 100_000), extra=st.integers(0, 100_000), percent=st.integers(1, 99))
def test_warning_always_precedes_its_breach_and_follows_the_start(fr, extra, percent):
    due = DueTimes(T0 + timedelta(minutes=fr), T0 + timedelta(minutes=fr + extra))
    seen = set()
    while (event := next_event(T0, due, percent, first_responded=False, done=frozenset(seen))) is not None:
        if event.kind == "breach":
            assert (event.metric, "warning") in seen
        assert T0 <= event.at
        seen.add((event.metric, event.kind))
    assert len(seen) == 4
