"""Webhooks by the rules (docs/events.md): a receiver can tell a good delivery
from a tampered or replayed one, the docs' sample does so and the docs name
every event type; a stage's webhook settings are held to the rules."""

import re
import time

import pytest

from chalicelib.domain.ticket import EVENT_TYPES
from chalicelib.domain.webhooks import BadSignature, Endpoint, signature_header, verify
from tests.conftest import ROOT

SECRET = b"whsec-test-0123456789"
EVENTS_DOC = (ROOT / "docs" / "events.md").read_text()


# Signatures


def test_a_good_signature_verifies_and_returns_its_timestamp():
    body = b'{"id":"x","type":"ticket.created"}'
    header = signature_header(SECRET, 1_790_000_000, body)
    assert re.fullmatch(r"t=1790000000,v1=[0-9a-f]{64}", header)
    assert verify(header, body, [b"an old secret", SECRET], now=1_790_000_010) == 1_790_000_000


@pytest.mark.parametrize(
    "tamper,why",
    [
        (lambda h, b: (h, b.replace(b"created", b"deleted")), "no signature matches"),  # the body changed
        (lambda h, b: (h.replace("t=1790000000", "t=1790000001"), b), "no signature matches"),  # the time changed
        (lambda h, b: (h[:-1] + ("0" if h[-1] != "0" else "1"), b), "no signature matches"),
        (lambda h, b: (None, b), "no Careline-Signature header"),
        (lambda h, b: ("v1=abc", b), "must read t="),
    ],
)
def test_a_tampered_delivery_is_refused(tamper, why):
    body = b'{"id":"x","type":"ticket.created"}'
    header, changed = tamper(signature_header(SECRET, 1_790_000_000, body), body)
    with pytest.raises(BadSignature, match=why):
        verify(header, changed, [SECRET], now=1_790_000_010)


def test_a_stale_or_future_timestamp_is_refused_even_with_a_good_signature():
    body = b"{}"
    header = signature_header(SECRET, 1_790_000_000, body)
    with pytest.raises(BadSignature, match="outside the 300 s tolerance"):
        verify(header, body, [SECRET], now=1_790_000_000 + 301)  # a replay, six minutes later
    with pytest.raises(BadSignature, match="outside"):
        verify(header, body, [SECRET], now=1_790_000_000 - 301)
    with pytest.raises(BadSignature, match="no signature matches"):
        verify(header, body, [b"someone else's secret"], now=1_790_000_000)


def test_the_verification_sample_in_the_docs_works_on_a_real_delivery():
    """docs/events.md's Python sample, run as a receiver would run it."""
    sample = re.search(r"```python\n(.*?)```", EVENTS_DOC, re.S).group(1)
    namespace: dict = {}
    exec(sample, namespace)
    body = b'{"id":"01KB1X0000000000000000000A.1.0","type":"ticket.created"}'
    now = int(time.time())
    header = signature_header(SECRET, now, body)
    assert namespace["verify"](body, header, SECRET.decode()) is True
    assert namespace["verify"](body + b" ", header, SECRET.decode()) is False
    assert namespace["verify"](body, signature_header(SECRET, now - 600, body), SECRET.decode()) is False


def test_the_docs_describe_every_event_type_and_the_header():
    for kind in EVENT_TYPES:
        assert f"`{kind}`" in EVENTS_DOC, kind
    assert "Careline-Signature: t=" in EVENTS_DOC and "schema_version" in EVENTS_DOC


# Settings


def stage_with(stage, **webhook):
    from chalicelib.config import load_stage_document, settings_from

    document = load_stage_document(stage)
    document["webhooks"] = [
        {"name": "crm", "url": "https://crm.example/hooks", "secret": f"careline/{stage}/webhooks/crm"} | webhook
    ]
    env = {
        "CARELINE_SCHEDULER_TARGET_ARN": "arn:t",
        "CARELINE_SCHEDULER_ROLE_ARN": "arn:r",
        "CARELINE_PUBLIC_URL": "https://api.example",
        "CARELINE_ATTACHMENTS_BUCKET": "b",
        "CARELINE_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x",
    }
    return settings_from(stage, document, env)


def test_a_stage_names_its_webhooks():
    [endpoint] = stage_with("prod", events=["sla.breached"], timeout_seconds=3).webhooks
    assert endpoint == Endpoint(
        "crm", "https://crm.example/hooks", "careline/prod/webhooks/crm", ("sla.breached",), 3.0
    )


