"""The SLA engine end to end through the dev clock: warn, breach, escalate;
a reply stops it, pending pauses it, a priority change moves it; and the
reconciler repairs what Scheduler lost."""

import json
from datetime import timedelta

from chalicelib.adapters.aws import client as aws_client
from tests.calls import advance, schedules
from tests.calls import view as ticket


def actions(moved):
    return [(f["payload"].get("metric"), f["result"]["action"]) for f in moved["fired"]]


def test_warning_then_breach_notifies_and_escalates(client, operator, new_ticket, settings, mailbox):
    created = new_ticket()
    assert actions(advance(client, 19 * 60 + 12)) == [("first_response", "sla_warning")]
    assert actions(advance(client, 4 * 60 + 48)) == [("first_response", "sla_breach")]
    view = ticket(client, operator, created["id"])
    assert view["priority"] == "high"  # the policy's escalation
    assert view["sla"]["priority_basis"] == "normal"  # targets unchanged: no cascade
    fr = view["sla"]["metrics"]["first_response"]
    assert (fr["warned_at"], fr["breached_at"]) == ("2026-11-25T04:12:00Z", "2026-11-25T09:00:00Z")
    assert [e["event"] for e in view["events"]] == ["created", "sla_warning", "sla_breach"]
    assert view["events"][-1]["data"]["changes"] == {"priority": ["normal", "high"]}  # escalated with the breach
    notices = [m for m in mailbox() if m["to"] == [settings.team_lead_address]]
    assert [n["subject"].split(":")[0] for n in notices] == ["SLA warning", "SLA breached"]
    assert f"/admin/index.html#/tickets/{created['id']}" in notices[1]["text"]
    assert all(
        n["headers"]["Auto-Submitted"] == "auto-replied" for n in notices
    )  # as the contract marks automatic mail
    assert schedules(settings) == [f"cl-{created['id']}-res-warn"]  # exactly the next event's


def test_warning_goes_to_the_assignee_when_there_is_one(client, operator, new_ticket, mailbox):
    created = new_ticket()
    client.http.request(
        "PATCH", f"/tickets/{created['id']}", headers=operator(), body=json.dumps({"assignee": "kim@shop.example"})
    )
    advance(client, 20 * 60)
    assert mailbox()[-1]["to"] == ["kim@shop.example"]


def test_a_reply_stops_the_first_response_clock(client, operator, new_ticket, settings):
    created = new_ticket()
    client.http.post(f"/tickets/{created['id']}/replies", headers=operator(), body=json.dumps({"body": "On it."}))
    assert schedules(settings) == [f"cl-{created['id']}-res-warn"]
    moved = advance(client, 25 * 60)
    assert actions(moved) == []
    view = ticket(client, operator, created["id"])
    assert view["sla"]["metrics"]["first_response"]["state"] == "achieved"


def test_pending_pauses_and_the_customer_resumes(client, operator, new_ticket, settings, services):
    created = new_ticket()
    client.http.post(f"/tickets/{created['id']}/replies", headers=operator(), body=json.dumps({"body": "Which size?"}))
    advance(client, 60)
    client.http.request(
        "PATCH", f"/tickets/{created['id']}", headers=operator(), body=json.dumps({"status": "pending"})
    )
    # No SLA runs while we wait on the customer: only their reminder, 72 hours on.
    assert schedules(settings) == [f"cl-{created['id']}-remind"]
    assert actions(advance(client, 2 * 24 * 60)) == []
    paused = ticket(client, operator, created["id"])["sla"]["metrics"]["resolution"]
    assert (paused["state"], paused["used_minutes_before_pause"]) == ("paused", 60)

    # The customer answers (SES inbound lands here): the clocks run again.
    services.tickets.customer_wrote(created["id"], "Size M, please.", message_id="<m1@example.com>")
    view = ticket(client, operator, created["id"])
    assert view["status"] == "open"
    assert view["sla"]["metrics"]["resolution"]["state"] == "running"
    assert view["sla"]["metrics"]["next_response"]["state"] == "running"
    assert schedules(settings) == [f"cl-{created['id']}-nr-warn"]


def test_priority_change_moves_the_schedule(client, operator, new_ticket, settings):
    created = new_ticket()
    client.http.request(
        "PATCH", f"/tickets/{created['id']}", headers=operator(), body=json.dumps({"priority": "urgent"})
    )
    [name] = schedules(settings)
    schedule = aws_client("scheduler").get_schedule(GroupName=settings.scheduler_group, Name=name)
    assert schedule["ScheduleExpression"] == "at(2026-11-24T09:48:00)"  # 80 % of 1 h from intake
    assert actions(advance(client, 61)) == [("first_response", "sla_warning"), ("first_response", "sla_breach")]


def test_resolving_deletes_the_sla_schedule_and_reopening_re_arms(client, operator, new_ticket, settings):
    created = new_ticket()
    client.http.request(
        "PATCH", f"/tickets/{created['id']}", headers=operator(), body=json.dumps({"status": "resolved"})
    )
    assert schedules(settings) == [f"cl-{created['id']}-followup"]  # one timed action at a time: then the close
    client.http.request("PATCH", f"/tickets/{created['id']}", headers=operator(), body=json.dumps({"status": "open"}))
    assert schedules(settings) == [f"cl-{created['id']}-res-warn"]  # reopening cancels the follow-up


def test_the_reconciler_repairs_a_lost_schedule(client, new_ticket, settings, services, clock):
    created = new_ticket()
    [name] = schedules(settings)
    aws_client("scheduler").delete_schedule(GroupName=settings.scheduler_group, Name=name)
    assert services.timers.reconcile() == {"acted": [], "repaired": []}  # not due soon: left alone
    clock.advance(timedelta(hours=19))  # the warning is 12 minutes away
    assert services.timers.reconcile()["repaired"] == [created["id"]]
    assert schedules(settings) == [name]


def test_the_reconciler_acts_on_an_overdue_event_whose_schedule_never_fired(
    client, new_ticket, settings, services, clock, failing
):
    failing("scheduler", "CreateSchedule")
    created = new_ticket()
    clock.advance(timedelta(hours=20))
    [acted] = services.timers.reconcile()["acted"]
    assert (acted["ticket_id"], acted["action"]) == (created["id"], "sla_warning")
