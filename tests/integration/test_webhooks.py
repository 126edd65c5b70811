"""Outgoing events and webhooks (docs/events.md): every published event matches
the versioned schema; deliveries are signed; a failing endpoint is retried
from the queue alone, with backoff, without sending the others again; a slow
endpoint delays nobody else; the local stage delivers right after
publishing."""

import json
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib.domain.ticket import EVENT_TYPES
from chalicelib.domain.validation import validator
from chalicelib.domain.webhooks import Endpoint, signature_header, verify
from tests.conftest import ROOT

SECRET = b"whsec-test-0123456789"
SCHEMA = json.loads((ROOT / "chalicelib" / "schemas" / "event.schema.json").read_text())


# A receiver: an HTTP server whose paths behave as told.


class Receiver:
    def __init__(self):
        self.deliveries = []  # (path, headers, body), in arrival order
        self.arrived = {}  # path -> threading.Event
        self.release = threading.Event()  # ends a slow answer
        self.fail = set()  # paths that answer 500
        self.closed = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.deliveries.append((self.path, dict(self.headers), body))
                receiver.arrived.setdefault(self.path, threading.Event()).set()
                if self.path == "/slow":  # holds its answer past the sender's timeout (2 s)
                    # Sent one after the other, the fast delivery could only start once this one timed out.
                    receiver.slow_saw_fast = receiver.arrived.setdefault("/fast", threading.Event()).wait(1.5)
                    receiver.release.wait(5)
                self.send_response(500 if self.path in receiver.fail else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, path):
        return [(h, b) for p, h, b in self.deliveries if p == path]

    def close(self):
        self.release.set()
        if not self.closed:
            self.server.shutdown()
            self.server.server_close()
            self.closed = True


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def hooked(services, receiver):
    """The services with the stage's webhooks pointing at the receiver's paths."""
    from local.container import install

    def hook(*paths, timeout=5.0, **options):
        endpoints = tuple(
            Endpoint(
                path.strip("/"),
                receiver.base + path,
                SECRET.decode(),
                timeout_seconds=timeout,
                loopback=True,  # the receiver is on 127.0.0.1, as the local stage's own is
                **options.get(path.strip("/"), {}),
            )
            for path in paths
        )
        return install(replace(services.settings, webhooks=endpoints), services.clock)

    return hook


def envelope(n=0, kind="ticket.created"):
    data = {
        "ticket_id": "01KB1X00000000000000000000",
        "reference": "CL-ABCDEFGH",
        "status": "new",
        "priority": "normal",
        "channel": "web",
        "category": None,
        "assignee": None,
        "version": 1,
    }
    return {
        "id": f"01KB1X00000000000000000000.1.{n}",
        "type": kind,
        "schema_version": 1,
        "time": "2026-11-24T09:00:00Z",
        "stage": "local",
        "data": data,
    }


def test_each_delivery_is_signed_with_its_endpoints_secret_over_the_exact_body(hooked, receiver):
    services = hooked("/a")
    assert services.webhooks.deliver([envelope()]) == {}
    [(headers, body)] = receiver.to("/a")
    assert json.loads(body) == envelope()
    assert headers["Content-Type"] == "application/json"
    assert (headers["Careline-Event-Id"], headers["Careline-Event-Type"]) == (envelope()["id"], "ticket.created")
    signed_at = verify(headers["Careline-Signature"], body, [SECRET], now=int(time.time()))
    assert abs(signed_at - time.time()) < 60  # real time, whatever the business clock says


def test_an_endpoint_gets_only_the_event_types_it_names(hooked, receiver):
    services = hooked("/all", "/sla", sla={"events": ("sla.breached",)})
    services.webhooks.deliver([envelope(0), envelope(1, "sla.breached")])
    assert len(receiver.to("/all")) == 2
    assert [json.loads(b)["type"] for _, b in receiver.to("/sla")] == ["sla.breached"]


# Retries from the queue


