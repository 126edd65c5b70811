"""Operators work tickets through the authenticated API (contract section 3)."""

import pytest

from tests.calls import call


def test_ticket_shows_thread_events_sla_and_version(client, operator, new_ticket):
    ticket = new_ticket()
    response = call(client, "GET", f"/tickets/{ticket['id']}", operator())
    assert response.status_code == 200
    view = response.json_body
    assert (view["reference"], view["status"], view["priority"], view["channel"]) == (
        ticket["reference"],
        "new",
        "normal",
        "web",
    )
    assert view["version"] == 1 and response.headers["ETag"] == '"1"'
    assert [m["direction"] for m in view["messages"]] == ["in", "out"]
    assert view["messages"][0]["body"] == "Where is my parcel?"
    assert view["messages"][1]["delivery"]["status"] == "sent"
    assert [e["event"] for e in view["events"]] == ["created"]
    assert view["sla"]["metrics"]["first_response"]["due_at"] == ticket["first_response_due"]
    assert view["sla"]["next_event"]["kind"] == "warning"


def test_unknown_ticket_is_404(client, operator):
    assert call(client, "GET", "/tickets/nope", operator()).status_code == 404


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("POST", "/tickets/nope/replies", {"body": "Hello"}),
        ("POST", "/tickets/nope/notes", {"body": "Checked"}),
        ("PATCH", "/tickets/nope", {"status": "pending"}),
    ],
)
def test_changing_an_unknown_ticket_is_404_naming_it(client, operator, method, path, body):
    response = call(client, method, path, operator(), body)
    assert (response.status_code, response.json_body["errors"]) == (
        404,
        [{"field": "ticket_id", "message": "no ticket nope", "code": "not_found"}],
    )


