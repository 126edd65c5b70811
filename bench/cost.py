"""Dollars per 1,000 ticket lifecycles, every service priced from what the
lifecycles did on the running code (the emulator, in process), at the one
price table infra/prices.json.

A lifecycle, as its people make it: a customer writes through the web form
(automatic assignment: two agents on shift), the assignee opens the ticket in
the admin page and replies, the customer writes back by email, the assignee
replies again and then resolves it; the follow-up goes out two days later,
the customer rates it on the feedback page, and the ticket closes a day after
that. Every change's effects run in the stream consumer as Lambda hands them
over (one change a batch: a small shop's traffic), each timed action through
the function EventBridge Scheduler invokes, the email through the function
SES's bucket notification invokes.

The admin page's own reads are the ones admin/*.js makes for this work:
the inbox before each visit, then the ticket and the customer's history; a
preview while the reply is typed; after a reply or a change the ticket view
loads again; while the ticket is open, its presence heartbeats and the
page's re-reads that keep it true, and the saved views' counts while signed
in (for an assumed time on the page, SECONDS_ON_TICKET). What the page reads once per sign-in (its files, the operator,
the roster, the macros) is shared by the tickets of the measured session.

What is measured, and what is assumed (each stated where it is used):
- DynamoDB write and read units by DynamoDB's sizing rules
  (bench/capacity.py: transactions twice, every index entry);
- the calls each function makes (bench/aws_calls.py), so emails, schedules,
  events, S3, KMS and Secrets Manager requests are counted, not assumed;
- Lambda: one request per invocation; duration = the handler's own time on
  this host (its wall time less the time inside AWS calls) scaled to the CPU
  share Lambda gives its configured memory (a full vCPU at 1,769 MB), plus an
  assumed round-trip time per AWS call along the longest chain of calls;
- log bytes: the lines the app wrote at the deployed level, plus Lambda's
  START/END/REPORT lines per invocation and API Gateway's access log line per
  request, each with CloudWatch's 26 bytes of overhead per event;
- X-Ray: API requests at the prod template's sampling rule (`sampled_share`),
  the event-driven functions' invocations at Lambda's fixed rate (all of them
  at a small shop's volume);
- API Gateway, CloudFront (requests, function, bytes out): one each per API
  request; the page's static files are cached by the browser for a session.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from unittest import mock

from .aws_calls import AGENTS, ROOT, Tally, counting_calls, emulated_app, operator_headers
from .capacity import Meter, Reads, longest_chain, metering, reading

LIFECYCLES = 5  # lifecycles measured, one after another, in one operator session; the figures are their mean
GOAL = 0.15  # dollars per 1,000 lifecycles, everything but email (issue 20)
PRICES = json.loads((ROOT / "infra" / "prices.json").read_text())
FULL_CPU_MB = 1769  # Lambda gives one vCPU at 1,769 MB, a share of one below (Lambda's docs)
# Assumed round trip of one call from a Lambda function in the same region (ms):
# single-digit for DynamoDB, tens for the services that do more per request.
ROUND_TRIP_MS = {"dynamodb": 6.0, "sesv2": 40.0, "scheduler": 30.0, "events": 20.0, "s3": 20.0}
OTHER_ROUND_TRIP_MS = 20.0
COLD_SHARE = 0.02  # assumed share of invocations that start a container (init billed since August 2025)
INBOUND_BUCKET = "careline-inbound"
# Lambda's own lines per invocation (their size as Lambda writes them, ids included).
PLATFORM_LINES = (
    "START RequestId: 6f3c2a9e-5b1d-4c8e-9a7f-0d2e4b6c8a1f Version: $LATEST",
    "END RequestId: 6f3c2a9e-5b1d-4c8e-9a7f-0d2e4b6c8a1f",
    "REPORT RequestId: 6f3c2a9e-5b1d-4c8e-9a7f-0d2e4b6c8a1f\tDuration: 41.52 ms\tBilled Duration: 42 ms\t"
    "Memory Size: 512 MB\tMax Memory Used: 118 MB\t",
)
TRACED_REPORT_SUFFIX = (
    "\nXRAY TraceId: 1-675f0c2a-4b7e9d1f3a6c8e2b5d0f7a9c\tSegmentId: 3b8f1d6e9a2c4f70\tSampled: true\t"
)
LOG_EVENT_OVERHEAD = 26  # bytes CloudWatch Logs bills per event beside its text
ACCESS_LOG_LINE = (  # infra/stack/api.py ACCESS_LOG_FORMAT with a typical request's values
    '{"requestId":"6f3c2a9e-5b1d-4c8e-9a7f-0d2e4b6c8a1f","ip":"203.0.113.7","method":"GET",'
    '"path":"/api/tickets/01JD8Z3K4M5N6P7Q8R9S0T1V2W","status":"200","latencyMs":"48","bytes":"2311",'
    '"integrationError":"-"}'
)
# What the admin page asks the API for (admin/*.js): once per sign-in the operator, the roster
# and the macros (app.js route, ui.js roster and macroList); for each visit to a ticket the
# inbox, then the ticket view's reads, the ticket and the customer's history (ticket.js
# ticketView), which load again after a reply or a change.
ADMIN_SIGN_IN = ("me", "agents", "macros", "views")
LIVE_SECONDS = 15  # live.js: the open ticket is read again this often while the page is visible
VIEWS_SECONDS = 60  # views.js: the saved views' counts, this often while signed in
# An open ticket page says it is there (collab.js presence): at once, when typing starts, every
# heartbeat_seconds the API asks for, and once more on leaving. How long it stays open is assumed:
# reading the thread before a reply, typing it (presence "typing"), checking a ticket before resolving it
SECONDS_ON_TICKET = {"reading": 60, "typing": 90, "resolve": 30}
ADMIN_FILES = 15  # the page's files (index.html, its modules, style, icon), once per sign-in
WIDGET_FILES = 1  # the form's script on the shop's page, once per inquiry
EMAIL_SERVICES = ("SES out", "SES in")


@dataclass
class Invocation:
    function: str
    seconds: float  # wall time of the handler
    calls: Tally
    log_bytes: int = 0
    log_lines: int = 0


@dataclass
class Usage:
    """What the lifecycles did, summed."""

    invocations: list[Invocation] = field(default_factory=list)
    api_requests: Counter = field(default_factory=Counter)  # by who asked: customer, operator
    response_bytes: int = 0
    static_files: float = 0
    inbound_mails: int = 0
    inbound_chunks: int = 0
    writes: Meter = field(default_factory=Meter)
    reads: Reads = field(default_factory=Reads)


class _LogBytes(logging.Handler):
    """Counts the bytes of the app's log lines as the stage writes them (JSON, INFO and up)."""

    def __init__(self) -> None:
        from chalicelib.log import JsonFormatter

        super().__init__(logging.INFO)
        self.setFormatter(JsonFormatter())
        self.bytes = self.lines = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.bytes += len(self.format(record).encode()) + 1
        self.lines += 1


