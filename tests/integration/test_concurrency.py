"""Many hands on the same data: paging while tickets arrive, operators
writing to one ticket at once."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from chalicelib.domain.errors import PreconditionFailed
from chalicelib.domain.ticket import Actor


def test_paging_while_tickets_arrive_has_no_gaps_or_duplicates(client, operator, new_ticket, clock):
    existing = []
    for n in range(12):
        clock.advance(timedelta(seconds=30))
        existing.append(new_ticket(email=f"c{n}@example.com")["id"])
    seen, cursor, added = [], None, 0
    while True:
        clock.advance(timedelta(seconds=30))
        new_ticket(email=f"late{added}@example.com")  # arrives between pages
        added += 1
        query = "/tickets?status=new&limit=5" + (f"&cursor={cursor}" if cursor else "")
        page = client.http.get(query, headers=operator()).json_body
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))  # no duplicates
    assert set(existing) <= set(seen)  # no gaps among what was there when paging began
    assert [i for i in seen if i in existing] == sorted(existing, reverse=True)  # newest first throughout


def test_concurrent_writers_never_lose_a_write(client, services, new_ticket, isolated_requests):
    ticket = new_ticket()
    operators = [Actor("operator", f"op{n}@shop.example") for n in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda op: services.tickets.note(ticket["id"], {"body": f"note by {op.email}"}, op), operators))
    view = services.tickets.get(ticket["id"])
    assert sorted(n["author"] for n in view["notes"]) == sorted(op.email for op in operators)
    assert view["version"] == 1 + len(operators)


def test_two_operators_with_the_same_version_one_wins_one_hears_412(client, services, new_ticket):
    ticket = new_ticket()
    ann, bob = (Actor("operator", e) for e in ("ann@shop.example", "bob@shop.example"))
    services.tickets.patch(ticket["id"], {"priority": "high"}, 1, ann)
    try:
        services.tickets.patch(ticket["id"], {"priority": "low"}, 1, bob)
        raise AssertionError("a stale change was applied")
    except PreconditionFailed as stale:
        assert stale.current_version == 2
    assert services.tickets.get(ticket["id"])["priority"] == "high"


def test_simultaneous_intakes_are_all_stored_and_counted(client, services, isolated_requests, operator, settle):
    def submit(n):
        return services.intake.submit(
            {"name": f"C{n}", "email": f"c{n}@example.com", "message": "Hello"},
            idempotency_key=None,
            sender=f"10.0.0.{n}",
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(submit, range(12)))
    assert len({a["id"] for a in answers}) == 12
    settle()
    metrics = client.http.get("/metrics", headers=operator()).json_body
    assert metrics["volume"]["total"] == 12 and metrics["backlog"]["by_status"] == {"new": 12}


def test_a_change_landing_between_read_and_write_is_412_with_the_version_now(
    client, services, new_ticket, operator, monkeypatch
):
    ticket = new_ticket()
    commit = services.store.commit

    def raced(change, **kwargs):  # Bob's change lands after Ann's read, before her write
        monkeypatch.setattr(services.store, "commit", commit)
        services.tickets.patch(ticket["id"], {"priority": "high"}, None, Actor("operator", "bob@shop.example"))
        return commit(change, **kwargs)

    monkeypatch.setattr(services.store, "commit", raced)
    stale = client.http.request(
        "PATCH",
        f"/tickets/{ticket['id']}",
        headers=operator() | {"If-Match": '"1"'},
        body=json.dumps({"priority": "low"}),
    )
    assert (stale.status_code, stale.headers["ETag"]) == (412, '"2"')
    assert services.tickets.get(ticket["id"])["priority"] == "high"


def test_a_change_that_changes_nothing_answers_the_ticket_as_it_is(client, services, new_ticket, operator):
    ticket = new_ticket()
    same = client.http.request(
        "PATCH",
        f"/tickets/{ticket['id']}",
        headers=operator() | {"If-Match": '"1"'},
        body=json.dumps({"priority": "normal"}),
    )
    assert (same.status_code, same.json_body["version"], same.json_body["priority"]) == (200, 1, "normal")
    assert same.json_body["messages"][0]["body"] == "Where is my parcel?"


def test_a_ticket_changed_before_every_attempt_is_busy_503_never_412_without_if_match(
    client, services, new_ticket, operator, monkeypatch
):
    """Issue 24, finding 10: a caller who sent no If-Match never hears 412.
    Against a ticket changed between each of its reads and writes, it tries
    for the writer's budget, then the ticket is busy: 503 with Retry-After,
    nothing stored."""
    from chalicelib.services.writer import CONTENDED_BUDGET

    ticket = new_ticket()
    commit, bob = services.store.commit, Actor("operator", "bob@shop.example")

    def contended(change, **kwargs):  # Bob's note lands between each of Ann's reads and writes
        monkeypatch.setattr(services.store, "commit", commit)
        services.tickets.note(ticket["id"], {"body": "Checked the courier."}, bob)
        monkeypatch.setattr(services.store, "commit", contended)
        return commit(change, **kwargs)

    monkeypatch.setattr(services.store, "commit", contended)
    started = services.clock.now()
    answer = client.http.request(
        "PATCH", f"/tickets/{ticket['id']}", headers=operator(), body=json.dumps({"priority": "low"})
    )
    view = services.tickets.get(ticket["id"])
    assert (answer.status_code, answer.headers["Retry-After"]) == (503, "1")
    assert view["priority"] == "normal" and view["version"] > 2  # many tries, none of them hers
    assert services.clock.now() - started >= CONTENDED_BUDGET
