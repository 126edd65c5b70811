"""A support team on one ticket (issue 22): no double replies (If-Match on
replies, presence), merge and split, followers in Cc, tickets operators
open, and the note on a customer."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from chalicelib.domain.errors import ServiceUnavailable
from chalicelib.domain.ticket import Actor
from chalicelib.domain.validation import validator
from tests.calls import call, inbound, view
from tests.mails import mail, raw

KIM, LOU = "kim@shop.example", "lou@shop.example"


def outage(*args, **kwargs):
    """The second half of a two-ticket change, as when DynamoDB stops answering in between."""
    raise ServiceUnavailable("DynamoDB did not answer")


def replies_to(mailbox, reference):
    return [m for m in mailbox() if f"[{reference}]" in m["subject"] and m["subject"].startswith("Re:")]


# No double replies


def test_a_reply_with_a_stale_if_match_is_412_and_nothing_is_stored_or_sent(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    read = view(client, operator, ticket["id"])
    inbound(client, raw(subject=f"Re: Parcel [{ticket['reference']}]", body="Any news?"))  # arrives meanwhile
    sent = len(mailbox())
    stale = call(
        client,
        "POST",
        f"/tickets/{ticket['id']}/replies",
        operator(),
        {"body": "It is on its way."},
        **{"If-Match": f'"{read["version"]}"'},
    )
    assert stale.status_code == 412
    current = view(client, operator, ticket["id"])
    assert stale.headers["ETag"] == f'"{current["version"]}"'
    assert [m["body"] for m in current["messages"] if m["direction"] == "out" and m["author"] != "system"] == []
    assert len(mailbox()) == sent  # nothing sent
    fresh = call(
        client,
        "POST",
        f"/tickets/{ticket['id']}/replies",
        operator(),
        {"body": "It is on its way."},
        **{"If-Match": stale.headers["ETag"]},
    )
    assert fresh.status_code == 201
    assert len(replies_to(mailbox, ticket["reference"])) == 1


def test_two_operators_replying_at_once_send_exactly_one_reply(
    client, services, operator, new_ticket, mailbox, isolated_requests
):
    ticket = new_ticket()
    version = view(client, operator, ticket["id"])["version"]
    kim, lou = Actor("operator", KIM), Actor("operator", LOU)

    def answer(actor):
        try:
            services.tickets.reply(ticket["id"], {"body": f"Answer from {actor.email}"}, actor, if_match=version)
            return 201
        except Exception as error:  # the error table's status
            return getattr(error, "status", 500)

    with ThreadPoolExecutor(max_workers=2) as pool:
        statuses = sorted(pool.map(answer, (kim, lou)))
    assert statuses == [201, 412]
    assert len(replies_to(mailbox, ticket["reference"])) == 1


def test_replies_without_if_match_are_never_refused_as_stale(client, services, new_ticket, mailbox, isolated_requests):
    """Issue 24, finding 10: 20 concurrent replies without If-Match, each applied on the ticket as it is."""
    ticket = new_ticket()
    operators = [Actor("operator", f"op{n}@shop.example") for n in range(20)]

    def answer(actor):
        services.tickets.reply(ticket["id"], {"body": f"Answer from {actor.email}"}, actor)
        return actor.email

    with ThreadPoolExecutor(max_workers=20) as pool:
        answered = list(pool.map(answer, operators))
    assert len(answered) == 20
    replies = [m for m in services.tickets.get(ticket["id"])["messages"] if m["direction"] == "out" and m["body"]]
    assert sorted(m["author"] for m in replies) == sorted(a.email for a in operators)
    assert len(replies_to(mailbox, ticket["reference"])) == 20


# Presence


def test_operators_see_who_else_has_the_ticket_open_or_is_writing(client, operator, new_ticket, clock):
    ticket = new_ticket()
    path = f"/tickets/{ticket['id']}/presence"
    kim, lou = operator(email=KIM), operator(email=LOU)
    assert call(client, "PUT", path, kim, {"state": "viewing"}).json_body["others"] == []
    seen = call(client, "PUT", path, lou, {"state": "viewing"}).json_body
    assert [(o["email"], o["name"], o["state"]) for o in seen["others"]] == [(KIM, "Kim", "viewing")]
    clock.advance(timedelta(seconds=10))
    call(client, "PUT", path, kim, {"state": "typing"})
    assert [
        (o["email"], o["state"]) for o in call(client, "PUT", path, lou, {"state": "viewing"}).json_body["others"]
    ] == [(KIM, "typing")]
    # Kim's page closed without a word: three heartbeats missed, Kim is gone (whatever TTL has removed).
    clock.advance(timedelta(seconds=46))
    assert call(client, "PUT", path, lou, {"state": "viewing"}).json_body["others"] == []
    call(client, "PUT", path, kim, {"state": "viewing"})
    assert call(client, "DELETE", path, kim).status_code == 204
    assert call(client, "PUT", path, lou, {"state": "viewing"}).json_body["others"] == []
    # Presence is no change of the ticket: its version, thread and effects are as they were.
    assert view(client, operator, ticket["id"])["version"] == ticket_version(client, operator, ticket)
    assert call(client, "PUT", path, kim, {"state": "dancing"}).status_code == 400


def test_a_page_alone_on_a_ticket_says_so_every_minute_and_every_15_s_once_it_is_shared(
    client, operator, new_ticket, clock
):
    """Each heartbeat is a billed request (bench/cost.py): a reader alone beats each minute;
    whoever arrives sees them at once, and from then on both beat every 15 s, as a writer does."""
    ticket = new_ticket()
    path = f"/tickets/{ticket['id']}/presence"
    kim, lou = operator(email=KIM), operator(email=LOU)
    assert call(client, "PUT", path, kim, {"state": "viewing"}).json_body["heartbeat_seconds"] == 60
    assert call(client, "PUT", path, kim, {"state": "typing"}).json_body["heartbeat_seconds"] == 15
    call(client, "PUT", path, kim, {"state": "viewing"})
    clock.advance(timedelta(seconds=170))  # Kim alone, reading: still there before three minutes pass
    seen = call(client, "PUT", path, lou, {"state": "viewing"}).json_body
    assert [o["email"] for o in seen["others"]] == [KIM] and seen["heartbeat_seconds"] == 15
    assert call(client, "PUT", path, kim, {"state": "viewing"}).json_body["heartbeat_seconds"] == 15
    clock.advance(timedelta(seconds=46))  # shared, Kim's page closed without a word: gone after 45 s
    assert call(client, "PUT", path, lou, {"state": "viewing"}).json_body["others"] == []


def ticket_version(client, operator, ticket):
    return view(client, operator, ticket["id"])["version"]


def test_presence_items_expire_by_dynamodb_ttl_on_the_tickets_table(services):
    from chalicelib.adapters.tables import TicketTable

    described = TicketTable.describe_table()
    assert TicketTable._ttl_attribute().attr_name == "ttl"
    from chalicelib.adapters.aws import client as aws_client

    ttl = aws_client("dynamodb").describe_time_to_live(TableName=described["TableName"])
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "ttl"


# Merge


def _merged_pair(client, operator, new_ticket, clock):
    first = new_ticket(message="My parcel A-1001 has not arrived.", subject="Parcel")
    clock.advance(timedelta(minutes=5))
    second = new_ticket(message="Also, the invoice for A-1001 is wrong.", subject="Invoice")
    return first, second


def test_merge_moves_the_thread_closes_the_source_and_stops_its_schedules(client, operator, new_ticket, clock, mailbox):
    target, source = _merged_pair(client, operator, new_ticket, clock)
    call(client, "PATCH", f"/tickets/{source['id']}", operator(), {"tags": ["invoice"]})
    call(client, "POST", f"/tickets/{source['id']}/notes", operator(), {"body": "Checked the invoice."})
    acknowledgements = len(mailbox())
    merged = call(client, "POST", f"/tickets/{source['id']}/merge", operator(email=KIM), {"into": target["id"]})
    assert merged.status_code == 200
    assert (merged.json_body["status"], merged.json_body["merged_into"]) == ("closed", target["id"])
    after = view(client, operator, target["id"])
    bodies = [m["body"] for m in after["messages"] if m["direction"] == "in"]
    assert bodies == ["My parcel A-1001 has not arrived.", "Also, the invoice for A-1001 is wrong."]
    moved = next(m for m in after["messages"] if m["body"] == "Also, the invoice for A-1001 is wrong.")
    assert moved["reference"] == source["reference"]
    assert [n["body"] for n in after["notes"]] == ["Checked the invoice."]
    assert after["tags"] == ["invoice"]
    assert after["merged_from"] == [{"id": source["id"], "reference": source["reference"]}]
    assert any(f"merged {source['reference']} into this one" in e["text"] for e in after["events"])
    assert len(mailbox()) == acknowledgements  # no second acknowledgement, nothing at all to the customer
    # The source owes nothing: no SLA notice ever comes for it (the target's do), and no follow-up.
    client.http.post(
        "/_dev/clock", headers={"Content-Type": "application/json"}, body=json.dumps({"advance_minutes": 7200})
    )
    later = mailbox()[acknowledgements:]
    assert not [m for m in later if f"[{source['reference']}]" in m["subject"]]
    assert [m for m in later if f"[{target['reference']}]" in m["subject"]]  # the target's clocks run on
    source_view = view(client, operator, source["id"])
    assert source_view["sla"]["next_event"] is None
    assert {m["state"] for m in source_view["sla"]["metrics"].values()} == {"cancelled"}


def test_mail_about_a_merged_ticket_lands_on_its_target(client, operator, new_ticket, clock, mailbox):
    target, source = _merged_pair(client, operator, new_ticket, clock)
    call(client, "POST", f"/tickets/{source['id']}/merge", operator(), {"into": target["id"]})
    sent = len(mailbox())
    answer = inbound(client, raw(subject=f"Re: Invoice [{source['reference']}]", body="Here is the right address."))
    assert answer == {
        "ticket_id": target["id"],
        "action": "appended",
        "reason": f"reply to {source['reference']}, merged into {target['reference']}",
    }
    assert view(client, operator, target["id"])["messages"][-1]["body"] == "Here is the right address."
    assert len(mailbox()) == sent  # no acknowledgement: it joined a conversation


def test_merge_refusals_are_409(client, operator, new_ticket, clock):
    target, source = _merged_pair(client, operator, new_ticket, clock)
    other = new_ticket(email="bob@example.com", name="Bob Stone")
    path = f"/tickets/{source['id']}/merge"
    assert call(client, "POST", path, operator(), {"into": source["id"]}).status_code == 409  # itself
    refused = call(client, "POST", path, operator(), {"into": other["id"]})  # another customer's
    assert refused.status_code == 409 and "customer" in refused.json_body["errors"][0]["message"]
    assert call(client, "POST", path, operator(), {"into": target["id"]}).status_code == 200
    assert call(client, "POST", path, operator(), {"into": target["id"]}).status_code == 200  # the same merge again
    third = new_ticket(message="And one more thing.")
    assert call(client, "POST", f"/tickets/{third['id']}/merge", operator(), {"into": source["id"]}).status_code == 409
    assert call(client, "POST", path, operator(), {"into": third["id"]}).status_code == 409  # merged elsewhere
    assert call(client, "POST", path, operator(), {"into": "nope"}).status_code == 400
    assert call(client, "POST", path, operator(), {"into": "01KB1XQ7V9N3E5M2T8A4C6D0FG"}).status_code == 404
    assert call(client, "POST", f"/tickets/{source['id']}/replies", operator(), {"body": "Hi"}).status_code == 409


def test_a_merge_that_stops_half_way_is_finished_by_the_stream(
    client, operator, new_ticket, clock, services, monkeypatch, settle
):
    """The target took the source in, then the source's change failed: no
    message is lost meanwhile, and the target's entry has it finished."""
    target, source = _merged_pair(client, operator, new_ticket, clock)
    close_into = services.merges._close_into
    monkeypatch.setattr(services.merges, "_close_into", outage)
    failed = call(client, "POST", f"/tickets/{source['id']}/merge", operator(), {"into": target["id"]})
    assert failed.status_code == 503
    both = [m["body"] for m in view(client, operator, target["id"])["messages"] if m["direction"] == "in"]
    assert "Also, the invoice for A-1001 is wrong." in both  # on the target already
    monkeypatch.setattr(services.merges, "_close_into", close_into)
    settle()
    finished = view(client, operator, source["id"])
    assert (finished["status"], finished["merged_into"]) == ("closed", target["id"])


