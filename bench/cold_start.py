"""Cold start: what a new Lambda execution environment pays to import the
app, against the floor every boto3 Lambda pays (`import boto3`), and what the
first request then adds before it can make its first AWS call.

Each sample is a fresh interpreter, so nothing is cached in-process. A first,
untimed run warms the OS file cache and writes bytecode for both sides, so
the comparison is like for like."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

GOAL_RATIO = 1.3  # `import app` at most 30 % slower than `import boto3`
ROOT = Path(__file__).resolve().parent.parent

# A deployed stage (only `local` imports the dev routes), with what only a
# deployment knows filled with placeholders so the container can be built.
# The endpoint is unreachable: nothing measured here may talk to AWS.
_ENV = os.environ | {
    "CARELINE_STAGE": "prod",
    "CARELINE_SCHEDULER_TARGET_ARN": "arn:aws:lambda:us-east-1:123456789012:function:careline-prod-on_schedule",
    "CARELINE_SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/careline-prod-scheduler",
    "CARELINE_PUBLIC_URL": "https://care.example", "CARELINE_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:careline/prod/signing-secret-AbCdEf",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
}

# Each program prints the milliseconds of each of its steps, one per line.
_TIMER = "t = time.perf_counter()\n{step}\nprint((time.perf_counter() - t) * 1000)\n"
BOTO3 = ["import boto3"]
APP = [
    "import app",
    # The first request: settings (jsonschema) and every service, built lazily
    # on first use; then its first AWS call imports boto3.
    "from chalicelib.container import container; container()",
    "import boto3",
]


def _sample(steps: list[str]) -> list[float]:
    """Milliseconds of each step, in one fresh interpreter."""
    code = "import time\n" + "".join(_TIMER.format(step=step) for step in steps)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_ENV, capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(f"{'; '.join(steps)} failed:\n{run.stderr}")
    return [float(line) for line in run.stdout.split()]


def measure(runs: int = 15) -> dict:
    _sample(APP)
    _sample(BOTO3)
    boto3, app, ready = [], [], []
    # Interleaved, so a noisy moment on the host hits both sides alike.
    for _ in range(runs):
        boto3.append(_sample(BOTO3)[0])
        steps = _sample(APP)
        app.append(steps[0])
        ready.append(sum(steps))
    median = statistics.median
    return {
        "runs": runs,
        "boto3_ms": median(boto3),
        "app_ms": median(app),
        "ratio": median(app) / median(boto3),
        "first_request_ready_ms": median(ready),
        "ready_ratio": median(ready) / median(boto3),
        "goal": GOAL_RATIO,
        "passed": median(app) / median(boto3) <= GOAL_RATIO,
    }


def report(result: dict) -> list[str]:
    verdict = "PASS" if result["passed"] else "FAIL"
    return [
        f"Cold start, median of {result['runs']} fresh interpreters (CARELINE_STAGE=prod):",
        f"    {result['boto3_ms']:6.1f} ms  import boto3",
        f"    {result['app_ms']:6.1f} ms  import app",
        f"  ratio app/boto3: {result['ratio']:.2f}, goal <= {result['goal']}: {verdict}",
        f"  information: import app + the first request's container and boto3 "
        f"(before its first AWS call): {result['first_request_ready_ms']:.1f} ms, "
        f"{result['ready_ratio']:.2f} x import boto3",
    ]


if __name__ == "__main__":
    print("\n".join(report(measure())))
