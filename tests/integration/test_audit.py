"""The audit trail: exports, erasures, roster, role, macro and view changes
are recorded (who, when, what), kept the stage's retention, and listed for
admins newest first, by person and kind; a customer appears in it only by
the pseudonym their erasure gives them."""

import json
from datetime import timedelta

import pytest

from chalicelib.adapters.tables import AuditRecord
from chalicelib.domain.ticket import erased_alias
from tests.calls import call


@pytest.fixture
def admin(operator):
    return operator("admin", "lead@shop.example")


def trail(client, headers, query=""):
    response = call(client, "GET", f"/audit{query}", headers)
    assert response.status_code == 200, response.body
    return response.json_body


def seen(client, headers, query=""):
    return [(r["actor"], r["kind"], r["subject"]) for r in trail(client, headers, query)["items"]]


def test_an_export_and_an_erasure_are_recorded_without_the_customers_address(client, admin, new_ticket, clock):
    new_ticket()
    assert call(client, "GET", "/customers/ann%40example.com/export", admin).status_code == 200
    clock.advance(timedelta(minutes=1))
    assert call(client, "DELETE", "/customers/ann%40example.com", admin).status_code == 200
    alias = erased_alias("ann@example.com")
    answer = trail(client, admin)
    assert [(r["actor"], r["kind"], r["subject"], r["detail"]) for r in answer["items"][:2]] == [
        ("lead@shop.example", "customer.erased", alias, {"tickets": 1}),
        ("lead@shop.example", "customer.exported", alias, {"tickets": 1}),
    ]
    assert answer["items"][0]["at"] == "2026-11-24T09:01:00Z"
    assert answer["items"][0]["what"] == "erased a customer's personal data"
    assert "ann@example.com" not in json.dumps(answer)


def test_only_admins_read_the_trail(client, operator):
    assert call(client, "GET", "/audit", operator("agent")).status_code == 403


def test_roster_changes_say_what_changed_and_repeating_one_records_nothing(client, admin, operator):
    sam = "/agents/sam%40shop.example"
    call(client, "PUT", sam, admin, {"available": True, "name": "Sam Okafor"})
    call(client, "PUT", sam, admin, {"available": False})
    call(client, "PUT", sam, admin, {"available": False})  # nothing changes
    call(client, "DELETE", sam, admin)
    records = [r for r in trail(client, admin, "?person=sam%40shop.example")["items"] if r["kind"].startswith("agent.")]
    assert [(r["actor"], r["kind"], r["detail"]) for r in records] == [
        ("lead@shop.example", "agent.removed", {"before": {"name": "Sam Okafor", "available": False}}),
        (
            "lead@shop.example",
            "agent.changed",
            {"before": {"name": "Sam Okafor", "available": True}, "after": {"name": "Sam Okafor", "available": False}},
        ),
        ("lead@shop.example", "agent.added", {"after": {"name": "Sam Okafor", "available": True}}),
    ]


def test_a_role_change_made_outside_careline_is_recorded_at_the_next_sign_in(client, operator, admin):
    call(client, "GET", "/me", operator("agent", "kim@shop.example"))
    call(client, "GET", "/me", operator("agent", "kim@shop.example"))  # the same roles: nothing new
    call(client, "GET", "/me", operator("admin", "kim@shop.example"))
    records = trail(client, admin, "?person=kim%40shop.example&kind=operator.roles_changed")["items"]
    assert [(r["actor"], r["subject"], r["detail"]) for r in records] == [
        ("system", "kim@shop.example", {"before": ["agent"], "after": ["admin"]}),
        ("system", "kim@shop.example", {"before": [], "after": ["agent"]}),
    ]


def test_macro_and_view_changes_are_recorded_and_a_person_sees_what_they_did_and_what_was_done_to_them(
    client, admin, operator
):
    lou = operator("agent", "lou@shop.example")
    call(client, "PUT", "/macros/thanks", admin, {"title": "Thanks", "body": "Thank you, {{first_name}}."})
    call(client, "DELETE", "/macros/thanks", admin)
    call(client, "PUT", "/views/mine/mine", lou, {"title": "Mine", "filters": {"assignee": "me"}})
    call(client, "DELETE", "/views/mine/mine", lou)
    call(client, "PUT", "/agents/me", lou, {"available": True})  # by Lou, about Lou: listed once
    assert seen(client, admin, "?kind=macro.saved") == [("lead@shop.example", "macro.saved", "thanks")]
    assert seen(client, admin, "?person=LOU%40shop.example") == [
        ("lou@shop.example", "agent.added", "lou@shop.example"),
        ("lou@shop.example", "view.deleted", "mine/mine"),
        ("lou@shop.example", "view.saved", "mine/mine"),
    ]
    assert seen(client, admin, "?person=lou%40shop.example&kind=view.saved") == [
        ("lou@shop.example", "view.saved", "mine/mine")
    ]
    assert ("lead@shop.example", "macro.deleted", "thanks") in seen(client, admin)