def test_merge_and_split_publish_their_events(client, operator, new_ticket, clock):
    target, source = _merged_pair(client, operator, new_ticket, clock)
    call(client, "POST", f"/tickets/{source['id']}/merge", operator(), {"into": target["id"]})
    message = next(m for m in view(client, operator, target["id"])["messages"] if m.get("reference"))
    new = call(client, "POST", f"/tickets/{target['id']}/split", operator(), {"message": message["id"]}).json_body
    events = client.http.get("/_dev/events").json_body
    schema = validator("event")
    for event in events:  # as the bus and the webhooks carry it
        schema.validate(
            {"id": event["id"], "type": event["type"], "schema_version": 1, "time": event["time"], "stage": "local"}
            | {"data": event["detail"]}
        )
    kinds = {(e["type"], e["detail"]["ticket_id"]) for e in events}
    assert {("ticket.merged", source["id"]), ("ticket.split", target["id"]), ("ticket.created", new["id"])} <= kinds
    merged = next(e for e in events if e["type"] == "ticket.merged" and e["ticket_id"] == source["id"])
    assert merged["detail"]["merged_into"] == target["id"]


# Split


def test_split_moves_one_message_into_a_new_ticket_for_the_same_customer(client, operator, new_ticket, mailbox, clock):
    ticket = new_ticket(message="Where is my parcel?")
    clock.advance(timedelta(minutes=3))
    inbound(client, raw(subject=f"Re: Parcel [{ticket['reference']}]", body="Also: can I return the blue mug?"))
    message = view(client, operator, ticket["id"])["messages"][-1]
    sent = len(mailbox())
    answer = call(
        client,
        "POST",
        f"/tickets/{ticket['id']}/split",
        operator(email=KIM),
        {"message": message["id"], "subject": "Return"},
    )
    assert answer.status_code == 201
    new = answer.json_body
    assert answer.headers["Location"] == f"/tickets/{new['id']}"
    assert (new["customer"]["email"], new["subject"], new["status"], new["assignee"]) == (
        "ann@example.com",
        "Return",
        "open",
        KIM,
    )
    assert [m["body"] for m in new["messages"]] == ["Also: can I return the blue mug?"]
    old = view(client, operator, ticket["id"])
    assert [m["body"] for m in old["messages"] if m["direction"] == "in"] == ["Where is my parcel?"]
    assert any(new["reference"] in e["text"] for e in old["events"])
    assert len(mailbox()) == sent  # no acknowledgement for a split
    again = call(client, "POST", f"/tickets/{ticket['id']}/split", operator(), {"message": message["id"]})
    assert (again.status_code, again.json_body["id"]) == (201, new["id"])  # the same split
    only = view(client, operator, ticket["id"])["messages"][0]
    assert (
        call(client, "POST", f"/tickets/{ticket['id']}/split", operator(), {"message": only["id"]}).status_code == 409
    )
    assert call(client, "POST", f"/tickets/{ticket['id']}/split", operator(), {"message": "x"}).status_code == 400


