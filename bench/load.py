"""`make load`: a bounded load on the local stack, then the books are checked.

2,000 intakes (POST /inquiries) at concurrency 32 against `make run`, started
here with CARELINE_RATE_LIMITS=off (or `--base` for one already running),
loopback only. Prints throughput, p50/p95/max latency and the answers by
status; then checks, through the public contract only, that

    stored = accepted = acknowledged, each exactly once:

- accepted: the references of the 201 answers;
- stored: the run's tickets the operator API lists (GET /tickets, paged,
  with a /_dev/token admin token);
- acknowledged: /_dev/mail, one acknowledgement per reference (its subject
  carries `[reference]`), none twice, none for a request that was refused.

Exits non-zero on any 5xx or any difference.

    python -m bench.load [--count 2000] [--concurrency 32] [--base URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from urllib.parse import urlsplit

from tests.stack import loopback_only, running_stack

MAX_SECONDS = 1800  # the whole run, sending and checking


@dataclass
class Answer:
    number: int
    status: int  # 0: no answer (connection failed or timed out)
    seconds: float
    reference: str | None = None
    detail: str = ""


class Client:
    """HTTP/1.1 to the stack; a fresh connection per call (the local server closes them)."""

    def __init__(self, base: str, timeout: float = 60) -> None:
        parts = urlsplit(loopback_only(base))
        self.host, self.port, self.timeout = parts.hostname, parts.port or 80, timeout

    def call(self, method: str, path: str, body: object = None, headers: dict | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            data = None if body is None else json.dumps(body).encode()
            connection.request(
                method,
                path,
                body=data,
                headers={**({"Content-Type": "application/json"} if data is not None else {}), **(headers or {})},
            )
            answer = connection.getresponse()
            return answer.status, answer.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, body: object = None, headers: dict | None = None):
        status, raw = self.call(method, path, body, headers)
        if status != 200:
            raise RuntimeError(f"{method} {path} answered {status}: {raw[:300]!r}")
        return json.loads(raw)


def inquiry(run: str, number: int) -> dict:
    return {
        "name": f"Load {run} {number}",
        "email": f"load-{run}-{number}@example.com",
        "subject": f"Load {run} #{number}",
        "message": f"Where is parcel {number}? (load run {run})",
    }


def send(client: Client, run: str, number: int, deadline: float) -> Answer:
    if time.monotonic() > deadline:
        return Answer(number, 0, 0.0, detail="not sent: time budget spent")
    started = time.perf_counter()
    try:
        status, raw = client.call("POST", "/inquiries", inquiry(run, number))
    except (OSError, http.client.HTTPException) as error:
        return Answer(number, 0, time.perf_counter() - started, detail=repr(error))
    seconds = time.perf_counter() - started
    reference = None
    if status == 201:
        try:
            reference = json.loads(raw)["reference"]
        except (ValueError, KeyError):
            return Answer(number, status, seconds, detail=f"201 without a reference: {raw[:200]!r}")
    return Answer(number, status, seconds, reference, "" if status == 201 else raw[:200].decode("utf-8", "replace"))


def stored_references(client: Client, run: str) -> Counter:
    """The references of this run's tickets, as the operator API lists them."""
    token = client.json("POST", "/_dev/token", {"email": "load@shop.example", "role": "admin"})["token"]
    found: Counter = Counter()
    cursor, pages = None, 0
    while pages < 10_000:
        path = "/tickets?limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = client.json("GET", path, headers={"Authorization": f"Bearer {token}"})
        found.update(item["reference"] for item in page["items"] if f"load-{run}-" in json.dumps(item))
        cursor, pages = page.get("next_cursor"), pages + 1
        if not cursor:
            return found
    raise RuntimeError("more than 10,000 pages of tickets")


def acknowledged_references(client: Client, run: str, references: set[str]) -> tuple[Counter, int]:
    """How often each reference's acknowledgement went to this run's addresses,
    and how many of the run's emails name no accepted reference."""
    counts: Counter = Counter()
    strays = 0
    for mail in client.json("GET", "/_dev/mail"):
        if not any(f"load-{run}-" in to for to in mail["to"]):
            continue
        named = [r for r in _bracketed(mail["subject"]) if r in references]
        counts.update(named)
        strays += not named
    return counts, strays


def _bracketed(subject: str) -> list[str]:
    return [part.split("]", 1)[0] for part in subject.split("[")[1:] if "]" in part]


def percentile(values: list[float], share: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(share * 100) - 1]


