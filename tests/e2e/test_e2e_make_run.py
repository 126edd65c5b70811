"""End to end: `make run` as a newcomer starts it, used over HTTP by the
contract alone, then stopped with Ctrl-C."""

import os
import signal
import socket

import pytest

from tests.e2e.browsing import call
from tests.stack import own_stack

pytestmark = pytest.mark.e2e


stack = own_stack()


def test_inquiry_acknowledgement_and_sla_through_the_running_stack(stack):
    base = stack["base"]
    assert call(base, "GET", "/health") == (200, {"status": "ok"})

    status, ticket = call(
        base,
        "POST",
        "/inquiries",
        b"name=Ann+Lee&email=ann%40example.com&message=Where+is+my+parcel%3F",
        content_type="application/x-www-form-urlencoded",
    )
    assert status == 201 and ticket["status"] == "new"

    status, mail = call(base, "GET", "/_dev/mail")
    # The customer's acknowledgement (the stack's demo agents get an assignment notice too).
    [ack] = [m for m in mail if f"[{ticket['reference']}]" in m["subject"] and "ann@example.com" in m["to"][0]]
    assert ack["to"] == ["Ann Lee <ann@example.com>"] and "(Berlin time) at the latest" in ack["text"]
    # The instant is in the HTML's machine-readable <time>, never in the customer's sentence.
    assert (
        ticket["first_response_due"] not in ack["text"] and f'datetime="{ticket["first_response_due"]}"' in ack["html"]
    )

    status, moved = call(base, "POST", "/_dev/clock", {"advance_minutes": 24 * 60 + 1})
    assert status == 200
    fired = {(f["payload"].get("ticket_id"), f["result"]["action"]) for f in moved["fired"]}
    assert {(ticket["id"], "sla_warning"), (ticket["id"], "sla_breach")} <= fired

    status, token = call(base, "POST", "/_dev/token", {"email": "op@shop.example", "role": "agent"})
    assert status == 200 and token["token"].count(".") == 2


def test_every_event_reaches_the_local_webhook_receiver_signed(stack):
    """The local stage's own webhook (on the port make run was given) gets each event, verified."""
    base = stack["base"]
    status, ticket = call(base, "POST", "/inquiries", {"name": "Bob", "email": "bob@example.com", "message": "Hi"})
    assert status == 201
    status, published = call(base, "GET", "/_dev/events")
    status, received = call(base, "GET", "/_dev/webhooks")
    created = [e["id"] for e in published if e["ticket_id"] == ticket["id"]]
    delivered = [(d["event_id"], d["verified"]) for d in received if d["event"]["data"]["ticket_id"] == ticket["id"]]
    assert created and delivered == [(event_id, True) for event_id in created]


def test_ctrl_c_stops_everything(stack):
    process = stack["process"]
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=30) in (0, 2, -signal.SIGINT)
    for port in stack["ports"]:
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"port {port} still open"
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # no process of the group is left