def test_a_split_undoes_a_merge_for_one_message(client, operator, new_ticket, clock):
    target, source = _merged_pair(client, operator, new_ticket, clock)
    call(client, "POST", f"/tickets/{source['id']}/merge", operator(), {"into": target["id"]})
    message = next(m for m in view(client, operator, target["id"])["messages"] if m.get("reference"))
    new = call(client, "POST", f"/tickets/{target['id']}/split", operator(), {"message": message["id"]}).json_body
    assert [m["body"] for m in new["messages"]] == ["Also, the invoice for A-1001 is wrong."]
    remaining = view(client, operator, target["id"])["messages"]
    assert [m["body"] for m in remaining if m["direction"] == "in"] == ["My parcel A-1001 has not arrived."]


def test_files_of_a_merged_ticket_download_from_the_target(client, operator, new_ticket, clock):
    target = new_ticket()
    photo = ("mug.jpg", "image/jpeg", b"\xff\xd8\xff a photo of a broken mug")
    source = inbound(client, mail(photo, subject="Broken mug"))["ticket_id"]
    assert call(client, "POST", f"/tickets/{source}/merge", operator(), {"into": target["id"]}).status_code == 200
    listed = next(m for m in view(client, operator, target["id"])["messages"] if m["attachments"])
    sha = listed["attachments"][0]["sha256"]
    link = client.http.get(f"/tickets/{target['id']}/attachments/{sha}", headers=operator())
    assert link.status_code == 200 and f"/{source}/" in link.json_body["url"]