def test_the_trail_pages_newest_first_and_refuses_what_it_does_not_know(client, admin, services, clock):
    from chalicelib.domain.ticket import Actor

    kim = Actor("operator", "kim@shop.example")
    for n in range(5):
        services.audit.record(kim, "macro.saved", f"m{n}", {"title": f"M{n}"})
    first = services.audit.list(None, "macro.saved", None, limit=2)
    second = services.audit.list(None, "macro.saved", first["next_cursor"], limit=2)
    third = services.audit.list(None, "macro.saved", second["next_cursor"], limit=2)
    assert [r["subject"] for r in first["items"] + second["items"] + third["items"]] == ["m4", "m3", "m2", "m1", "m0"]
    assert third["next_cursor"] is None
    wrong_scope = call(client, "GET", f"/audit?kind=view.saved&cursor={first['next_cursor']}", admin)
    assert (wrong_scope.status_code, wrong_scope.json_body["errors"][0]["field"]) == (400, "cursor")
    unknown = call(client, "GET", "/audit?kind=ticket.exploded", admin)
    assert (unknown.status_code, unknown.json_body["errors"][0]["field"]) == (400, "kind")
    with pytest.raises(ValueError, match="not one of"):
        services.audit.record(kim, "ticket.exploded", "x")


def test_records_expire_after_the_stages_retention(services, clock):
    from chalicelib.domain.ticket import Actor

    services.audit.record(Actor("operator", "kim@shop.example"), "view.deleted", "mine/x")
    (record,) = AuditRecord.query("audit")
    assert record.expires_at == clock.now() + timedelta(days=services.settings.audit_retention_days)
    assert services.settings.audit_retention_days == 400


def test_a_merge_and_a_split_are_recorded_by_the_tickets_references(client, admin, new_ticket, clock):
    target = new_ticket()
    clock.advance(timedelta(minutes=5))
    source = new_ticket(message="Also: can I return the mug?")
    assert call(client, "POST", f"/tickets/{source['id']}/merge", admin, {"into": target["id"]}).status_code == 200
    messages = call(client, "GET", f"/tickets/{target['id']}", admin).json_body["messages"]
    mug = next(m for m in messages if m.get("reference") == source["reference"])
    split = call(client, "POST", f"/tickets/{target['id']}/split", admin, {"message": mug["id"]})
    assert split.status_code == 201, split.body
    assert call(client, "POST", f"/tickets/{target['id']}/split", admin, {"message": mug["id"]}).status_code == 201
    assert seen(client, admin, "?kind=ticket.merged") == [("lead@shop.example", "ticket.merged", target["reference"])]
    records = trail(client, admin, "?kind=ticket.split")["items"]
    assert [(r["subject"], r["detail"]) for r in records] == [
        (target["reference"], {"into": split.json_body["reference"]})  # once, though asked twice
    ]


def test_marking_a_ticket_as_spam_and_releasing_it_are_recorded(client, admin, new_ticket, clock):
    ticket = new_ticket()
    assert call(client, "PATCH", f"/tickets/{ticket['id']}", admin, {"status": "spam"}).status_code == 200
    clock.advance(timedelta(minutes=1))
    assert call(client, "PATCH", f"/tickets/{ticket['id']}", admin, {"status": "new"}).status_code == 200
    assert call(client, "PATCH", f"/tickets/{ticket['id']}", admin, {"priority": "high"}).status_code == 200
    assert seen(client, admin, "?kind=ticket.marked_spam") == [
        ("lead@shop.example", "ticket.marked_spam", ticket["reference"])
    ]
    assert seen(client, admin, "?kind=ticket.unmarked_spam") == [
        ("lead@shop.example", "ticket.unmarked_spam", ticket["reference"])
    ]
