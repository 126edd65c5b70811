"""A team on one customer (issue 22), measured.

1. Two operators replying at once, ROUNDS times, through the API of a
   `make run` stack (started here with CARELINE_RATE_LIMITS=off, or `--base`
   for one already running; loopback only): each round a new ticket, both
   read its version, both send a reply with If-Match at the same moment.
   Goal: exactly one 201 and one 412 every round, and exactly one reply
   email per round in /_dev/mail. Then callers who send no If-Match (issue
   24, finding 10): BURST replies at once to one ticket, BURST_ROUNDS times.
   Goal: every one 201, none 412.

2. A merge of 3 tickets (two merged into the third) at 20,000 tickets
   (bench/seed.py, put straight into the emulator), through the API on the
   in-process emulator: AWS calls, DynamoDB write units and read units
   (bench/capacity.py: DynamoDB's sizing rules) of the requests and of the
   stream consumer's work they cause; the target's view read after; then
   the customer's mail to a merged ticket, which must land on its target.

    python -m bench.collab [--rounds 50] [--base URL] [--tickets 20000]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from functools import partial

from tests.stack import loopback_only, running_stack

from .aws_calls import START, counting_calls, emulated_app, operator_headers
from .capacity import metering, reading
from .load import Client

ROUNDS = 50
BURST, BURST_ROUNDS = 20, 5
TICKETS = 20_000
OPERATORS = ("kim@shop.example", "lou@shop.example")


# 1. Replies at once, through the API


def _inquiry(client: Client, n: int, tag: str) -> dict:
    status, body = client.call(
        "POST",
        "/inquiries",
        {"name": "Ann Lee", "email": f"race{n}.{tag}@example.com", "subject": f"Race {n}", "message": "Where is it?"},
    )
    if status != 201:
        raise RuntimeError(f"inquiry {n}: HTTP {status} {body[:200]!r}")
    return json.loads(body)


def _together(calls) -> list[int]:
    """Run the calls at the same moment (a barrier between their threads); their statuses."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()[0]

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def replies_race(base: str, rounds: int = ROUNDS) -> dict:
    client = Client(base)
    tag = str(int(time.time()))
    tokens = {}
    for email in OPERATORS:
        _, body = client.call("POST", "/_dev/token", {"email": email, "role": "agent"})
        tokens[email] = {"Authorization": f"Bearer {json.loads(body)['token']}"}
    outcomes: Counter = Counter()
    one_email, references = 0, []
    started = time.perf_counter()
    for n in range(rounds):
        ticket = _inquiry(client, n, tag)
        references.append(ticket["reference"])
        path = f"/tickets/{ticket['id']}"
        version = json.loads(client.call("GET", path, headers=tokens[OPERATORS[0]])[1])["version"]
        calls = [
            partial(
                client.call,
                "POST",
                f"{path}/replies",
                {"body": f"Hello, {email} here: it is on its way."},
                tokens[email] | {"If-Match": f'"{version}"'},
            )
            for email in OPERATORS
        ]
        statuses = sorted(_together(calls))
        outcomes[tuple(statuses)] += 1
    race_seconds = time.perf_counter() - started
    mail = json.loads(client.call("GET", "/_dev/mail")[1])
    sent = Counter(
        ref for m in mail if m["subject"].startswith("Re:") for ref in references if f"[{ref}]" in m["subject"]
    )
    one_email = sum(1 for ref in references if sent[ref] == 1)

    burst: Counter = Counter()
    burst_replies = []
    for n in range(BURST_ROUNDS):
        ticket = _inquiry(client, 1000 + n, tag)
        path = f"/tickets/{ticket['id']}/replies"
        calls = [
            partial(client.call, "POST", path, {"body": f"Answer {k}"}, tokens[OPERATORS[k % 2]]) for k in range(BURST)
        ]
        burst.update(_together(calls))
        view = json.loads(client.call("GET", f"/tickets/{ticket['id']}", headers=tokens[OPERATORS[0]])[1])
        burst_replies.append(sum(1 for m in view["messages"] if m["direction"] == "out" and m["body"]))
    return {
        "rounds": rounds,
        "outcomes": {"/".join(map(str, k)): v for k, v in outcomes.items()},
        "one_email": one_email,
        "seconds": race_seconds,
        "burst": dict(burst),
        "burst_replies": burst_replies,
    }


# 2. A merge at 20,000 tickets


@contextmanager
def measured():
    """Calls, write units and read units of the block."""
    with counting_calls() as calls, metering() as writes, reading() as reads:
        yield calls, writes, reads


def _numbers(calls, writes, reads) -> dict:
    return {
        "calls": calls.total,
        "by_call": {f"{s}:{o}": n for (s, o), n in sorted(calls.calls.items()) if s != "dynamodbstreams"},
        "write_units": writes.total,
        "read_units": reads.units,
    }