# Followers (Cc)


def test_inbound_cc_become_followers_and_operator_replies_copy_them(client, operator, mailbox, settle):
    message = raw(
        sender="Ann Lee <ann@example.com>",
        subject="Wrong size",
        body="The jacket is too small.",
        Cc="support@careline.example, Ann Lee <ANN@example.com>, Tom Lee <tom@example.com>, not an address",
    )
    ticket_id = inbound(client, message)["ticket_id"]
    ticket = view(client, operator, ticket_id)
    assert ticket["cc"] == ["tom@example.com"]
    acknowledgement = mailbox()[-1]
    assert acknowledgement["cc"] == [] and "Cc" not in acknowledgement["headers"]  # acknowledgements: customer only
    call(client, "POST", f"/tickets/{ticket_id}/replies", operator(), {"body": "We will send a larger one."})
    reply = mailbox()[-1]
    assert reply["to"] == ["Ann Lee <ann@example.com>"] and reply["cc"] == ["tom@example.com"]
    # A follower who answers all joins the conversation.
    answer = inbound(
        client, raw(sender="Tom Lee <tom@example.com>", subject=f"Re: [{ticket['reference']}]", body="Thanks!")
    )
    assert answer["action"] == "appended"
    last = view(client, operator, ticket_id)["messages"][-1]
    assert (last["body"], last["from"]) == ("Thanks!", "tom@example.com")