def test_reply_is_emailed_threaded_and_records_the_first_response(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    response = call(
        client,
        "POST",
        f"/tickets/{ticket['id']}/replies",
        operator(),
        {"body": "Your parcel left our warehouse today."},
    )
    assert response.status_code == 201
    view = response.json_body
    assert view["status"] == "open" and view["first_responded_at"] == "2026-11-24T09:00:00Z"
    assert view["sla"]["metrics"]["first_response"]["state"] == "achieved"
    ack, answer = mailbox()
    assert answer["to"] == ["Ann Lee <ann@example.com>"]
    assert answer["subject"] == f"Re: Parcel [{ticket['reference']}]"
    assert "Hello Ann," in answer["text"] and "Your parcel left our warehouse today." in answer["text"]
    assert answer["headers"]["In-Reply-To"] == ack["headers"]["Message-ID"]
    assert answer["headers"]["Reply-To"] == "support@careline.example"
    assert "Auto-Submitted" not in answer["headers"]  # a person wrote it


def test_reply_with_resolve_resolves_in_the_same_step(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    view = call(
        client, "POST", f"/tickets/{ticket['id']}/replies", operator(), {"body": "Refund issued.", "resolve": True}
    ).json_body
    assert view["status"] == "resolved" and view["resolved_at"]
    assert view["sla"]["metrics"]["resolution"]["state"] == "achieved"
    assert "marked your request as resolved" in mailbox()[-1]["text"]
    assert len(mailbox()) == 2  # the reply says it; no second notice


def test_patch_to_resolved_sends_a_resolution_notice(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    view = call(client, "PATCH", f"/tickets/{ticket['id']}", operator(), {"status": "resolved"}).json_body
    assert view["status"] == "resolved"
    notice = mailbox()[-1]
    assert notice["subject"] == f"Resolved: Parcel [{ticket['reference']}]"
    assert notice["headers"]["Auto-Submitted"] == "auto-replied"


def test_notes_stay_internal(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    view = call(
        client,
        "POST",
        f"/tickets/{ticket['id']}/notes",
        operator(email="kim@shop.example"),
        {"body": "Customer called, VIP."},
    ).json_body
    assert [(n["author"], n["body"]) for n in view["notes"]] == [("kim@shop.example", "Customer called, VIP.")]
    assert len(mailbox()) == 1  # only the acknowledgement


def test_patch_records_who_changed_what(client, operator, new_ticket):
    ticket = new_ticket()
    view = call(
        client,
        "PATCH",
        f"/tickets/{ticket['id']}",
        operator(email="kim@shop.example"),
        {"assignee": "kim@shop.example", "tags": ["parcel", "dhl"], "category": "shipping"},
    ).json_body
    assert (view["assignee"], view["tags"], view["category"], view["version"]) == (
        "kim@shop.example",
        ["dhl", "parcel"],
        "shipping",
        2,
    )
    [updated] = [e for e in view["events"] if e["event"] == "updated"]
    assert updated["author"] == "kim@shop.example"
    assert updated["data"]["changes"]["assignee"] == [None, "kim@shop.example"]


def test_stale_if_match_is_412_and_a_current_one_applies(client, operator, new_ticket):
    ticket = new_ticket()
    first = call(client, "PATCH", f"/tickets/{ticket['id']}", operator() | {"If-Match": '"1"'}, {"priority": "high"})
    assert first.status_code == 200 and first.json_body["version"] == 2
    stale = call(client, "PATCH", f"/tickets/{ticket['id']}", operator() | {"If-Match": "1"}, {"priority": "low"})
    assert stale.status_code == 412 and stale.headers["ETag"] == '"2"'
    assert call(client, "GET", f"/tickets/{ticket['id']}", operator()).json_body["priority"] == "high"


@pytest.mark.parametrize(
    "body,field",
    [
        ({"status": "archived"}, "status"),
        ({"priority": "asap"}, "priority"),
        ({"assignee": "kim"}, "assignee"),
        ({"category": "gossip"}, "category"),
        ({"tags": ["Not OK!"]}, "tags.0"),
        ({"colour": "red"}, "body"),
        ({}, "body"),
    ],
)
def test_invalid_patches_name_the_field(client, operator, new_ticket, body, field):
    ticket = new_ticket()
    response = call(client, "PATCH", f"/tickets/{ticket['id']}", operator(), body)
    assert response.status_code == 400
    assert field in {e["field"] for e in response.json_body["errors"]}


def test_only_a_spam_ticket_goes_back_to_new(client, operator, new_ticket):
    ticket = new_ticket()
    call(client, "PATCH", f"/tickets/{ticket['id']}", operator(), {"status": "open"})
    response = call(client, "PATCH", f"/tickets/{ticket['id']}", operator(), {"status": "new"})
    assert response.status_code == 400 and [e["field"] for e in response.json_body["errors"]] == ["status"]


def test_invalid_reply_and_note_bodies_are_400(client, operator, new_ticket):
    ticket = new_ticket()
    for path, body in (("replies", {"body": ""}), ("replies", {"body": "x", "resolve": "yes"}), ("notes", {})):
        response = call(client, "POST", f"/tickets/{ticket['id']}/{path}", operator(), body)
        assert response.status_code == 400, (path, body)


def test_list_is_newest_first_filtered_and_paged_with_a_signed_cursor(client, operator, new_ticket, clock):
    from datetime import timedelta

    created = []
    for n in range(5):
        clock.advance(timedelta(minutes=1))
        created.append(new_ticket(email=f"c{n}@example.com", category="returns" if n % 2 else "order"))
    first = call(client, "GET", "/tickets?limit=2", operator()).json_body
    assert [t["id"] for t in first["items"]] == [created[4]["id"], created[3]["id"]]
    second = call(client, "GET", f"/tickets?limit=2&cursor={first['next_cursor']}", operator()).json_body
    assert [t["id"] for t in second["items"]] == [created[2]["id"], created[1]["id"]]
    returns = call(client, "GET", "/tickets?category=returns", operator()).json_body
    assert [t["id"] for t in returns["items"]] == [created[3]["id"], created[1]["id"]]
    assert returns["next_cursor"] is None
    forged = first["next_cursor"][:-2] + ("AA" if not first["next_cursor"].endswith("AA") else "BB")
    assert call(client, "GET", f"/tickets?limit=2&cursor={forged}", operator()).status_code == 400
    other_query = call(client, "GET", f"/tickets?status=new&limit=2&cursor={first['next_cursor']}", operator())
    assert other_query.status_code == 400
    assert call(client, "GET", "/tickets?limit=101", operator()).status_code == 400
    assert call(client, "GET", "/tickets?status=lost", operator()).status_code == 400


def test_assignee_me_lists_my_tickets(client, operator, new_ticket):
    mine = new_ticket()
    new_ticket(email="bob@example.com")  # someone else's
    call(client, "PATCH", f"/tickets/{mine['id']}", operator(), {"assignee": "agent@shop.example"})
    listed = call(client, "GET", "/tickets?assignee=me", operator()).json_body["items"]
    assert [t["id"] for t in listed] == [mine["id"]]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": "Basic abc"}])
def test_operator_calls_without_a_valid_token_are_401(client, new_ticket, headers):
    ticket = new_ticket()
    for method, path in (
        ("GET", "/tickets"),
        ("GET", f"/tickets/{ticket['id']}"),
        ("PATCH", f"/tickets/{ticket['id']}"),
        ("POST", f"/tickets/{ticket['id']}/replies"),
        ("POST", f"/tickets/{ticket['id']}/notes"),
    ):
        response = call(client, method, path, headers | {"Content-Type": "application/json"}, {"body": "x"})
        assert response.status_code == 401, (method, path)