def run_load(base: str, count: int, concurrency: int, max_seconds: int = MAX_SECONDS) -> dict:
    client = Client(base)
    run = uuid.uuid4().hex[:8]
    deadline = time.monotonic() + max_seconds
    started = time.perf_counter()
    answers: list[Answer] = []
    with ThreadPoolExecutor(concurrency) as pool:
        for answer in pool.map(lambda n: send(client, run, n, deadline), range(count)):
            answers.append(answer)
            if len(answers) % max(1, count // 10) == 0:
                print(
                    f"  {len(answers)} of {count} answered ({time.perf_counter() - started:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    elapsed = time.perf_counter() - started
    # /_dev/mail answers once the stream consumer has done everything caused so far.
    books = Client(base, timeout=max(60.0, deadline - time.monotonic()))
    accepted = Counter(a.reference for a in answers if a.status == 201)
    waited = time.perf_counter()
    acknowledged, strays = acknowledged_references(books, run, set(accepted))
    caught_up = time.perf_counter() - waited
    stored = stored_references(books, run)
    acknowledged, strays = acknowledged_references(books, run, set(stored) | set(accepted))
    latencies = sorted(a.seconds for a in answers if a.status)
    statuses = Counter(a.status for a in answers)
    return {
        "run": run,
        "count": count,
        "concurrency": concurrency,
        "seconds": elapsed,
        "consumer_caught_up_after": caught_up,
        "per_second": count / elapsed if elapsed else 0.0,
        "statuses": dict(sorted(statuses.items())),
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "max": max(latencies, default=0.0),
        "server_errors": sum(n for s, n in statuses.items() if s >= 500),
        "no_answer": statuses.get(0, 0),
        "accepted": len(accepted),
        "stored": sum(stored.values()),
        "acknowledged": sum(acknowledged.values()),
        "accepted_not_stored": sorted(set(accepted) - set(stored)),
        "stored_not_accepted": sorted(set(stored) - set(accepted)),
        "stored_twice": sorted(r for r, n in stored.items() if n > 1),
        "accepted_not_acknowledged": sorted(set(accepted) - set(acknowledged)),
        "acknowledged_not_accepted": sorted(set(acknowledged) - set(accepted)),
        "acknowledged_twice": sorted(r for r, n in acknowledged.items() if n > 1),
        "emails_naming_no_request": strays,
        "examples": [a.detail for a in answers if a.status != 201][:5],
    }


DIFFERENCES = (
    "accepted_not_stored",
    "stored_not_accepted",
    "stored_twice",
    "accepted_not_acknowledged",
    "acknowledged_not_accepted",
    "acknowledged_twice",
    "emails_naming_no_request",
)


def exact(result: dict) -> bool:
    return not any(result[key] for key in DIFFERENCES)


def report(result: dict) -> list[str]:
    lines = [
        f"load: {result['count']} intakes at concurrency {result['concurrency']} in {result['seconds']:.1f} s "
        f"({result['per_second']:.1f}/s)",
        f"  answers by status: {result['statuses']}  (0 = no answer)",
        f"  latency: p50 {result['p50'] * 1000:.0f} ms, p95 {result['p95'] * 1000:.0f} ms, "
        f"max {result['max'] * 1000:.0f} ms",
        f"  5xx: {result['server_errors']}, no answer: {result['no_answer']}",
        f"  the stream consumer had done everything {result['consumer_caught_up_after']:.0f} s after the last answer",
        f"  accepted {result['accepted']}, stored {result['stored']}, acknowledged {result['acknowledged']}: "
        + ("stored = accepted = acknowledged, each exactly once" if exact(result) else "DIFFERENT"),
    ]
    for key in DIFFERENCES[:-1]:
        if result[key]:
            lines.append(f"  {key.replace('_', ' ')}: {len(result[key])} (e.g. {', '.join(result[key][:3])})")
    if result["emails_naming_no_request"]:
        lines.append(f"  emails naming no request: {result['emails_naming_no_request']}")
    if result["examples"]:
        lines.append(f"  examples of other answers: {result['examples'][:3]}")
    return lines


def passed(result: dict) -> bool:
    return result["server_errors"] == 0 and result["no_answer"] == 0 and exact(result)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="bounded load on the local stack, then stored = accepted = acknowledged exactly once"
    )
    parser.add_argument(
        "--base", help="a running local stack started with CARELINE_RATE_LIMITS=off (default: start one)"
    )
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--max-seconds", type=int, default=MAX_SECONDS)
    args = parser.parse_args(argv)
    starting = nullcontext({"base": args.base}) if args.base else running_stack({"CARELINE_RATE_LIMITS": "off"})
    with starting as stack:
        try:
            result = run_load(stack["base"], args.count, args.concurrency, args.max_seconds)
        except Exception:
            print("".join(list(stack.get("output", ()))[-40:]), file=sys.stderr)  # what the stack said last
            raise
    print("\n".join(report(result)), flush=True)
    return 0 if passed(result) else 1


if __name__ == "__main__":
    sys.exit(main())