def test_operators_set_followers_and_acknowledgements_and_follow_ups_skip_them(
    client, operator, new_ticket, mailbox, clock
):
    ticket = new_ticket()
    path = f"/tickets/{ticket['id']}"
    changed = call(client, "PATCH", path, operator(), {"cc": ["tom@example.com", "Eve@Example.com"]})
    assert changed.status_code == 200 and changed.json_body["cc"] == ["tom@example.com", "eve@example.com"]
    assert "added tom@example.com and eve@example.com as followers" in changed.json_body["events"][-1]["text"]
    refused = call(client, "PATCH", path, operator(), {"cc": ["support@careline.example", "ann@example.com", "x@"]})
    assert refused.status_code == 400
    assert {e["field"] for e in refused.json_body["errors"]} == {"cc.2"}  # the schema first
    refused = call(client, "PATCH", path, operator(), {"cc": ["support@careline.example", "ann@example.com"]})
    assert [e["field"] for e in refused.json_body["errors"]] == ["cc.0", "cc.1"]
    call(client, "PATCH", path, operator(), {"cc": ["tom@example.com"]})
    call(client, "POST", f"{path}/replies", operator(), {"body": "Solved.", "resolve": True})
    clock.advance(timedelta(days=3))
    client.http.post(
        "/_dev/clock", headers={"Content-Type": "application/json"}, body=json.dumps({"advance_minutes": 1})
    )
    mine = [m for m in mailbox() if f"[{ticket['reference']}]" in m["subject"]]
    kinds = [(m["subject"].split(" ")[0], m["cc"]) for m in mine]
    assert kinds[0][1] == [] and kinds[-1][1] == []  # the acknowledgement and the follow-up: customer only
    assert ("Re:", ["tom@example.com"]) in kinds


# Outbound tickets and customer notes


