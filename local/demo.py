"""`make demo`: about 200 realistic tickets over the last 30 days in the
running `make run` stack (start it first), worked through by the app's own
services in simulated time (local/simulation.py): replies, customers
writing back, resolutions, ratings, SLA warnings and breaches, follow-ups.

Loads in batches so it can say how far it got. TICKETS, DAYS and PORT (or
URL) override the defaults. Standard library only."""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.request

BATCH = 50


def post(base: str, body: dict) -> dict:
    request = urllib.request.Request(
        f"{base}/_dev/demo", data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as answer:
        return json.load(answer)


def main() -> int:
    base = (os.environ.get("URL") or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}").rstrip("/")
    tickets, days = int(os.environ.get("TICKETS", "200")), int(os.environ.get("DAYS", "30"))
    started, totals = time.monotonic(), {}
    try:
        for n, size in enumerate([BATCH] * (tickets // BATCH) + ([tickets % BATCH] if tickets % BATCH else [])):
            loaded = post(base, {"tickets": size, "days": days, "seed": 11 + n})
            for key, value in loaded.items():
                if isinstance(value, int) and key != "seconds":
                    totals[key] = totals.get(key, 0) + value
            print(
                f"{totals['tickets']:4d} of {tickets} tickets loaded ({time.monotonic() - started:.0f} s)", flush=True
            )
    except urllib.error.URLError as error:
        print(
            f"Could not reach the stack at {base} ({error}). Start it with `make run` first (or set PORT or URL).",
            file=sys.stderr,
        )
        return 1
    print(", ".join(f"{value} {key.replace('_', ' ')}" for key, value in totals.items()))
    print(f"Have a look: {base}/admin (Metrics shows the last {days} days)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
