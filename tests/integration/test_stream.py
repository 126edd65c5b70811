"""The stream consumer under redelivery and partial failure: Lambda delivers
a batch again after a crash, and again from a reported failure; nothing a
customer or the numbers see may happen twice, and nothing may be lost."""

import json
from datetime import timedelta

import pytest

from chalicelib.adapters.aws import client as aws_client
from chalicelib.adapters.counters import Settlement
from chalicelib.adapters.stream import lambda_record
from chalicelib.services.consumer import actionable
from tests.calls import submit, volume
from tests.conftest import START
from tests.logs import log_lines


def records(settings):
    """Every record of the tickets table's stream, in Lambda's shape, from the start."""
    streams = aws_client("dynamodbstreams")
    found = []
    for stream in streams.list_streams(TableName=settings.table_prefix + "tickets")["Streams"]:
        for shard in streams.describe_stream(StreamArn=stream["StreamArn"])["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=stream["StreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            page = streams.get_records(ShardIterator=iterator)
            found += [lambda_record(r, stream["StreamArn"]) for r in page["Records"]]
    return found


def test_a_batch_delivered_twice_mails_schedules_and_counts_once(client, services, settings, mailbox, settle):
    from app import on_change

    def events():  # the local record of events is the process's: this test's part of it
        return client.http.get("/_dev/events").json_body[earlier:]

    earlier = len(client.http.get("/_dev/events").json_body)
    ids = [submit(client, email=f"c{n}@example.com")["id"] for n in range(3)]
    batch = records(settings)
    settle()  # the first delivery, as the local poller makes it
    sent, published = len(mailbox()), len(events())
    assert (sent, volume()) == (3, 3)

    answer = on_change({"Records": batch}, None)  # Lambda crashed after finishing: the same batch again
    assert answer == {"batchItemFailures": []}
    assert sorted(e["ticket_id"] for e in events()[published:] if e["type"] == "ticket.created") == sorted(ids)
    assert len(mailbox.unsettled()) == sent and volume() == 3
    schedules = aws_client("scheduler").list_schedules(GroupName=settings.scheduler_group)["Schedules"]
    assert len(schedules) == 3  # one per ticket, put again by name
    again = events()
    assert len(again) == 2 * published  # at least once: the same ids again, for subscribers to drop
    assert len({e["id"] for e in again}) == published


def test_a_longer_batch_after_a_failure_counts_only_what_is_new(client, services, settings, settle):
    from app import on_change

    submit(client, email="a@example.com")
    first = [r for r in records(settings) if actionable(r)]
    on_change({"Records": first}, None)
    submit(client, email="b@example.com")
    again = [r for r in records(settings) if actionable(r)]  # from the same first record, one more on the end
    on_change({"Records": again}, None)
    assert volume() == 2


def test_a_failing_record_is_reported_and_the_ones_before_it_are_done(client, services, settings, mailbox, monkeypatch):
    from app import on_change

    for n in range(3):
        submit(client, email=f"c{n}@example.com")
    batch = [r for r in records(settings) if actionable(r)]
    deliver, failing = services.delivery.deliver, batch[1]["dynamodb"]["Keys"]["pk"]["S"]

    def broken(ticket_id, *args, **kwargs):
        if ticket_id == failing:
            raise RuntimeError("DynamoDB answered 500")
        return deliver(ticket_id, *args, **kwargs)

    monkeypatch.setattr(services.delivery, "deliver", broken)
    with log_lines() as lines:
        answer = on_change({"Records": batch}, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": batch[1]["dynamodb"]["SequenceNumber"]}]}
    [failed] = [line for line in lines if line["level"] == "ERROR"]  # the line an operator searches for
    assert (failed["function"], failed["ticket_id"], failed["event"]) == ("on_change", failing, "created")
    assert "DynamoDB answered 500" in failed["error"]
    assert [m["to"] for m in mailbox.unsettled()] == [["Ann Lee <c0@example.com>"]]
    assert volume() == 1  # only what was done is counted

    monkeypatch.setattr(services.delivery, "deliver", deliver)
    assert on_change({"Records": batch[1:]}, None) == {"batchItemFailures": []}  # Lambda resumes there
    assert sorted(m["to"][0] for m in mailbox.unsettled()) == [f"Ann Lee <c{n}@example.com>" for n in range(3)]
    assert volume() == 3


@pytest.mark.parametrize("first_run_fails", ["events", "counters"])
def test_events_or_counters_failing_redo_the_batch_without_doubling_anything(
    client, services, settings, mailbox, monkeypatch, first_run_fails
):
    from app import on_change

    submit(client)
    batch = [r for r in records(settings) if actionable(r)]
    if first_run_fails == "events":
        target, name = services.bus, "publish"
    else:
        target, name = services.counters, "settle"
    original = getattr(target, name)

    def fail(*args, **kwargs):
        raise RuntimeError(f"{first_run_fails} unavailable")

    monkeypatch.setattr(target, name, fail)
    assert on_change({"Records": batch}, None)["batchItemFailures"] == [
        {"itemIdentifier": batch[0]["dynamodb"]["SequenceNumber"]}
    ]
    monkeypatch.setattr(target, name, original)
    assert on_change({"Records": batch}, None) == {"batchItemFailures": []}
    assert len(mailbox.unsettled()) == 1 and volume() == 1


def test_a_batch_larger_than_one_transaction_settles_and_counts_each_change_once(services, settings):
    # 150 changes moving 120 distinct counters: more items than one transaction takes, more
    # counters than one update holds; settled in chunks, each change counted once, again nothing.
    day, tickets = "2026-11-24", aws_client("dynamodb")
    for n in range(150):
        marker = {"g_retry": {"S": "redo#0"}, "retry_at": {"S": f"2026-11-24T09:00:00Z#t{n}"}}
        tickets.put_item(
            TableName=settings.table_prefix + "tickets", Item={"pk": {"S": f"t{n}"}, "sk": {"S": "e"}} | marker
        )
    settlements = [
        Settlement(f"t{n}", "e", {(day, "all"): {"volume:channel:web": 1, f"volume:category:c{n % 120:03}": 1}})
        for n in range(150)
    ]
    assert services.counters.settle(settlements) == 150
    assert services.counters.settle(settlements) == 0  # delivered again: every entry is settled
    counted = services.counters.read([day])[day]["all"]
    assert counted["volume:channel:web"] == 150
    assert [counted[f"volume:category:c{n:03}"] for n in (0, 29, 30, 119)] == [2, 2, 1, 1]
    assert services.store.unsettled(START + timedelta(days=1)) == {}


def test_an_empty_batch_is_no_failure(services):
    from app import on_change

    assert on_change({"Records": []}, None) == {"batchItemFailures": []}


def test_the_consumer_keeps_what_a_customer_told_us_last_time(client, operator, clock, settle):
    # The customer record, not their newest ticket: a later form without a phone keeps the
    # phone given before, takes the newer name, and the first visit stays the first.
    from datetime import timedelta

    first = submit(client, phone="+49 30 1234567", locale="de-DE", timezone="Europe/Berlin")
    settle()
    clock.advance(timedelta(days=3))
    submit(client, name="Ann Lee-Meyer")
    reply = json.dumps({"body": "It left our warehouse today."})  # an answer on the older ticket changes nothing here
    assert client.http.post(f"/tickets/{first['id']}/replies", headers=operator(), body=reply).status_code == 201
    settle()
    contact = client.http.get("/customers/ann@example.com", headers=operator()).json_body
    assert {k: contact[k] for k in ("name", "phone", "locale", "timezone")} == {
        "name": "Ann Lee-Meyer",
        "phone": "+49 30 1234567",
        "locale": "de-DE",
        "timezone": "Europe/Berlin",
    }
    assert contact["first_seen"] < contact["last_seen"]


def test_a_new_tickets_effects_read_it_once(client, services, settings, mailbox, monkeypatch, operator):
    from app import on_change

    admin = operator("admin", "lead@shop.example")
    assert client.http.put("/agents/kim@shop.example", headers=admin, body='{"available": true}').status_code == 200
    ticket = submit(client, name="Bea Kim", email="bea@example.com")
    reads = []
    collection = services.store.collection
    monkeypatch.setattr(services.store, "collection", lambda *a: reads.append(a) or collection(*a))
    monkeypatch.setattr(services.store, "ticket", lambda *_: pytest.fail("the new ticket was read again to assign it"))
    assert on_change({"Records": records(settings)}, None) == {"batchItemFailures": []}
    assert len(reads) == 1
    [ack] = mailbox.unsettled()
    assert ack["to"] == ["Bea Kim <bea@example.com>"] and ticket["reference"] in ack["subject"]
    assert client.http.get(f"/tickets/{ticket['id']}", headers=admin).json_body["assignee"] == "kim@shop.example"


def test_a_ticket_erased_before_the_consumer_ran_gets_no_acknowledgement(client, services, settings, mailbox, operator):
    from app import on_change

    submit(client)
    erased = client.http.request("DELETE", "/customers/ann@example.com", headers=operator("admin"))
    assert erased.status_code == 200
    assert on_change({"Records": records(settings)}, None) == {"batchItemFailures": []}
    assert mailbox.unsettled() == []  # the stream's image of the new ticket is not the ticket as it is now


def test_a_ticket_changed_before_the_consumer_ran_still_keeps_its_customer(client, operator, settle):
    ticket = submit(client, phone="+49 30 1234567")
    resolved = client.http.request(
        "PATCH", f"/tickets/{ticket['id']}", headers=operator(), body=json.dumps({"status": "resolved"})
    )
    assert resolved.status_code == 200
    settle()  # the new ticket and its change in one batch
    submit(client, name="Ann Lee-Meyer")  # without the phone given before
    settle()
    contact = client.http.get("/customers/ann@example.com", headers=operator()).json_body
    assert (contact["name"], contact["phone"]) == ("Ann Lee-Meyer", "+49 30 1234567")


def test_a_redelivered_batch_assigns_each_new_ticket_once(client, services, settings, mailbox, operator, settle):
    from app import on_change

    admin = operator("admin", "lead@shop.example")
    for agent in ("kim@shop.example", "lou@shop.example"):
        body = json.dumps({"available": True})
        assert client.http.put(f"/agents/{agent}", headers=admin, body=body).status_code == 200
    ids = [submit(client, email=f"c{n}@example.com")["id"] for n in range(2)]
    batch = records(settings)
    settle()
    owners = {i: client.http.get(f"/tickets/{i}", headers=operator()).json_body["assignee"] for i in ids}
    assert sorted(owners.values()) == ["kim@shop.example", "lou@shop.example"]

    # Again from the same images: their versions are stale now, so the ticket is read and kept as it is.
    assert on_change({"Records": batch}, None) == {"batchItemFailures": []}
    settle()
    for ticket_id, owner in owners.items():
        ticket = client.http.get(f"/tickets/{ticket_id}", headers=operator()).json_body
        assert ticket["assignee"] == owner
        assert [e["event"] for e in ticket["events"] if e["event"] == "assigned"] == ["assigned"]
    assignment_notices = [m for m in mailbox() if "kim@shop.example" in m["to"] or "lou@shop.example" in m["to"]]
    assert len(assignment_notices) == 2


def test_a_ticket_erased_after_its_batch_was_cut_gets_no_acknowledgement_and_no_contact_record(
    client, services, settings, mailbox, operator
):
    from app import on_change

    submit(client)
    batch = records(settings)  # the new ticket's item and its first entry; the erasure comes in a later batch
    erased = client.http.request("DELETE", "/customers/ann@example.com", headers=operator("admin"))
    assert erased.status_code == 200
    assert on_change({"Records": batch}, None) == {"batchItemFailures": []}
    later = records(settings)[len(batch) :]
    assert on_change({"Records": later}, None) == {"batchItemFailures": []}
    assert mailbox.unsettled() == []
    assert client.http.get("/customers/ann@example.com", headers=operator("admin")).status_code == 404


def lambda_filter_matches(pattern, event):
    """Lambda's event filtering, the part Careline's patterns use: an object
    matches key by key; a list names the values allowed, or is
    [{"exists": true}], which only a leaf (a string, a number, a boolean)
    satisfies, never an object or a list (the DynamoDB event filtering docs)."""
    for key, rule in pattern.items():
        value = event.get(key) if isinstance(event, dict) else None
        if isinstance(rule, dict):
            if not matches_object(rule, value):
                return False
        elif not any(allows(option, value) for option in rule):
            return False
    return True


def matches_object(rule, value):
    return isinstance(value, dict) and lambda_filter_matches(rule, value)


def allows(option, value):
    if isinstance(option, dict):
        assert option == {"exists": True}, "extend lambda_filter_matches before using another operator"
        return value is not None and not isinstance(value, dict | list)
    return value == option


def test_the_event_source_filters_let_through_exactly_the_records_with_effects(client, services, settings, operator):
    from chalicelib.services.consumer import FILTER_PATTERNS

    ticket = submit(client)
    client.http.post(f"/tickets/{ticket['id']}/replies", headers=operator(), body=json.dumps({"body": "On its way."}))
    stream = records(settings)
    assert any(actionable(r) for r in stream) and any(not actionable(r) for r in stream)
    for record in stream:
        passed = any(lambda_filter_matches(pattern, record) for pattern in FILTER_PATTERNS)
        assert passed == actionable(record), record["dynamodb"]["Keys"]


def test_a_creation_redone_after_the_customer_was_erased_leaves_nothing_to_find_them_by(
    client, services, settings, operator, settle
):
    from app import on_change

    submit(client, name="Dora Quist", message="My zither arrived broken")
    creation = records(settings)
    settle()
    admin = operator("admin", "lead@shop.example")
    assert client.http.request("DELETE", "/customers/ann@example.com", headers=admin).status_code == 200
    # Lambda delivers the creation's batch again (say its counters failed) after the erasure was written.
    assert on_change({"Records": creation}, None) == {"batchItemFailures": []}
    settle()
    for words in ("zither", "quist", "ann@example.com"):
        assert client.http.get(f"/tickets?q={words}", headers=admin).json_body["items"] == [], words