@contextmanager
def _app_logs() -> Iterator[_LogBytes]:
    """The app's lines counted at the deployed level (INFO) and not printed."""
    from chalicelib.log import ROOT as LOG_ROOT
    from chalicelib.log import logger

    logger(__name__)
    root = logging.getLogger(LOG_ROOT)
    counter, handlers, level = _LogBytes(), root.handlers[:], root.level
    root.handlers, root.level = [counter], logging.INFO
    try:
        yield counter
    finally:
        root.handlers, root.level = handlers, level


class _Recorder:
    def __init__(self, usage: Usage, logs: _LogBytes) -> None:
        self.usage, self.logs = usage, logs

    @contextmanager
    def invocation(self, function: str) -> Iterator[None]:
        bytes_before, lines_before = self.logs.bytes, self.logs.lines
        started = time.perf_counter()
        with counting_calls() as calls:
            yield
        self.usage.invocations.append(
            Invocation(
                function,
                time.perf_counter() - started,
                calls,
                self.logs.bytes - bytes_before,
                self.logs.lines - lines_before,
            )
        )


class _People:
    """The customer and the operator, through the API as the widget and the admin page call it."""

    def __init__(self, client, recorder: _Recorder, usage: Usage) -> None:
        self.client, self.recorder, self.usage = client, recorder, usage
        self.agent = operator_headers(client, AGENTS[0], "agent")
        self.signed_in_seconds = 0

    def api(self, who: str, method: str, path: str, body=None, headers=None) -> dict:
        headers = headers if headers is not None else self.agent
        with self.recorder.invocation("api_handler"):
            answer = self.client.http.request(
                method, path, headers=headers, body=json.dumps(body) if body is not None else b""
            )
        if answer.status_code >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {answer.status_code}: {answer.body!r}")
        self.usage.api_requests[who] += 1
        self.usage.response_bytes += len(answer.body or b"")
        return answer.json_body if answer.body and answer.body[:1] in (b"{", b"[") else {}

    def sign_in(self) -> None:
        """The page's start-up: its files, the operator, the roster (ADMIN_SIGN_IN)."""
        self.usage.static_files += ADMIN_FILES
        for read in ADMIN_SIGN_IN:
            self.api("operator", "GET", f"/{read}")

    def view(self, ticket_id: str, email: str) -> dict:
        """The ticket view's reads: the ticket, the customer's history, the shop's orders."""
        found = self.api("operator", "GET", f"/tickets/{ticket_id}")
        self.api("operator", "GET", f"/customers/{email}")
        self.api("operator", "GET", f"/tickets/{ticket_id}/orders")
        return found

    def visit(self, ticket_id: str, email: str) -> dict:
        """The operator opens the ticket from the inbox; the page says it is there."""
        self.api("operator", "GET", "/tickets?limit=25&assignee=me")
        return self.view(ticket_id, email)

    def present(self, ticket_id: str, state: str, seconds: int) -> None:
        """The page's heartbeats for `seconds` in `state`: one at once, then every interval the API names."""
        path = f"/tickets/{ticket_id}/presence"
        interval = self.api("operator", "PUT", path, {"state": state})["heartbeat_seconds"]
        for _ in range(seconds // interval):
            self.api("operator", "PUT", path, {"state": state})
        for _ in range(seconds // LIVE_SECONDS):  # the page stays true: the ticket read again
            self.api("operator", "GET", f"/tickets/{ticket_id}")
        self.signed_in_seconds += seconds
        while self.signed_in_seconds >= VIEWS_SECONDS:  # the saved views' counts, meanwhile
            self.signed_in_seconds -= VIEWS_SECONDS
            self.api("operator", "GET", "/views")

    def leave(self, ticket_id: str) -> None:
        self.api("operator", "DELETE", f"/tickets/{ticket_id}/presence")

    def answer(self, ticket_id: str, email: str, text: str) -> dict:
        """From the inbox to the ticket, read, type and send a reply."""
        version = self.visit(ticket_id, email)["version"]
        body = {"body": text, "resolve": False}
        self.present(ticket_id, "viewing", SECONDS_ON_TICKET["reading"])
        self.present(ticket_id, "typing", SECONDS_ON_TICKET["typing"])
        self.api("operator", "POST", f"/tickets/{ticket_id}/preview", body)  # the preview while typing
        self.api("operator", "POST", f"/tickets/{ticket_id}/replies", body, self.agent | {"If-Match": str(version)})
        found = self.view(ticket_id, email)  # the view loads again
        self.leave(ticket_id)
        return found


def _lifecycle(people: _People, recorder: _Recorder, services, n: int) -> None:
    from app import on_inbound_email, on_schedule
    from chalicelib.adapters.aws import client as aws_client
    from chalicelib.domain.feedback import make_token
    from local.scheduler import fire_due
    from local.stream import drain

    def invoke(payload: dict) -> dict:
        with recorder.invocation("on_schedule"):
            return on_schedule(payload, None)

    def later(hours: int) -> None:
        """The clock moves on hour by hour; each due schedule invokes on_schedule as Scheduler would."""
        for _ in range(hours):
            services.clock.advance(timedelta(hours=1))
            fire_due(services.settings.scheduler_group, services.clock.now, invoke)
            drain()

    email = f"customer{n}@example.com"
    form = {"Content-Type": "application/json"}
    people.usage.static_files += WIDGET_FILES
    inquiry = {
        "name": "Ann Lee",
        "email": email,
        "subject": "Parcel",
        "message": "Hello, my parcel has not arrived yet. Order A-1001, sent last Monday. Can you check?",
    }
    ticket = people.api("customer", "POST", "/inquiries", inquiry, form)
    drain()
    later(1)
    people.answer(
        ticket["id"],
        email,
        "Hi Ann, I checked with the carrier: your parcel is in the local depot and will be "
        "delivered tomorrow morning. I'll keep an eye on it for you.",
    )
    drain()
    later(2)

    # The customer writes back by email: SES stores it, the bucket's notification invokes the function.
    mail = "\r\n".join(
        [
            f"From: Ann Lee <{email}>",
            "To: support@careline.example",
            f"Subject: Re: Parcel [{ticket['reference']}]",
            f"Message-ID: <reply-{n}@example.com>",
            "",
            "Thank you! It still says 'in transit' on the tracking page though. Will it really come tomorrow?",
        ]
    ).encode()
    s3 = aws_client("s3")
    s3.put_object(Bucket=INBOUND_BUCKET, Key=f"mail/{n}", Body=mail)
    people.usage.inbound_mails += 1
    people.usage.inbound_chunks += -(-len(mail) // 262144)  # SES bills incoming mail in 256 KB chunks
    with recorder.invocation("on_inbound_email"):
        on_inbound_email(
            {"Records": [{"s3": {"bucket": {"name": INBOUND_BUCKET}, "object": {"key": f"mail/{n}"}}}]}, None
        )
    drain()
    later(1)

    people.answer(ticket["id"], email, "Yes: the depot confirmed it is on tomorrow's first round. Sorry for the wait!")
    drain()
    later(20)
    shown = people.visit(ticket["id"], email)
    people.api(
        "operator",
        "PATCH",
        f"/tickets/{ticket['id']}",
        {"status": "resolved"},
        people.agent | {"If-Match": str(shown["version"])},
    )
    people.present(ticket["id"], "viewing", SECONDS_ON_TICKET["resolve"])
    people.view(ticket["id"], email)
    people.leave(ticket["id"])
    drain()

    later(48)  # the follow-up
    token = make_token(ticket["id"], services.clock.now() + timedelta(days=30), services.signing_key())
    people.api("customer", "GET", f"/feedback/{token}", headers={})
    people.api("customer", "POST", f"/feedback/{token}", {"csat": 5, "nps": 9}, form)
    drain()
    later(24)  # the close


@contextmanager
def _consumer_timed(recorder: _Recorder) -> Iterator[None]:
    """Every batch the stream hands to on_change counted as the invocation it is in AWS."""
    import app

    handler = app.on_change

    def timed(event, context=None):
        with recorder.invocation("on_change"):
            return handler(event, context)

    with mock.patch.object(app, "on_change", timed):
        yield


def measure(lifecycles: int = LIFECYCLES) -> dict:
    """One operator session: the page starts, then the operator works `lifecycles` tickets;
    a warm-up lifecycle first (clients built, templates compiled), not counted."""
    usage = Usage()
    with emulated_app() as client, _app_logs() as logs:
        from chalicelib.adapters.aws import client as aws_client
        from chalicelib.container import container

        services = container()
        aws_client("s3").create_bucket(Bucket=INBOUND_BUCKET)
        admin = operator_headers(client, "lead@shop.example", "admin")
        for email in AGENTS[:2]:
            client.http.request("PUT", f"/agents/{email}", headers=admin, body=json.dumps({"available": True}))
        recorder = _Recorder(usage, logs)
        people = _People(client, recorder, usage)
        with _consumer_timed(recorder):
            _lifecycle(people, recorder, services, 0)
            usage = people.usage = recorder.usage = Usage()
            with metering() as writes, reading() as reads:
                people.sign_in()
                for n in range(1, lifecycles + 1):
                    _lifecycle(people, recorder, services, n)
        usage.writes, usage.reads = writes, reads
    return price(usage, lifecycles, _init_seconds())


def _init_seconds() -> float:
    """A fresh interpreter's import of the app, as a cold start's init phase runs it (this host's CPU)."""
    code = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def _template() -> dict:
    """What the prod template sets for each function and the API: memory, tracing, sampling."""
    from infra import build
    from infra.stack.naming import chalice_config, logical_id

    stage = chalice_config()["stages"]["prod"]
    merged = build.template("prod")["Resources"]
    functions = {}
    for name in ("api_handler", "on_change", "on_schedule", "on_inbound_email"):
        memory = stage.get("lambda_functions", {}).get(name, {}).get("lambda_memory_size")
        functions[name] = {
            "memory_mb": memory or stage.get("lambda_memory_size", 128),
            "traced": merged[logical_id(name)]["Properties"].get("Tracing") == "Active",
        }
    api_traced = bool(merged["RestAPI"]["Properties"].get("TracingEnabled"))
    return {"functions": functions, "api_traced": api_traced, "sampled": sampled_share(merged)}


def sampled_share(resources: dict) -> float:
    """The share of a small shop's requests and invocations X-Ray records: the
    stage's sampling rule (AWS::XRay::SamplingRule) where it has one, else
    X-Ray's default rule, whose reservoir of one a second records every
    request of a shop that gets fewer than one a second."""
    rules = [r["Properties"]["SamplingRule"] for r in resources.values() if r.get("Type") == "AWS::XRay::SamplingRule"]
    if not rules:
        return 1.0
    (rule,) = rules
    return rule["FixedRate"] if rule["ReservoirSize"] == 0 else 1.0


def _price(name: str) -> float:
    dollars, per, _ = PRICES["prices"][name]
    scale = {"million": 1e6, "10,000": 1e4, "1,000": 1e3}
    for word, count in scale.items():
        if per.startswith(word):
            return dollars / count
    return dollars  # per GB, per GB-second


def price(usage: Usage, lifecycles: int, init_seconds: float) -> dict:
    """Dollars per 1,000 lifecycles by service, with the quantities behind them (per lifecycle)."""
    template = _template()
    per = 1 / lifecycles
    calls = Counter()
    entries = Counter()
    for invocation in usage.invocations:
        calls.update(invocation.calls.calls)
        entries.update(invocation.calls.entries)
    lines: list[tuple[str, float, str]] = []

    def line(service: str, dollars_per_lifecycle: float, how: str) -> None:
        lines.append((service, dollars_per_lifecycle * 1000, how))

    # DynamoDB
    wu, ru = usage.writes.total * per, usage.reads.units * per
    line("DynamoDB writes", wu * _price("dynamodb_write"), f"{wu:.1f} write units")
    line("DynamoDB reads", ru * _price("dynamodb_read"), f"{ru:.1f} read units")

    # Lambda
    by_function: dict[str, dict] = {}
    for invocation in usage.invocations:
        setting = template["functions"][invocation.function]
        own = max(0.0, invocation.seconds - invocation.calls.seconds())
        cpu = own * max(1.0, FULL_CPU_MB / setting["memory_mb"])
        waits = longest_chain(
            [(s, e, ROUND_TRIP_MS.get(svc, OTHER_ROUND_TRIP_MS) / 1000) for svc, s, e in invocation.calls.spans]
        )
        billed_ms = max(1, int((cpu + waits) * 1000 + 0.999))
        f = by_function.setdefault(invocation.function, {"count": 0, "gb_s": 0.0, "ms": 0, "log": 0, "lines": 0})
        f["count"] += 1
        f["ms"] += billed_ms
        f["gb_s"] += billed_ms / 1000 * setting["memory_mb"] / 1024
        f["log"] += invocation.log_bytes
        f["lines"] += invocation.log_lines
    invocations = sum(f["count"] for f in by_function.values()) * per
    gb_s = sum(f["gb_s"] for f in by_function.values()) * per
    line("Lambda requests", invocations * _price("lambda_request"), f"{invocations:.1f} invocations")
    line(
        "Lambda duration",
        gb_s * _price("lambda_gb_second"),
        ", ".join(f"{name} {f['count'] * per:.1f} x {f['ms'] / f['count']:.0f} ms" for name, f in by_function.items()),
    )
    memory = template["functions"]["api_handler"]["memory_mb"]
    init_gb_s = invocations * COLD_SHARE * init_seconds * max(1.0, FULL_CPU_MB / memory) * memory / 1024
    line(
        "Lambda init",
        init_gb_s * _price("lambda_gb_second"),
        f"{COLD_SHARE:.0%} of invocations cold (assumed), import {init_seconds * 1000:.0f} ms here",
    )

    # API Gateway and CloudFront
    requests = sum(usage.api_requests.values()) * per
    line(
        "API Gateway",
        requests * _price("api_request"),
        f"{requests:.1f} requests (customer {usage.api_requests['customer'] * per:.1f}, "
        f"operator {usage.api_requests['operator'] * per:.1f})",
    )
    static = usage.static_files * per
    transfer = usage.response_bytes * per / 1e9
    line(
        "CloudFront",
        (requests + static) * _price("cloudfront_request")
        + requests * _price("cloudfront_function")
        + transfer * _price("cloudfront_transfer"),
        f"{requests + static:.1f} requests ({static:.2f} static files), {requests:.1f} function runs, "
        f"{usage.response_bytes * per / 1000:.0f} KB out",
    )

    # Mail
    sent = calls[("sesv2", "SendEmail")] * per
    line("SES out", sent * _price("ses_outbound"), f"{sent:.1f} emails")
    mails = usage.inbound_mails * per
    chunks = usage.inbound_chunks * per
    line("SES in", mails * _price("ses_inbound") + chunks * _price("ses_inbound_chunk"), f"{mails:.1f} emails")

    # Scheduler, EventBridge, SQS, S3
    fired = by_function.get("on_schedule", {}).get("count", 0) * per
    line("Scheduler", fired * _price("scheduler_invocation"), f"{fired:.1f} invocations (its API calls are free)")
    events = entries[("events", "PutEvents")] * per
    line("EventBridge", events * _price("eventbridge_event"), f"{events:.1f} events published")
    sqs = sum(n for (service, _), n in calls.items() if service == "sqs") * per
    line("SQS", sqs * _price("sqs_request"), f"{sqs:.1f} requests (no webhook configured)")
    s3_puts = (
        mails + sum(n for (svc, op), n in calls.items() if svc == "s3" and op in ("PutObject", "CopyObject")) * per
    )
    s3_gets = sum(n for (svc, op), n in calls.items() if svc == "s3" and op == "GetObject") * per
    line(
        "S3",
        s3_puts * _price("s3_put") + s3_gets * _price("s3_get"),
        f"{s3_puts:.1f} PUT (SES stores the email), {s3_gets:.1f} GET",
    )

    # X-Ray
    # API requests: the stage's sampling rule (API Gateway decides, the API
    # function follows). A function started by the stream, a schedule or mail
    # gets no decision from upstream and samples at Lambda's own fixed rate,
    # which no rule changes: one a second, then 5 % (the Lambda developer
    # guide, "Using AWS Lambda with AWS X-Ray"). A shop's few invocations a
    # minute are all within that reservoir, so each is traced.
    sampled = template["sampled"]
    traced_invocations = sum(
        f["count"] for name, f in by_function.items() if template["functions"][name]["traced"] and name != "api_handler"
    )
    api_traces = requests * template["api_traced"] * sampled
    traces = api_traces + traced_invocations * per
    line(
        "X-Ray",
        traces * _price("xray_trace"),
        f"{api_traces:.2f} API traces ({sampled:.0%} sampled), {traced_invocations * per:.1f} invocations of the rest",
    )

    # CloudWatch Logs
    platform = sum(len(text) + 1 + LOG_EVENT_OVERHEAD for text in PLATFORM_LINES)
    app_bytes = sum(f["log"] + f["lines"] * LOG_EVENT_OVERHEAD for f in by_function.values()) * per
    lambda_bytes = invocations * platform + traces * len(TRACED_REPORT_SUFFIX)
    access = requests * (len(ACCESS_LOG_LINE) + LOG_EVENT_OVERHEAD)
    logged = app_bytes + lambda_bytes + access
    line(
        "CloudWatch Logs",
        logged / 1e9 * _price("log_ingestion"),
        f"{logged / 1000:.1f} KB: the app's lines {app_bytes / 1000:.1f} KB, Lambda's {lambda_bytes / 1000:.1f} KB, "
        f"access log {access / 1000:.1f} KB",
    )

    # KMS and Secrets Manager: what the code asks for (a warm container reads the secret once an hour)
    kms = sum(n for (svc, _), n in calls.items() if svc == "kms") * per
    secrets = sum(n for (svc, _), n in calls.items() if svc == "secretsmanager") * per
    line(
        "KMS",
        kms * _price("kms_request") + secrets * _price("secret_request"),
        f"{kms:.1f} KMS and {secrets:.1f} Secrets Manager requests (tables use AWS-owned keys)",
    )

    total = sum(dollars for _, dollars, _ in lines)
    email = sum(dollars for service, dollars, _ in lines if service in EMAIL_SERVICES)
    return {
        "lifecycles": lifecycles,
        "lines": lines,
        "total": total,
        "non_email": total - email,
        "goal": GOAL,
        "write_units": wu,
        "read_units": ru,
        "api_requests": requests,
        "invocations": invocations,
        "date": PRICES["date"],
        "region": PRICES["region"],
    }


def report(result: dict) -> list[str]:
    lines = [
        f"Dollars per 1,000 ticket lifecycles ({result['lifecycles']} measured; {result['region']} list prices "
        f"of {result['date']}, infra/prices.json):"
    ]
    lines += [f"  {service:16s} ${dollars:8.4f}  {how}" for service, dollars, how in result["lines"]]
    verdict = "PASS" if result["non_email"] <= result["goal"] else "FAIL"
    lines.append(f"  everything but email: goal <= ${result['goal']:.2f}: {verdict}")
    lines.append(f"cost: ${result['total']:.2f} per 1,000 lifecycles, non-email ${result['non_email']:.3f}")
    return lines


if __name__ == "__main__":
    print("\n".join(report(measure())))
