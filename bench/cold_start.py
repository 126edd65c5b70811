"""Cold start as a customer feels it: a fresh interpreter imports the app
and answers the first `POST /inquiries`, invoked the way Lambda invokes it
(`app.app(api_gateway_event, context)`), stage prod, against the emulator.

The baseline is a hand-written raw-boto3 handler doing the physically
necessary work of an intake that answers only after everything is done:
one PutItem, one sesv2 SendEmail, one CreateSchedule. Careline answers after
one transaction and leaves the email and the schedule to the stream consumer.

Runs are paired (app, baseline, app, baseline, ...), each a new process; the
ratio is taken pair by pair, so a noisy moment on the host hits both sides.
A first, untimed pair warms the file cache and writes bytecode. Peak RSS is
each process's own maximum resident set."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

GOAL_RATIO = 1.25  # issue 20: validation through jsonschema, still at most 1.25 x the raw handler
GOAL_RSS_RATIO = 1.1
ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"

# A deployed stage (only `local` imports the dev routes), with what only a
# deployment knows filled with placeholders. The endpoint is the emulator.
STAGE_ENV = {
    "CARELINE_STAGE": "prod",
    "CARELINE_TABLE_PREFIX": "careline-prod-",
    "CARELINE_SCHEDULER_GROUP": "careline-prod",
    "CARELINE_SCHEDULER_TARGET_ARN": "arn:aws:lambda:us-east-1:123456789012:function:careline-prod-on_schedule",
    "CARELINE_SCHEDULER_ROLE_ARN": "arn:aws:iam::123456789012:role/careline-prod-scheduler",
    "CARELINE_PUBLIC_URL": "https://care.example/api",
    "CARELINE_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:careline/prod/signing-secret-AbCdEf",
    "CARELINE_ATTACHMENTS_BUCKET": "careline-prod-attachments-123456789012",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}

_CLOCK = "import time, resource\nstarted = time.perf_counter()\n"
_REPORT = (
    "print(json.dumps({'ms': (time.perf_counter() - started) * 1000, 'status': status,"
    " 'rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n"
)

APP = (
    _CLOCK
    + """
import json, uuid
import app
body = json.dumps({"name": "Ann Lee", "email": f"ann-{uuid.uuid4().hex[:8]}@example.com",
                   "message": "Where is my parcel?", "subject": "Parcel"})
event = {"resource": "/inquiries", "path": "/inquiries", "httpMethod": "POST",
         "headers": {"Content-Type": "application/json", "Accept": "application/json"},
         "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
         "pathParameters": None, "stageVariables": None, "body": body, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/inquiries", "httpMethod": "POST", "stage": "api",
                            "requestId": uuid.uuid4().hex, "identity": {"sourceIp": "203.0.113.7"}}}
answer = app.app(event, None)
status = answer["statusCode"]
"""
    + _REPORT
)

BASELINE = (
    _CLOCK
    + """
import json, uuid
import boto3

def handler(event, context):
    form = json.loads(event["body"])
    ticket_id = uuid.uuid4().hex
    boto3.client("dynamodb").put_item(TableName="careline-prod-tickets", Item={
        "pk": {"S": ticket_id}, "sk": {"S": "#"}, "name": {"S": form["name"]}, "email": {"S": form["email"]},
        "message": {"S": form["message"]}})
    boto3.client("sesv2").send_email(FromEmailAddress="support@careline.example",
        Destination={"ToAddresses": [form["email"]]}, Content={"Simple": {
            "Subject": {"Data": "We received your request"}, "Body": {"Text": {"Data": "Thank you, " + form["name"]}}}})
    boto3.client("scheduler").create_schedule(Name="cl-" + ticket_id, GroupName="careline-prod",
        ScheduleExpression="at(2030-01-01T00:00:00)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:lambda:us-east-1:123456789012:function:careline-prod-on_schedule",
                "RoleArn": "arn:aws:iam::123456789012:role/careline-prod-scheduler", "Input": "{}"})
    return {"statusCode": 201, "body": json.dumps({"id": ticket_id})}

form = {"name": "Ann Lee", "email": "ann@example.com", "message": "Where is my parcel?"}
answer = handler({"body": json.dumps(form)}, None)
status = answer["statusCode"]
"""
    + _REPORT
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def emulator():
    """moto's server in its own process, with prod's tables, sender and schedule group."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "from moto.server import ThreadedMotoServer; import time\n"
                f"s = ThreadedMotoServer(ip_address='127.0.0.1', port={port}, verbose=False); s.start()\n"
                "while True: time.sleep(60)"
            ),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Bytecode is written and reused, as in a Lambda package: a shell that
        # turns it off would make every run recompile the app.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env |= STAGE_ENV | {"AWS_ENDPOINT_URL": endpoint}
        setup = (
            "from chalicelib.config import load_settings\nfrom local.provision import provision\n"
            "provision(load_settings())\n"
        )
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        subprocess.run([sys.executable, "-c", setup], cwd=ROOT, env=env, check=True, capture_output=True)
        yield env
    finally:
        server.kill()
        server.wait()


def _run(program: str, env: dict) -> dict:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result | {"process_ms": (time.perf_counter() - started) * 1000}


def measure(pairs: int = 7) -> dict:
    with emulator() as env:
        _run(APP, env), _run(BASELINE, env)  # warm the file cache, write bytecode
        app, base = [], []
        for _ in range(pairs):
            app.append(_run(APP, env))
            base.append(_run(BASELINE, env))
    assert all(a["status"] == 201 for a in app), app
    median = statistics.median
    return {
        "pairs": pairs,
        "app_ms": median(a["process_ms"] for a in app),
        "baseline_ms": median(b["process_ms"] for b in base),
        "ratio": median(a["process_ms"] / b["process_ms"] for a, b in zip(app, base, strict=True)),
        "app_in_process_ms": median(a["ms"] for a in app),
        "baseline_in_process_ms": median(b["ms"] for b in base),
        "app_rss_mb": median(a["rss_kb"] for a in app) / 1024,
        "baseline_rss_mb": median(b["rss_kb"] for b in base) / 1024,
        "rss_ratio": median(a["rss_kb"] / b["rss_kb"] for a, b in zip(app, base, strict=True)),
    }


def report(result: dict) -> list[str]:
    def verdict(value: float, goal: float) -> str:
        return "PASS" if value <= goal else "FAIL"

    return [
        f"Cold start: import + first POST /inquiries, stage prod, invoked as Lambda, {result['pairs']} paired "
        "fresh processes (median):",
        f"    {result['app_ms']:6.1f} ms  Careline (in process {result['app_in_process_ms']:.1f} ms), "
        f"peak RSS {result['app_rss_mb']:.1f} MB",
        f"    {result['baseline_ms']:6.1f} ms  raw boto3 handler: PutItem + SendEmail + CreateSchedule "
        f"(in process {result['baseline_in_process_ms']:.1f} ms), peak RSS {result['baseline_rss_mb']:.1f} MB",
        f"  time ratio {result['ratio']:.2f} (goal <= {GOAL_RATIO}: {verdict(result['ratio'], GOAL_RATIO)}), "
        f"RSS ratio {result['rss_ratio']:.2f} (goal <= {GOAL_RSS_RATIO}: "
        f"{verdict(result['rss_ratio'], GOAL_RSS_RATIO)})",
    ]


if __name__ == "__main__":
    print("\n".join(report(measure())))
