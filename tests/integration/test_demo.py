"""A stack that is not empty: the local stage's demo roster and macros, and
demo tickets worked through simulated weeks by the app's own services."""

from tests.calls import call


def test_the_local_stage_starts_with_its_demo_agents_and_macros_once(client, operator, services, new_ticket):
    from local.provision import seed

    assert seed(services) == {"agents": 3, "macros": 4}
    admin = operator("admin", "lead@shop.example")
    call(client, "DELETE", "/macros/return-label", admin)
    assert seed(services) == {"agents": 0, "macros": 0}  # what operators changed stays changed
    roster = {a["email"]: (a["name"], a["available"]) for a in call(client, "GET", "/agents", admin).json_body["items"]}
    assert roster["kim@shop.example"] == ("Kim Meyer", True) and roster["sam@shop.example"] == ("Sam Okafor", False)
    assert new_ticket()["id"] and call(client, "GET", "/tickets", admin).json_body["items"][0]["assignee"] in (
        "kim@shop.example",
        "lou@shop.example",
    )


def test_demo_tickets_are_worked_through_simulated_weeks(client, operator, services):
    from local.provision import seed

    seed(services)
    loaded = call(client, "POST", "/_dev/demo", {}, {"tickets": 14, "days": 6, "seed": 3})
    assert loaded.status_code == 200, loaded.body
    counts = loaded.json_body
    assert counts["tickets"] == 14 and counts["replies"] >= 12 and counts["resolved"] >= 9
    assert counts["until"] == "2026-11-24T09:00:00Z" and counts["since"] == "2026-11-18T09:00:00Z"
    admin = operator("admin", "lead@shop.example")
    report = call(client, "GET", "/metrics?since=2026-11-18&until=2026-11-24", admin).json_body
    assert report["volume"]["total"] == 14
    assert sum(d["volume"] for d in report["daily"]) == 14 and len([d for d in report["daily"] if d["volume"]]) >= 4
    assert report["first_response_time"]["count"] >= 12 and report["csat"]["responses"] >= 3
    assert report["sla_attainment"]["first_response"]["breached"] >= 1  # fired on time by the simulated scheduler
    assert {a["email"] for a in report["agents"] if a["handled"]} == {"kim@shop.example", "lou@shop.example"}
    # Time is back to the stack's own clock, and the tickets are searchable.
    assert call(client, "GET", "/tickets?q=order", admin).json_body["server_time"] == "2026-11-24T09:00:00Z"
    assert (
        call(client, "GET", "/tickets?q=parcel", admin).json_body["items"]
        or call(client, "GET", "/tickets?q=order", admin).json_body["items"]
    )
    assert call(client, "POST", "/_dev/demo", {}, {"tickets": 0}).status_code == 400


def test_the_emulator_still_rolls_a_failed_transaction_back_whole(services):
    """The local emulator's cheaper rollback (dev/emulator.py): no item, change or stream record stays."""
    import pytest
    from pynamodb.exceptions import TransactWriteError
    from pynamodb.transactions import TransactWrite

    from chalicelib.adapters.aws import client
    from chalicelib.adapters.tables import Claim, TicketTable, table_name, transaction_connection

    TicketTable("t1", "#", kind="ticket", status="open", version=1).save()
    Claim("taken").save()
    streams = client("dynamodbstreams")
    arn = streams.list_streams(TableName=table_name("tickets"))["Streams"][0]["StreamArn"]

    def records():
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        return len(streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"])

    before = records()
    with pytest.raises(TransactWriteError), TransactWrite(connection=transaction_connection()) as tx:
        tx.update(TicketTable("t1", "#"), actions=[TicketTable.status.set("closed")])
        tx.save(TicketTable("t1", "e1", kind="note", body="never"))
        tx.save(Claim("taken"), condition=Claim.key.does_not_exist())
    assert TicketTable.get("t1", "#").status == "open"
    assert [i.sk for i in TicketTable.query("t1")] == ["#"]
    assert records() == before
    with TransactWrite(connection=transaction_connection()) as tx:  # and a good one still commits
        tx.update(TicketTable("t1", "#"), actions=[TicketTable.status.set("closed")])
        tx.save(TicketTable("t1", "e1", kind="note", body="kept"))
    assert [(i.sk, i.status) for i in TicketTable.query("t1")] == [("#", "closed"), ("e1", None)]
    assert records() == before + 2


def test_the_emulator_reads_a_partition_as_moto_would(services):
    from chalicelib.adapters.tables import TicketTable

    for pk in ("a", "b"):
        for sk in ("#", "2026-11-24T09:00:00Z#000002", "2026-11-24T08:00:00Z#000001"):
            TicketTable(pk, sk, kind="note").save()
    assert [i.sk for i in TicketTable.query("a")] == ["#", "2026-11-24T08:00:00Z#000001", "2026-11-24T09:00:00Z#000002"]
    assert [
        i.sk for i in TicketTable.query("b", TicketTable.sk.startswith("2026"), scan_index_forward=False, limit=1)
    ] == ["2026-11-24T09:00:00Z#000002"]
    assert list(TicketTable.query("nobody")) == []
    assert [i.pk for i in TicketTable.by_all.query("missing")] == []


def test_a_demo_leaves_its_latest_tickets_open_for_the_inbox(client, operator, services):
    from local.provision import seed

    seed(services)
    queue = call(client, "POST", "/_dev/demo", {}, {"tickets": 40, "days": 8, "seed": 5}).json_body["queue"]
    agent = operator("agent", "kim@shop.example")
    inbox = {
        status: call(client, "GET", f"/tickets?status={status}&limit=100", agent).json_body["items"]
        for status in ("new", "open", "pending")
    }
    assert {s: len(items) for s, items in inbox.items()} == {s: queue[s] for s in inbox}
    listed = [t for items in inbox.values() for t in items]
    assert len(listed) == queue["total"] >= 5 and len([s for s in inbox if inbox[s]]) >= 2  # the latest 12 %
    assert {t["assignee"] for t in listed} <= {"kim@shop.example", "lou@shop.example"}  # all assigned, sam is away
    badges = [t["sla_badge"]["state"] for t in listed if t["sla_badge"]]
    assert "breached" not in badges and queue["overdue"] == 0  # forgotten only in demos of a hundred or more
    assert min(t["created_at"] for t in listed) >= "2026-11-22T21:00:00Z"  # the last day and a half
