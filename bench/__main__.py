"""`make bench`: every benchmark in turn, a short report. Goals are printed as
PASS/FAIL for people to read; the exit status is non-zero only if a
benchmark crashed, since timings depend on the host."""
from __future__ import annotations

import sys
import time
import traceback

from . import aws_calls, cold_start, email_rendering, listing_reads, metrics_reads, search_reads, sla_lifecycle

BENCHMARKS = [("aws_calls", aws_calls), ("sla_lifecycle", sla_lifecycle),
              ("listing_reads", listing_reads), ("search_reads", search_reads), ("metrics_reads", metrics_reads),
              ("cold_start", cold_start),
              ("email_rendering", email_rendering)]


def main() -> int:
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
    if crashed:
        print(f"crashed: {', '.join(crashed)}", file=sys.stderr)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
