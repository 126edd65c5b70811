"""The ticket beside a slow store: how long an operator waits, in Chromium,
until a ticket is readable (its heading and thread painted) and until its
Orders panel has the store's answer or says the store did not answer, when
the store (the local one of `make run`, `local/shop.py`) answers in 200 ms,
in 5 s, and not at all.

Goal: the ticket is as quickly readable whatever the store does (within
100 ms of the 200 ms case), and the panel settles within the stage's
timeout (2.5 s) plus a little. Each case runs REPEAT times, each time on a
fresh answer (the dev clock moves on past the API's two-minute cache and
its 30-second pause after a failure); medians are reported.

    python -m bench.ticket_view [--base URL]   (default: start a stack on free ports)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from contextlib import nullcontext

from tests.stack import loopback_only, running_stack

CASES = (("200 ms", {"delay_ms": 200}), ("5 s", {"delay_ms": 5000}), ("no answer", {"silent": True}))
REPEAT = 5
CHROMIUM = "/usr/bin/chromium"


def _post(base: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


def measure(base: str | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    starting = nullcontext({"base": base}) if base else running_stack()
    with starting as stack, sync_playwright() as playwright:
        base = loopback_only(stack["base"])
        ticket = _post(
            base,
            "/inquiries",
            {"name": "Ann Lee", "email": "ann@example.com", "message": "Where is my parcel?", "order_id": "A-1001"},
        )["id"]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/admin/index.html")
        page.fill("#email", "kim@shop.example")
        page.click("#sign-in")
        page.wait_for_selector("h1")
        results: dict = {}
        try:
            for name, behaviour in CASES:
                readable, settled, said = [], [], ""
                for _ in range(REPEAT):
                    _post(base, "/_dev/shop", {})
                    _post(base, "/_dev/clock", {"advance_minutes": 3})  # past the cache and the pause
                    _post(base, "/_dev/shop", behaviour)
                    page.evaluate("location.hash = '#/inbox'")
                    page.wait_for_selector("h1:text('Inbox')")
                    started = time.perf_counter()
                    page.evaluate(f"location.hash = '#/tickets/{ticket}'")
                    page.wait_for_selector("#ticket-title")
                    readable.append(time.perf_counter() - started)
                    page.wait_for_selector("#orders:not([aria-busy])", timeout=30_000)
                    settled.append(time.perf_counter() - started)
                    said = page.inner_text("#orders").split("\n")[0]
                results[name] = {
                    "readable_ms": round(statistics.median(readable) * 1000),
                    "readable_max_ms": round(max(readable) * 1000),
                    "orders_ms": round(statistics.median(settled) * 1000),
                    "orders_say": said,
                }
        finally:
            _post(base, "/_dev/shop", {})
            browser.close()
    return results


def report(results: dict) -> list[str]:
    lines = [f"ticket_view: the ticket in Chromium beside a slow store (medians of {REPEAT})"]
    fastest = results["200 ms"]["readable_ms"]
    for name, r in results.items():
        verdict = "PASS" if r["readable_ms"] <= fastest + 100 else "FAIL"
        readable = f"ticket readable {r['readable_ms']:>4} ms (max {r['readable_max_ms']}) {verdict}"
        lines.append(f"  store answers in {name:>9}: {readable}; orders panel settled {r['orders_ms']:>5} ms")
        lines.append(f"      the panel says: {r['orders_say']!r}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="a running local stack (default: start one)")
    args = parser.parse_args(argv)
    print("\n".join(report(measure(args.base))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