def test_an_operator_writes_to_a_customer_first(client, operator, mailbox):
    answer = call(
        client,
        "POST",
        "/tickets",
        operator(email=KIM),
        {
            "email": "Bob@Example.com",
            "subject": "Your order A-2002 is delayed",
            "body": "Hello Bob, the courier is late.",
        },
    )
    assert answer.status_code == 201
    ticket = answer.json_body
    assert (ticket["status"], ticket["channel"], ticket["assignee"], ticket["customer"]["email"]) == (
        "pending",
        "email",
        KIM,
        "bob@example.com",
    )
    sent = [m for m in mailbox() if f"[{ticket['reference']}]" in m["subject"]]
    assert [m["subject"] for m in sent] == [
        f"Your order A-2002 is delayed [{ticket['reference']}]"
    ]  # no acknowledgement
    assert "the courier is late" in sent[0]["text"]
    reply = inbound(
        client, raw(sender="Bob <bob@example.com>", subject=f"Re: {sent[0]['subject']}", body="OK, I will wait.")
    )
    assert reply["ticket_id"] == ticket["id"]
    after = view(client, operator, ticket["id"])
    assert after["status"] == "open" and after["sla"]["metrics"]["next_response"]["state"] == "running"
    refused = call(
        client, "POST", "/tickets", operator(), {"email": "support@careline.example", "subject": "x", "body": "y"}
    )
    assert refused.status_code == 400


def test_a_note_on_the_customer_shows_on_all_their_tickets(client, operator, new_ticket, settle):
    new_ticket()
    new_ticket(message="Another question")
    path = "/customers/ann%40example.com"
    saved = call(client, "PATCH", path, operator(email=KIM), {"note": "Prefers phone calls after 5 pm."})
    assert saved.status_code == 200
    assert (saved.json_body["note"]["text"], saved.json_body["note"]["by"]) == ("Prefers phone calls after 5 pm.", KIM)
    customer = client.http.get(path, headers=operator()).json_body
    assert customer["note"]["text"] == "Prefers phone calls after 5 pm." and len(customer["tickets"]) == 2
    assert call(client, "PATCH", path, operator(), {"note": ""}).json_body["note"] is None
    assert call(client, "PATCH", "/customers/nobody%40example.com", operator(), {"note": "x"}).status_code == 404


def test_a_note_on_a_customer_known_only_from_a_ticket_keeps_their_contact_data(client, operator, services, settle):
    """The note may come before the stream saved the contact data: the data still lands."""
    from chalicelib.adapters.store.customers import CustomerStore

    answer = client.http.post(
        "/inquiries",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"name": "Cy Dale", "email": "cy@example.com", "message": "Hi", "phone": "+49 30 1"}),
    ).json_body
    call(client, "PATCH", "/customers/cy%40example.com", operator(), {"note": "VIP"})
    settle()
    customer = CustomerStore().customer("cy@example.com")
    assert (customer.name, customer.phone, customer.note) == ("Cy Dale", "+49 30 1", "VIP")
    assert answer["id"]


def test_one_ticket_merged_into_two_at_once_goes_to_one_only(client, services, new_ticket, clock, isolated_requests):
    first, source = _merged_pair(client, None, new_ticket, clock)
    second = new_ticket(message="And a third thing.")
    kim = Actor("operator", KIM)

    def merge(into):
        try:
            services.merges.merge(source["id"], {"into": into}, kim)
            return into
        except Exception as error:
            return getattr(error, "status", 500)

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(merge, (first["id"], second["id"])))
    [winner] = [o for o in outcomes if o in (first["id"], second["id"])]
    assert sorted(o for o in outcomes if o != winner) == [409]
    loser = second["id"] if winner == first["id"] else first["id"]
    assert services.store.ticket(source["id"]).merged_into == winner
    assert source["id"] not in services.store.ticket(loser).merged_from  # its thread is not read there


def test_a_split_that_stops_half_way_is_finished_by_the_stream(
    client, operator, new_ticket, clock, services, monkeypatch, settle
):
    ticket = new_ticket(message="Where is my parcel?")
    clock.advance(timedelta(minutes=3))
    inbound(client, raw(subject=f"Re: Parcel [{ticket['reference']}]", body="Also: can I return the mug?"))
    message = view(client, operator, ticket["id"])["messages"][-1]
    move_out = services.merges._move_out
    monkeypatch.setattr(services.merges, "_move_out", outage)
    failed = call(client, "POST", f"/tickets/{ticket['id']}/split", operator(), {"message": message["id"]})
    assert failed.status_code == 503
    assert view(client, operator, ticket["id"])["messages"][-1]["body"] == "Also: can I return the mug?"  # not lost
    monkeypatch.setattr(services.merges, "_move_out", move_out)
    settle()
    bodies = [m["body"] for m in view(client, operator, ticket["id"])["messages"] if m["direction"] == "in"]
    assert bodies == ["Where is my parcel?"]