def sqs_record(queue, body, receive_count):
    return {
        "messageId": body["id"],
        "receiptHandle": queue["handles"][body["id"]],
        "body": json.dumps(
            {
                "version": "0",
                "id": "eb-1",
                "detail-type": body["type"],
                "source": "careline",
                "account": "123456789012",
                "time": body["time"],
                "region": "us-east-1",
                "resources": [],
                "detail": body,
            }
        ),
        "attributes": {"ApproximateReceiveCount": str(receive_count), "SentTimestamp": "1790000000000"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue["arn"],
        "awsRegion": "us-east-1",
    }


@pytest.fixture
def webhook_queue(services):
    """The stage's webhook queue in the emulator, showing a message again at once unless told otherwise."""
    from chalicelib.adapters.aws import client

    sqs = client("sqs")
    url = sqs.create_queue(QueueName="careline-local-webhooks", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    queue = {"url": url, "arn": "arn:aws:sqs:us-east-1:123456789012:careline-local-webhooks", "handles": {}}

    def enqueue(*bodies):
        for body in bodies:
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]:
            queue["handles"][json.loads(message["Body"])["id"]] = message["ReceiptHandle"]

    queue["enqueue"] = enqueue
    queue["visible"] = lambda: len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))
    return queue


def test_a_failing_endpoint_is_a_batch_item_failure_retried_alone_with_backoff(hooked, receiver, webhook_queue):
    from app import deliver_webhooks

    hooked("/up", "/down")
    receiver.fail.add("/down")
    first, second = envelope(0), envelope(1)
    webhook_queue["enqueue"](first, second)
    batch = [sqs_record(webhook_queue, first, 1), sqs_record(webhook_queue, second, 1)]
    answer = deliver_webhooks({"Records": batch}, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": first["id"]}, {"itemIdentifier": second["id"]}]}
    assert webhook_queue["visible"]() == 0  # hidden for the first backoff step, though the queue's own is 0 s
    assert len(receiver.to("/up")) == 2 and len(receiver.to("/down")) == 2

    receiver.fail.clear()  # the endpoint is back: SQS hands the messages out again
    retry = [sqs_record(webhook_queue, first, 2), sqs_record(webhook_queue, second, 2)]
    assert deliver_webhooks({"Records": retry}, None) == {"batchItemFailures": []}
    assert len(receiver.to("/down")) == 4
    assert len(receiver.to("/up")) == 2  # it took them the first time: not sent again


def test_backoff_grows_with_each_receive_and_the_queue_gives_up_after_the_last_step(hooked, receiver, monkeypatch):
    from chalicelib.adapters import queue
    from chalicelib.services import webhooks
    from infra import build

    services = hooked("/down")
    receiver.fail.add("/down")
    hidden = []
    monkeypatch.setattr(queue, "postpone", lambda arn, handle, seconds: hidden.append(seconds))
    for attempt in (1, 2, 3, 5, 9):
        record = {
            "messageId": "m",
            "receiptHandle": "h",
            "body": json.dumps(envelope()),
            "attributes": {"ApproximateReceiveCount": str(attempt)},
            "eventSourceARN": "arn:aws:sqs:x:1:q",
        }
        assert services.webhooks.handle([record]) == {"batchItemFailures": [{"itemIdentifier": "m"}]}
    assert hidden == [30, 120, 600, 3600, 3600]
    queue_settings = build.template("prod")["Resources"]["WebhookQueue"]["Properties"]
    assert queue_settings["RedrivePolicy"]["maxReceiveCount"] == len(webhooks.BACKOFF_SECONDS)


def test_a_message_that_is_no_event_goes_to_the_dead_letters_not_to_endpoints(hooked, receiver):
    services = hooked("/a")
    record = {
        "messageId": "m-1",
        "receiptHandle": "h",
        "body": "not json",
        "attributes": {},
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:careline-local-webhooks",
    }
    assert services.webhooks.handle([record]) == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert receiver.deliveries == []


def test_a_slow_endpoint_delays_the_others_by_no_more_than_its_timeout(hooked, receiver):
    services = hooked("/slow", "/fast", timeout=2)
    failed = services.webhooks.deliver([envelope()])
    assert receiver.slow_saw_fast  # the fast endpoint got its delivery while the slow one still held its answer
    assert failed == {envelope()["id"]: {"slow": "no answer: timed out"}}
    assert len(receiver.to("/fast")) == 1


def test_an_unreachable_endpoint_is_a_failure_not_an_exception(hooked, receiver):
    services = hooked("/a", "/gone")
    receiver.close()  # nobody answers any more
    failed = services.webhooks.deliver([envelope()])
    assert sorted(failed[envelope()["id"]]) == ["a", "gone"]
    assert all(error.startswith("no answer") for error in failed[envelope()["id"]].values())


def test_an_endpoint_whose_secret_cannot_be_read_waits_for_the_retry_alone(services, receiver):
    from chalicelib.services.webhooks import Webhooks

    def secret(name):
        if name == "careline/local/webhooks/missing":
            raise RuntimeError("Secrets Manager did not answer")
        return SECRET

    endpoints = [
        Endpoint("ok", receiver.base + "/ok", "careline/local/webhooks/ok", loopback=True),
        Endpoint("missing", receiver.base + "/missing", "careline/local/webhooks/missing", loopback=True),
    ]
    failed = Webhooks(endpoints, services.claim_store, services.clock, secret).deliver([envelope()])
    assert failed == {envelope()["id"]: {"missing": "its secret could not be read"}}
    assert len(receiver.to("/ok")) == 1 and receiver.to("/missing") == []


def test_in_aws_the_secret_is_read_from_secrets_manager_by_name(services):
    from chalicelib.adapters.aws import client
    from chalicelib.adapters.secrets import WebhookSecrets
    from chalicelib.log import bound

    client("secretsmanager").create_secret(Name="careline/local/webhooks/crm", SecretString="s3cr3t-value")
    with bound(function="deliver_webhooks"):
        secrets = WebhookSecrets(from_secrets_manager=True)
        assert secrets("careline/local/webhooks/crm") == b"s3cr3t-value"
    assert WebhookSecrets(from_secrets_manager=False)("a literal secret") == b"a literal secret"


# What the stage publishes


def test_every_published_event_matches_the_versioned_schema(client, operator, new_ticket, services, settle):
    from local.events import envelopes

    ticket = new_ticket()
    patch = {"assignee": "agent@shop.example", "category": "order"}
    client.http.request("PATCH", f"/tickets/{ticket['id']}", headers=operator(), body=json.dumps(patch))
    client.http.post(f"/tickets/{ticket['id']}/replies", headers=operator(), body=json.dumps({"body": "On its way."}))
    client.http.request("PATCH", f"/tickets/{ticket['id']}", headers=operator(), body=json.dumps({"status": "pending"}))
    services.tickets.customer_wrote(ticket["id"], "Still nothing.")
    client.http.post(
        "/_dev/clock", headers={"Content-Type": "application/json"}, body=json.dumps({"advance_minutes": 60 * 24 * 3})
    )
    client.http.post(
        f"/tickets/{ticket['id']}/replies", headers=operator(), body=json.dumps({"body": "Refunded.", "resolve": True})
    )
    services.tickets.rate(ticket["id"], {"csat": 4, "nps": 9})
    later = services.tickets.get(ticket["id"])["messages"]
    message = next(m for m in later if m["body"] == "Still nothing.")
    split = client.http.post(
        f"/tickets/{ticket['id']}/split", headers=operator(), body=json.dumps({"message": message["id"]})
    ).json_body
    client.http.post(f"/tickets/{split['id']}/merge", headers=operator(), body=json.dumps({"into": ticket["id"]}))
    settle()
    published = [e for e in envelopes() if e["data"]["ticket_id"] in (ticket["id"], split["id"])]
    for event in published:
        problems = [e.message for e in validator("event").iter_errors(event)]
        assert problems == [], (event, problems)
    assert {e["type"] for e in published} == set(EVENT_TYPES)
    assert len({e["id"] for e in published}) == len(published)  # ids are unique: receivers dedupe by them
    assert SCHEMA["properties"]["type"]["enum"] == list(EVENT_TYPES)


def test_the_local_stage_delivers_each_event_right_after_publishing(client, hooked, receiver, new_ticket):
    from local.events import published

    hooked("/hook")
    ticket = new_ticket()
    [(headers, body)] = receiver.to("/hook")
    event = json.loads(body)
    assert (event["type"], event["data"]["ticket_id"]) == ("ticket.created", ticket["id"])
    assert event["id"] in [e["id"] for e in published()]
    verify(headers["Careline-Signature"], body, [SECRET], now=int(time.time()))


def test_a_failing_endpoint_never_holds_up_the_local_stream(client, hooked, receiver, new_ticket, mailbox):
    hooked("/hook")
    receiver.fail.add("/hook")
    ticket = new_ticket()
    assert any(f"[{ticket['reference']}]" in m["subject"] for m in mailbox())  # acknowledged all the same
    assert len(receiver.to("/hook")) == 1


def test_the_dev_receiver_checks_signatures_and_lists_deliveries_oldest_first(client, services):
    from chalicelib.config import load_settings
    from local.container import install

    local = load_settings()  # with the stage's own receiver, which the tests leave out elsewhere
    install(replace(services.settings, webhooks=local.webhooks), services.clock)
    [endpoint] = local.webhooks
    assert endpoint.url == f"{local.public_url}/_dev/webhooks"
    secret = endpoint.secret.encode()
    good = json.dumps(envelope()).encode()
    signed = {
        "Content-Type": "application/json",
        "Careline-Event-Id": envelope()["id"],
        "Careline-Signature": signature_header(secret, int(time.time()), good),
    }
    assert client.http.post("/_dev/webhooks", headers=signed, body=good).status_code == 204
    refused = client.http.post("/_dev/webhooks", headers=signed, body=good.replace(b"new", b"old"))
    assert refused.status_code == 400
    assert refused.json_body["errors"][0]["field"] == "Careline-Signature"
    listed = client.http.get("/_dev/webhooks").json_body[-2:]
    assert [(d["event_id"], d["verified"]) for d in listed] == [(envelope()["id"], True), (envelope()["id"], False)]
    assert listed[0]["event"] == envelope() and "no signature matches" in listed[1]["error"]


# At delivery: the URL again, and what its name resolves to now (issue 24).


def resolving(monkeypatch, answers):
    """DNS as the test says: host name -> the addresses it resolves to."""
    import socket

    from chalicelib.adapters import webhook_http

    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in answers:  # an address itself (the connection's own lookup)
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in answers[host]
        ]

    monkeypatch.setattr(webhook_http.socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("addresses", [["169.254.169.254"], ["127.0.0.1"], ["93.184.216.34", "10.0.0.5"], ["::1"]])
def test_a_name_that_resolves_to_a_private_address_gets_nothing(services, receiver, monkeypatch, addresses):
    from chalicelib.services.webhooks import Webhooks

    resolving(monkeypatch, {"crm.example": addresses})
    endpoints = [Endpoint("crm", "https://crm.example/hooks", "s")]
    failed = Webhooks(endpoints, services.claim_store, services.clock, lambda _: SECRET).deliver([envelope()])
    assert failed[envelope()["id"]]["crm"].startswith("refused: crm.example resolves to ")


@pytest.mark.parametrize("url", ["https://169.254.169.254/", "https://0x7f.1/", "http://crm.example/", "https:///x"])
def test_a_url_the_settings_would_refuse_is_refused_at_delivery_too(services, url):
    # Endpoints can be made in code, past the settings' check.
    from chalicelib.services.webhooks import Webhooks

    failed = Webhooks([Endpoint("crm", url, "s")], services.claim_store, services.clock, lambda _: SECRET).deliver(
        [envelope()]
    )
    assert failed[envelope()["id"]]["crm"].startswith("refused: the URL ")


def test_the_delivery_goes_to_the_address_that_was_checked_under_the_hosts_name(services, receiver, monkeypatch):
    from chalicelib.services.webhooks import Webhooks

    resolving(monkeypatch, {"hooks.localhost": ["127.0.0.1"]})
    port = receiver.base.rsplit(":", 1)[1]
    endpoint = Endpoint("ok", f"http://hooks.localhost:{port}/ok", "s", loopback=True)
    assert Webhooks([endpoint], services.claim_store, services.clock, lambda _: SECRET).deliver([envelope()]) == {}
    [(headers, _)] = receiver.to("/ok")
    assert headers["Host"] == f"hooks.localhost:{port}"
