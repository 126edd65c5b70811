"""`make fuzz`: schemathesis, every phase (examples, coverage, fuzzing,
stateful), on every operation of the local OpenAPI document, against a local
stack (started here like `make run`, with the rate limits off, unless
`--base` names one already running). Bounded in cases per operation and in
time; loopback only. Operator calls carry an admin token from /_dev/token (tests/fuzz/hooks.py).
Prints the cases run and every server error; exits non-zero on any.

    python -m tests.fuzz [--max-examples N] [--max-seconds S] [--base URL]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from contextlib import nullcontext
from pathlib import Path

from tests.stack import loopback_only, running_stack

ROOT = Path(__file__).resolve().parent.parent.parent
DOCUMENT = ROOT / "docs" / "openapi-local.json"  # later served as GET /openapi.json
PHASES = "examples,coverage,fuzzing,stateful"
ARTIFACTS = ROOT / "test-artifacts" / "fuzz"


def fuzz(base: str, max_examples: int, max_seconds: int, seed: int, phases: str = PHASES) -> dict:
    """Run schemathesis once: the operations and cases it ran, and each server
    error as (operation, status, how to reproduce it)."""
    base = loopback_only(base)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        str(DOCUMENT),
        "--url",
        base,
        "--phases",
        phases,
        "--checks",
        "not_a_server_error",
        "--max-examples",
        str(max_examples),
        "--max-time",
        str(max_seconds),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--no-color",
        "--output-truncate",
        "true",
        # the demo loader works a month of tickets per call (minutes):
        # tests/integration/test_demo.py covers it
        "--exclude-path",
        "/_dev/demo",
    ]
    env = os.environ | {"SCHEMATHESIS_HOOKS": "tests.fuzz.hooks", "CARELINE_FUZZ_BASE": base, "PYTHONPATH": str(ROOT)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # also where schemathesis keeps its cache (not in the repository)
    run = subprocess.run(command, capture_output=True, text=True, timeout=max_seconds + 300, cwd=ARTIFACTS, env=env)
    (ARTIFACTS / "schemathesis.txt").write_text(run.stdout + run.stderr)
    if "SUMMARY" not in run.stdout:
        raise RuntimeError(f"schemathesis did not finish:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}")
    return {"exit": run.returncode, "output": run.stdout, **summary(run.stdout)}


def summary(output: str) -> dict:
    """What schemathesis's report says: operations tested, cases generated,
    and each failing case's operation, status and reproduction."""
    tested = re.search(r"Tested: (\d+)", output)
    cases = re.findall(r"(\d[\d,]*) generated", output)
    failures, operation, status = [], None, None
    for line in output.split("FAILURES", 1)[1].splitlines() if "FAILURES" in output else ():
        heading = re.fullmatch(r"_{3,} (\S+ \S+) _{3,}", line.strip())
        answered = re.fullmatch(r"\[(\d{3})\] (.*):", line.strip())
        if heading:
            operation = heading.group(1)
        elif answered:
            status = f"{answered.group(1)} {answered.group(2)}"
        elif line.strip().startswith("curl ") and operation:
            failures.append({"operation": operation, "status": status, "reproduce": line.strip()})
            status = None
    return {
        "operations": int(tested.group(1)) if tested else 0,
        "cases": int(cases[-1].replace(",", "")) if cases else 0,
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", help="a running local stack (default: start one)")
    parser.add_argument("--max-examples", type=int, default=50, help="cases per operation and phase")
    parser.add_argument("--max-seconds", type=int, default=600, help="time budget for the whole run")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)

    starting = nullcontext({"base": args.base}) if args.base else running_stack({"CARELINE_RATE_LIMITS": "off"})
    with starting as stack:
        found = fuzz(stack["base"], args.max_examples, args.max_seconds, args.seed)
    print(
        f"fuzz: {found['operations']} operations, {found['cases']} cases, {len(found['failures'])} server errors "
        f"(schemathesis's whole report: {ARTIFACTS.relative_to(ROOT)}/schemathesis.txt)"
    )
    for failure in found["failures"]:
        print(f" - {failure['operation']}: {failure['status']}\n     {failure['reproduce']}")
    return 1 if found["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
