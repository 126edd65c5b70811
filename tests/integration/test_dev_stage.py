"""The local stage's dev routes: clock, mailbox, tokens; and that no other stage has them."""

import json
import subprocess
import sys

from local.tokens import local_verifier
from tests.calls import advance
from tests.conftest import ROOT

FORM = {"name": "Ann Lee", "email": "ann@example.com", "message": "Where is my parcel?"}


def test_advancing_the_clock_fires_due_sla_schedules_through_the_scheduler_handler(client, services, mailbox):
    ticket = client.http.post(
        "/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM)
    ).json_body

    assert advance(client, 60)["fired"] == []  # nothing due yet
    warned = advance(client, 19 * 60)
    assert warned["now"] == "2026-11-25T05:00:00Z"
    assert [(f["payload"]["kind"], f["result"]["action"]) for f in warned["fired"]] == [("warning", "sla_warning")]
    breached = advance(client, 5 * 60)
    assert [f["result"]["action"] for f in breached["fired"]] == ["sla_breach"]

    notices = [m for m in mailbox() if m["to"] == [services.settings.team_lead_address]]
    assert [n["subject"].split(":")[0] for n in notices] == ["SLA warning", "SLA breached"]
    assert all(ticket["reference"] in n["subject"] for n in notices)
    thread = services.store.collection(ticket["id"]).entries
    assert [e.entry.event for e in thread] == ["created", "sla_warning", "sla_breach"]
    assert thread[-1].entry.data["changes"] == {"priority": ["normal", "high"]}  # escalated with the breach


def test_a_duplicate_or_stale_scheduler_invocation_does_nothing(client, services, clock, mailbox):
    from datetime import timedelta

    ticket_id = client.http.post(
        "/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM)
    ).json_body["id"]
    payload = {"type": "sla", "ticket_id": ticket_id, "metric": "first_response", "kind": "warning"}
    assert services.timers.fire(payload)["action"] == "rearmed"  # early: not yet due
    clock.advance(timedelta(hours=20))
    assert services.timers.fire(payload)["action"] == "sla_warning"
    assert services.timers.fire(payload)["action"] == "ignored"
    assert services.timers.fire(payload | {"ticket_id": "nope"})["action"] == "ignored"
    assert len([m for m in mailbox() if "SLA warning" in m["subject"]]) == 1


def test_clock_refuses_bad_input(client):
    for body in ({"advance_minutes": -5}, {"advance_minutes": "ten"}, ["x"]):
        response = client.http.post("/_dev/clock", headers={"Content-Type": "application/json"}, body=json.dumps(body))
        assert response.status_code == 400
        assert response.json_body["errors"][0]["field"] == "advance_minutes"


def test_clock_accepts_curls_default_content_type(client):
    response = client.http.post(
        "/_dev/clock", headers={"Content-Type": "application/x-www-form-urlencoded"}, body='{"advance_minutes": 30}'
    )
    assert response.json_body["now"] == "2026-11-24T09:30:00Z"


def test_dev_token_verifies_for_the_local_stage(client, services):
    response = client.http.post(
        "/_dev/token",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"email": "op@shop.example", "role": "admin"}),
    )
    principal = local_verifier(services.settings.public_url, services.clock).verify(response.json_body["token"])
    assert principal.roles == {"admin"}
    bad = client.http.post(
        "/_dev/token", headers={"Content-Type": "application/json"}, body=json.dumps({"email": "x", "role": "root"})
    )
    assert {e["field"] for e in bad.json_body["errors"]} == {"email", "role"}


def test_mailbox_lists_every_email_oldest_first(client, mailbox):
    for name in ("Ann", "Bob"):
        client.http.post(
            "/inquiries",
            headers={"Content-Type": "application/json"},
            body=json.dumps(FORM | {"name": name, "email": f"{name.lower()}@example.com"}),
        )
    listed = client.http.get("/_dev/mail").json_body
    assert [m["to"] for m in listed] == [["Ann <ann@example.com>"], ["Bob <bob@example.com>"]]
    # The contract's fields, and the files each email carries (a compatible extension).
    assert set(listed[0]) == {"to", "cc", "subject", "text", "html", "headers", "attachments"}
    assert listed[0]["attachments"] == []


def test_no_other_stage_has_dev_routes():
    script = "import app; print(sorted(app.app.routes))"  # no dev route, static page or mailbox
    for stage in ("dev", "staging", "prod"):
        routes = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={"CARELINE_STAGE": stage, "PATH": "/usr/bin:/bin"},
            check=True,
        ).stdout
        assert "/inquiries" in routes
        assert not any(local in routes for local in ("/_dev", "/admin", "/widget", "/shop"))


def test_every_answer_under_the_sites_paths_carries_its_security_policy(client):
    # Issue 24: a 404 under /admin/ had no Content-Security-Policy.
    for path in ("/admin/index.html", "/admin/nope.js", "/admin/..%2Fapp.py", "/admin/app.py", "/widget/nope.css"):
        answer = client.http.get(path)
        policy = answer.headers.get("Content-Security-Policy", "")
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, (path, answer.status_code)
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.status_code == (200 if path.endswith("index.html") else 404)
