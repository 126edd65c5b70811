"""After resolution: one friendly follow-up two days later and an automatic
close after a quiet period, both through the dev clock; a customer who
writes again gets neither."""

import json
from dataclasses import replace

import pytest

from chalicelib.adapters.aws import client as aws_client
from local.stream import drain
from tests.calls import advance, follow_up_link, follow_ups, resolve, schedules, view


def actions(moved):
    return [f["result"]["action"] for f in moved["fired"] if f["schedule"] != "retry_mail"]


def patch(client, operator, ticket, body):
    return client.http.request("PATCH", f"/tickets/{ticket['id']}", headers=operator(), body=json.dumps(body))


def lifecycle_schedules(settings, ticket):
    prefix = f"cl-{ticket['id']}-"
    return [
        n.removeprefix(prefix)
        for n in schedules(settings)
        if n.startswith(prefix) and n.endswith(("close", "followup"))
    ]


def test_one_follow_up_two_days_after_resolution_then_the_ticket_closes(
    client, operator, new_ticket, mailbox, settings
):
    ticket = new_ticket()
    resolve(client, operator, ticket)
    assert lifecycle_schedules(settings, ticket) == ["followup"]  # one timed action at a time
    assert actions(advance(client, 47 * 60)) == []
    assert actions(advance(client, 60)) == ["followed_up"]
    assert lifecycle_schedules(settings, ticket) == ["close"]
    mail, _ = follow_up_link(mailbox)
    assert mail["to"] == ["Ann Lee <ann@example.com>"] and f"[{ticket['reference']}]" in mail["subject"]
    assert "Is anything still unresolved?" in mail["text"] and mail["headers"]["Auto-Submitted"] == "auto-replied"
    assert [f"score={n}" in mail["text"] for n in range(1, 6)] == [True] * 5
    assert actions(advance(client, 24 * 60)) == ["closed"]
    closed = view(client, operator, ticket)
    assert closed["status"] == "closed" and closed["resolved_at"] == "2026-11-24T09:00:00Z"  # closing keeps it
    assert [m["delivery"]["status"] for m in closed["messages"] if m.get("kind") == "follow_up"] == ["sent"]
    assert len(follow_ups(mailbox)) == 1 and lifecycle_schedules(settings, ticket) == []


def test_a_customer_who_writes_again_gets_no_follow_up_and_the_ticket_stays_open(
    client, operator, new_ticket, services, mailbox, settings
):
    ticket = new_ticket()
    resolve(client, operator, ticket)
    services.tickets.customer_wrote(ticket["id"], "It broke again.")
    assert lifecycle_schedules(settings, ticket) == []  # reopening cancelled the follow-up
    advance(client, 5 * 24 * 60)
    assert not follow_ups(mailbox)
    assert view(client, operator, ticket)["status"] == "open"


def test_resolved_again_a_ticket_closes_again_but_is_never_followed_up_twice(
    client, operator, new_ticket, services, mailbox, settings
):
    ticket = new_ticket()
    resolve(client, operator, ticket)
    assert actions(advance(client, 48 * 60)) == ["followed_up"]
    services.tickets.customer_wrote(ticket["id"], "One more thing: the invoice?")
    resolve(client, operator, ticket)
    assert lifecycle_schedules(settings, ticket) == ["close"]
    assert actions(advance(client, 72 * 60)) == ["closed"]
    assert len(follow_ups(mailbox)) == 1


def test_an_operator_closing_early_still_gets_the_customer_their_follow_up(
    client, operator, new_ticket, mailbox, settings
):
    ticket = new_ticket()
    resolve(client, operator, ticket)
    advance(client, 60)
    patch(client, operator, ticket, {"status": "closed"})
    assert lifecycle_schedules(settings, ticket) == ["followup"]
    assert actions(advance(client, 47 * 60)) == ["followed_up"] and len(follow_ups(mailbox)) == 1


def test_spam_and_erased_customers_get_no_follow_up(client, operator, new_ticket, mailbox):
    spam = new_ticket(email="win@lottery.example", message="You won!")
    erased = new_ticket(email="bob@example.com")
    resolve(client, operator, spam)
    resolve(client, operator, erased)
    patch(client, operator, spam, {"status": "closed", "tags": ["spam"]})
    client.http.delete("/customers/bob@example.com", headers=operator("admin", "lead@shop.example"))
    fired = advance(client, 48 * 60)["fired"]
    assert [f for f in fired if f["payload"].get("type") == "followup"] == []  # never even scheduled
    assert not follow_ups(mailbox)


def test_stale_early_and_duplicate_invocations_do_nothing(client, operator, new_ticket, services, settings):
    ticket = new_ticket()
    fire = services.timers.fire
    assert fire({"type": "close", "ticket_id": ticket["id"]})["action"] == "ignored"  # not resolved
    assert fire({"type": "close", "ticket_id": "nope"})["reason"] == "unknown ticket"
    assert fire({"type": "reminder", "ticket_id": ticket["id"]})["action"] == "ignored"
    resolve(client, operator, ticket)
    drain()
    aws_client("scheduler").delete_schedule(GroupName=settings.scheduler_group, Name=f"cl-{ticket['id']}-followup")
    assert fire({"type": "close", "ticket_id": ticket["id"]})["action"] == "ignored"  # the follow-up comes first
    # Fired too early: put back for its time, nothing done.
    assert fire({"type": "followup", "ticket_id": ticket["id"]})["action"] == "rearmed"
    assert lifecycle_schedules(settings, ticket) == ["followup"]
    assert actions(advance(client, 48 * 60)) == ["followed_up"]
    assert fire({"type": "followup", "ticket_id": ticket["id"]})["reason"] == "no longer due"
    assert view(client, operator, ticket)["status"] == "resolved"


def test_a_change_at_the_same_moment_does_not_cost_the_follow_up(
    client, operator, new_ticket, services, mailbox, monkeypatch
):
    from chalicelib.adapters.store.tickets import StaleTicket

    ticket = new_ticket()
    resolve(client, operator, ticket)
    commit, raced = services.store.commit, []

    def racing(change, **rest):
        if not raced and change.entry.event == "follow_up":
            raced.append(change.after.id)  # an operator's note landed first: the version moved on
            raise StaleTicket()
        return commit(change, **rest)

    monkeypatch.setattr(services.store, "commit", racing)
    assert actions(advance(client, 48 * 60)) == ["followed_up"]
    assert raced == [ticket["id"]] and len(follow_ups(mailbox)) == 1


@pytest.fixture
def quick(services, clock):
    """The stage's lifecycle settings turned down: follow up after 1 hour, close after 2."""
    from local.container import install

    return install(replace(services.settings, follow_up_after_hours=1, close_after_hours=2), clock)


def test_the_quiet_periods_are_the_stages_settings(quick, client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    resolve(client, operator, ticket)
    assert actions(advance(client, 60)) == ["followed_up"]
    assert actions(advance(client, 60)) == ["closed"]
    assert len(follow_ups(mailbox)) == 1