@pytest.mark.parametrize(
    "stage,webhook,problem",
    [
        ("prod", {"url": "http://crm.example/hooks"}, "webhooks/crm/url: must be an https:// URL"),
        ("prod", {"url": "http://127.0.0.1:9000/hooks"}, "must be an https:// URL"),  # loopback is for local only
        ("prod", {"url": "/_dev/webhooks"}, "must be an https:// URL"),
        ("local", {"url": "http://crm.example/hooks", "secret": "long enough"}, "or http:// on a loopback address"),
        ("prod", {"secret": "careline/staging/webhooks/crm"}, "under careline/prod/webhooks/"),
        ("prod", {"events": ["ticket.deleted"]}, "'ticket.deleted' is not an event type"),
        ("prod", {"url": "ftp://crm.example"}, "webhooks/0/url"),
    ],
)
def test_webhook_settings_are_held_to_the_rules(stage, webhook, problem):
    from chalicelib.config import ConfigError

    with pytest.raises(ConfigError, match=re.escape(problem)):
        stage_with(stage, **webhook)


def test_local_webhooks_may_use_loopback_http():
    [endpoint] = stage_with("local", url="http://localhost:9000/hooks", secret="long enough").webhooks
    assert endpoint.url == "http://localhost:9000/hooks" and endpoint.secret == "long enough"


# Where a webhook may go (issue 24: prod took the metadata address, loopback,
# private ranges, 0x7f.1, a URL without a host and one with CR/LF).


@pytest.mark.parametrize(
    "url,problem",
    [
        ("https://169.254.169.254/latest/meta-data/", "not 169.254.169.254"),
        ("https://127.0.0.1/hooks", "not 127.0.0.1"),
        ("https://[::1]/hooks", "not ::1"),
        ("https://10.0.0.5/hooks", "not 10.0.0.5"),
        ("https://0x7f.1/hooks", "not 127.0.0.1"),  # as a URL parser reads it
        ("https://2130706433/hooks", "not 127.0.0.1"),
        ("https://017700000001/hooks", "not 127.0.0.1"),
        ("https://[::ffff:169.254.169.254]/", "not ::ffff:a9fe:a9fe"),
        ("https://[fd00:ec2::254]/", "not fd00:ec2::254"),  # the instance metadata over IPv6
        ("https://100.64.0.7/", "not 100.64.0.7"),
        ("https://localhost/hooks", "not a loopback one"),
        ("https://hooks.localhost/", "not a loopback one"),
        ("https:///nohost", "must name a host"),
        ("https://crm.example/hooks\r\nX-Evil: 1", "without spaces or control characters"),
        ("https://crm/hooks", "by a DNS name or an IP address"),
        ("https://1.2.3.4.5/", "by a DNS name or an IP address"),
        ("https://ops:secret@crm.example/", "must not carry a user name or password"),
        ("http://crm.example/hooks", "must be an https:// URL"),
    ],
)
def test_a_webhook_goes_only_to_a_public_host_over_https(url, problem):
    from chalicelib.config import ConfigError
    from chalicelib.domain.webhooks import url_problem

    assert problem in (url_problem(url) or "")
    with pytest.raises(ConfigError, match=r"webhooks/(crm|0)/url: "):  # 0: the schema's pattern refused it first
        stage_with("prod", url=url)


@pytest.mark.parametrize(
    "url", ["https://crm.example/hooks?x=1", "https://93.184.216.34:8443/h", "https://[2606:4700::1]/"]
)
def test_public_hosts_by_name_or_address_are_taken(url):
    from chalicelib.domain.webhooks import url_problem

    assert url_problem(url) is None
    assert stage_with("prod", url=url).webhooks[0].loopback is False


def test_only_the_local_stage_may_reach_a_loopback_receiver():
    [own] = stage_with("local", url="/_dev/webhooks", secret="long enough").webhooks
    assert own.loopback and own.url == "https://api.example/_dev/webhooks"  # its PUBLIC_URL, as make run sets it
    with pytest.raises(Exception, match=r"not 10\.0\.0\.5"):
        stage_with("local", url="https://10.0.0.5/hooks", secret="long enough")  # only loopback, not the network
    for stage in ("dev", "staging", "prod"):
        assert all(not endpoint.loopback for endpoint in stage_with(stage).webhooks)
