"""`make demo`: about 200 realistic tickets over the last 30 days in the
running `make run` stack (start it first), worked through by the app's own
services in simulated time (local/simulation.py): replies, customers writing
back, resolutions, ratings, SLA warnings and breaches, follow-ups; the latest
ones still open, as a queue stands on a working day.

TICKETS, DAYS and PORT (or URL) override the defaults. Standard library only."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request


def post(base: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{base}/_dev/demo", data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as answer:
        return json.load(answer)


def main() -> int:
    base = (os.environ.get("URL") or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}").rstrip("/")
    tickets, days = int(os.environ.get("TICKETS", "200")), int(os.environ.get("DAYS", "30"))
    print(f"Playing {tickets} customers' tickets over the last {days} days in the stack at {base} ...", flush=True)
    started = time.monotonic()
    try:
        loaded = post(base, {"tickets": tickets, "days": days})
    except urllib.error.URLError as error:
        print(
            f"Could not reach the stack at {base} ({error}). Start it with `make run` first (or set PORT or URL).",
            file=sys.stderr,
        )
        return 1
    queue = loaded.pop("queue")
    print(", ".join(f"{v} {k.replace('_', ' ')}" for k, v in loaded.items() if isinstance(v, int)), end="")
    print(f" ({time.monotonic() - started:.0f} s)")
    print(
        f"Still to work on: {queue['total']} open tickets ({queue['new']} new, {queue['open']} open, "
        f"{queue['pending']} pending), {queue['overdue']} overdue"
    )
    print(f"Have a look: {base}/admin (sign in as kim@shop.example, an agent; Metrics shows the last {days} days)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
