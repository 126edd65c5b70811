"""SLA clock semantics (pure): start, pause in pending, resume, retarget on a
priority change, end as achieved or breached; warnings and breaches stay."""

from datetime import UTC, datetime, timedelta

from chalicelib.domain import sla
from chalicelib.domain.calendar import BusinessCalendar, calendar_from_config

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday
H = timedelta(hours=1)


EIGHTY_PERCENT = sla.Warning(percent=80)


def policy(business_resolution=False, warning=EIGHTY_PERCENT):
    def targets(fr, nr, res):
        return {
            "first_response": sla.Target(fr),
            "next_response": sla.Target(nr),
            "resolution": sla.Target(res, business_resolution),
        }

    calendar = calendar_from_config(
        {"timezone": "Europe/Berlin", "hours": {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}
    )
    return sla.Policy(
        calendar=calendar,
        warning=warning,
        targets={
            "urgent": targets(60, 120, 480),
            "high": targets(240, 480, 1440),
            "normal": targets(1440, 1440, 4320),
            "low": targets(2880, 2880, 10080),
        },
    )


P = policy()


def test_intake_starts_first_response_and_resolution():
    clocks = sla.on_intake(T0, P, "normal")
    assert set(clocks) == {"first_response", "resolution"}
    assert clocks["first_response"].due_at == T0 + 24 * H
    assert clocks["first_response"].warn_at == T0 + timedelta(hours=19, minutes=12)
    assert sla.next_event(clocks) == sla.SlaEvent("first_response", "warning", T0 + timedelta(hours=19, minutes=12))


def test_warning_can_be_a_lead_time_instead_of_a_share():
    clocks = sla.on_intake(T0, policy(warning=sla.Warning(percent=None, minutes_before=30)), "normal")
    assert clocks["first_response"].warn_at == T0 + timedelta(hours=23, minutes=30)


def test_reply_achieves_the_first_response_and_the_next_event_moves_on():
    clocks = sla.on_operator_reply(sla.on_intake(T0, P, "normal"), T0 + 2 * H, P, "normal")
    fr = clocks["first_response"]
    assert (fr.outcome, fr.elapsed) == ("achieved", 120)
    assert sla.next_event(clocks).metric == "resolution"


def test_late_reply_ends_breached_and_the_breach_is_never_erased():
    clocks = sla.on_intake(T0, P, "normal")
    clocks = sla.on_event(clocks, sla.SlaEvent("first_response", "breach", T0 + 24 * H), T0 + 24 * H)
    clocks = sla.on_operator_reply(clocks, T0 + 30 * H, P, "normal")
    fr = clocks["first_response"]
    assert (fr.outcome, fr.breached_at, fr.elapsed) == ("breached", T0 + 24 * H, 30 * 60)


def test_pending_pauses_resolution_and_a_customer_message_resumes_it():
    clocks = sla.on_operator_reply(sla.on_intake(T0, P, "normal"), T0 + 1 * H, P, "normal")
    clocks = sla.wait(clocks, T0 + 10 * H, P, "normal")
    assert clocks["resolution"].state == "paused" and sla.next_event(clocks) is None
    clocks = sla.on_customer_message(clocks, T0 + 100 * H, P, "normal")  # 90 h later
    resolution = clocks["resolution"]
    assert resolution.state == "running"
    assert resolution.due_at == T0 + 100 * H + 62 * H  # 72 h target, 10 h used before the pause
    assert clocks["next_response"].due_at == T0 + 124 * H  # the answered customer is owed a reply


def test_priority_change_recomputes_from_the_original_start():
    clocks = sla.on_priority(sla.on_intake(T0, P, "normal"), P, "urgent")
    assert clocks["first_response"].due_at == T0 + 1 * H
    assert clocks["first_response"].started_at == T0


def test_resolving_ends_every_clock_and_reopening_re_arms_resolution():
    clocks = sla.on_intake(T0, P, "normal")
    clocks = sla.end(clocks, T0 + 5 * H, P, "normal")
    assert clocks["resolution"].outcome == "achieved" and clocks["first_response"].outcome == "cancelled"
    assert sla.next_event(clocks) is None
    clocks = sla.reopen(clocks, T0 + 50 * H, P, "normal")
    assert clocks["resolution"].due_at == T0 + 50 * H + 67 * H
    assert clocks["first_response"].outcome == "cancelled"


def test_business_time_resolution_counts_only_opening_hours():
    business = policy(business_resolution=True)
    clocks = sla.on_intake(T0, business, "urgent")  # 480 business minutes = one 8 h working day
    # Tuesday 10:00 Berlin (09:00 UTC) + 8 working hours = Wednesday 10:00 Berlin.
    assert clocks["resolution"].due_at == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_clocks_survive_storage():
    clocks = sla.wait(sla.on_intake(T0, P, "high"), T0 + H, P, "high")
    assert sla.clocks_from(sla.clocks_to(clocks)) == clocks


def test_always_calendar_is_plain_time():
    assert BusinessCalendar.always() == sla.ALWAYS