def merge_at_scale(tickets: int = TICKETS) -> dict:
    from local.stream import drain

    from . import seed

    lives = seed.lives(tickets, START)
    with emulated_app() as client:
        written = seed.store(lives)
        kim = operator_headers(client, "kim@shop.example")

        def inquiry(message: str, subject: str) -> dict:
            body = {"name": "Ann Lee", "email": "merge.bench@example.com", "message": message, "subject": subject}
            answer = client.http.post("/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(body))
            return answer.json_body

        target = inquiry("My parcel A-1001 has not arrived.", "Parcel")
        sources = [inquiry("The invoice for A-1001 is wrong.", "Invoice"), inquiry("The box was wet.", "Box")]
        for n, ticket in enumerate([target, *sources]):  # a reply and a note each: threads as they are
            client.http.post(f"/tickets/{ticket['id']}/notes", headers=kim, body=json.dumps({"body": f"Note {n}"}))
        client.http.post(f"/tickets/{target['id']}/replies", headers=kim, body=json.dumps({"body": "Checking."}))
        drain()
        results = []
        for source in sources:
            with measured() as request:
                answer = client.http.post(
                    f"/tickets/{source['id']}/merge", headers=kim, body=json.dumps({"into": target["id"]})
                )
            if answer.status_code != 200:
                raise RuntimeError(f"merge: HTTP {answer.status_code} {answer.body!r}")
            with measured() as consumer:
                drain()
            results.append({"request": _numbers(*request), "consumer": _numbers(*consumer)})
        with measured() as viewing:
            view = client.http.get(f"/tickets/{target['id']}", headers=kim).json_body
        raw = (
            "From: Ann Lee <merge.bench@example.com>\r\nTo: support@careline.example\r\n"
            f"Subject: Re: Box [{sources[1]['reference']}]\r\nMessage-ID: <bench-merge@example.com>\r\n\r\n"
            "It is dry now."
        ).encode()
        landed = client.http.post("/_dev/inbound", headers={"Content-Type": "message/rfc822"}, body=raw).json_body
    return {
        "tickets": tickets,
        "written": dict(written),
        "merges": results,
        "view": _numbers(*viewing) | {"messages": len(view["messages"]), "merged_from": len(view["merged_from"])},
        "landed": landed["ticket_id"] == target["id"] and landed["action"] == "appended",
        "landed_reason": landed["reason"],
    }


def measure(
    rounds: int = ROUNDS, tickets: int = TICKETS, base: str | None = None, *, race: bool = True, merge: bool = True
) -> dict:
    """Both measurements (the race on `base`, else on a stack started here)."""
    result: dict = {"race": None, "merge": None}
    if race:
        context = nullcontext({"base": loopback_only(base)}) if base else running_stack({"CARELINE_RATE_LIMITS": "off"})
        with context as stack:
            result["race"] = replies_race(stack["base"], rounds)
    if merge:
        result["merge"] = merge_at_scale(tickets)
    return result


def report(result: dict) -> list[str]:
    race, merge = result["race"], result["merge"]
    lines = []
    if race:
        ok = race["outcomes"].get("201/412", 0)
        verdict = "PASS" if ok == race["rounds"] and race["one_email"] == race["rounds"] else "FAIL"
        lines += [
            f"Two operators replying at once with If-Match, {race['rounds']} rounds through the API "
            f"({race['seconds']:.1f} s): answers {race['outcomes']} (goal: 201/412 every round); "
            f"rounds with exactly one reply email: {race['one_email']}/{race['rounds']}  {verdict}",
            f"{BURST} replies at once without If-Match, {BURST_ROUNDS} times: answers {race['burst']}; replies "
            f"stored per ticket {race['burst_replies']} (goal: every one 201, none 412)  "
            f"{'PASS' if set(race['burst']) == {201} and set(race['burst_replies']) == {BURST} else 'FAIL'}",
        ]
    if merge:
        lines.append(f"Merging 3 tickets of one customer (two into the third) at {merge['tickets']:,} tickets:")
        for n, step in enumerate(merge["merges"], 1):
            for part in ("request", "consumer"):
                s = step[part]
                lines.append(
                    f"  merge {n}, {part:8s}: {s['calls']:3d} AWS calls, {s['write_units']:3d} write units, "
                    f"{s['read_units']:5.1f} read units  {s['by_call']}"
                )
        v = merge["view"]
        lines.append(
            f"  the target's view after: {v['calls']} calls, {v['read_units']:.1f} read units "
            f"({v['messages']} messages from {v['merged_from'] + 1} tickets)"
        )
        lines.append(
            f"  mail to a merged ticket lands on its target: {'PASS' if merge['landed'] else 'FAIL'} "
            f"({merge['landed_reason']})"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--tickets", type=int, default=TICKETS)
    parser.add_argument("--base", help="a running stack (loopback only); else one is started")
    parser.add_argument("--skip-race", action="store_true")
    parser.add_argument("--skip-merge", action="store_true")
    args = parser.parse_args()
    result = measure(args.rounds, args.tickets, args.base, race=not args.skip_race, merge=not args.skip_merge)
    print("\n".join(report(result)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
