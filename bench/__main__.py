"""`make bench`: every benchmark in turn, a short report. Goals are printed as
PASS/FAIL for people to read; the exit status is non-zero only if a
benchmark crashed, since timings depend on the host."""

from __future__ import annotations

import sys
import time
import traceback

from . import (
    aws_calls,
    cold_start,
    collab,
    cost,
    email_rendering,
    listing_reads,
    metrics_reads,
    search_reads,
    sla_lifecycle,
    write_units,
)

# Fresh interpreters first: a child forked from this process once it holds
# 20,000 tickets would report its peak memory (Linux keeps it across exec).
# listing_reads first of those at 20,000 tickets: the ones after it reuse its seeded lives.
BENCHMARKS = [
    ("cold_start", cold_start),
    ("email_rendering", email_rendering),
    ("aws_calls", aws_calls),
    ("write_units", write_units),
    ("listing_reads", listing_reads),
    ("search_reads", search_reads),
    ("metrics_reads", metrics_reads),
    ("collab", collab),
    ("sla_lifecycle", sla_lifecycle),
    ("cost", cost),  # last: its line closes the report
]


def _quiet_app_logs() -> None:
    """The app's INFO lines (a ticket opened...) would bury the numbers; warnings still show."""
    import logging

    from chalicelib.log import ROOT, logger

    logger(__name__)  # configures the app's logging, then its level is lowered
    logging.getLogger(ROOT).setLevel(logging.WARNING)


def main() -> int:
    _quiet_app_logs()
    started_all = time.perf_counter()
    crashed = []
    for name, benchmark in BENCHMARKS:
        started = time.perf_counter()
        try:
            lines = benchmark.report(benchmark.measure())
        except Exception:
            traceback.print_exc()
            crashed.append(name)
            continue
        print("\n".join(lines))
        print(f"  ({name}: {time.perf_counter() - started:.1f} s)\n", flush=True)
    print(f"make bench: {time.perf_counter() - started_all:.0f} s")
    if crashed:
        print(f"crashed: {', '.join(crashed)}", file=sys.stderr)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
