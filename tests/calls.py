"""Calling the app in-process (conftest's `client`, through chalice.test) as
its users do: the customer's form, an operator's call, mail arriving, the
dev clock; and what Scheduler holds afterwards. The e2e tests call the
running stack instead (tests/e2e/browsing.py)."""

import json
import re
from urllib.parse import urlencode, urlparse

from chalicelib.adapters.aws import client as aws_client
from chalicelib.adapters.counters import MetricCounters
from local.stream import drain

JSON_HEADERS = {"Content-Type": "application/json"}
FORM = {"name": "Ann Lee", "email": "ann@example.com", "message": "Where is my parcel?", "subject": "Parcel"}


def post(client, fields=FORM, headers=JSON_HEADERS, raw=None):
    """The customer's form to `/inquiries`: JSON, or urlencoded when `headers`
    say so, or `raw` as it is; the response, whatever its status."""
    if raw is None:
        raw = urlencode(fields) if "urlencoded" in headers["Content-Type"] else json.dumps(fields)
    return client.http.post("/inquiries", headers=headers, body=raw)


def submit(client, **fields):
    """The customer's form (FORM, with `fields` changed), accepted: the new ticket."""
    response = post(client, FORM | fields)
    assert response.status_code == 201, response.body
    return response.json_body


def call(client, method, path, headers, body=None, **extra):
    """An operator's call: `body` as JSON, `extra` headers on top of `headers`."""
    body = json.dumps(body) if body is not None else b""
    return client.http.request(method, path, headers=headers | extra, body=body)


def view(client, operator, ticket):
    """The ticket (as `submit` answered it, or its id) as an agent sees it."""
    ticket_id = ticket["id"] if isinstance(ticket, dict) else ticket
    return client.http.get(f"/tickets/{ticket_id}", headers=operator()).json_body


def resolve(client, operator, ticket):
    """An agent's last reply, resolving the ticket."""
    reply = json.dumps({"body": "Refund issued.", "resolve": True})
    client.http.post(f"/tickets/{ticket['id']}/replies", headers=operator(), body=reply)


def inbound(client, message: bytes):
    """A customer's email arriving (as SES hands it over): what Careline did with it."""
    answer = client.http.post("/_dev/inbound", headers={"Content-Type": "message/rfc822"}, body=message)
    assert answer.status_code == 200, answer.body
    return answer.json_body


def follow_ups(mailbox):
    """The satisfaction follow-ups sent so far."""
    return [m for m in mailbox() if m["subject"].startswith("How did we do?")]


def follow_up_link(mailbox, score=None):
    """The single follow-up email and the path of its link (for one score, or the page)."""
    [mail] = follow_ups(mailbox)
    links = re.findall(r"http://\S+/feedback/\S+", mail["text"])
    path = urlparse(next(link for link in links if score is None or link.endswith(f"score={score}"))).path
    return mail, path


def advance(client, minutes):
    """The dev clock moved on: what fired meanwhile (`fired`) and the time (`now`)."""
    moved = client.http.post("/_dev/clock", headers=JSON_HEADERS, body=json.dumps({"advance_minutes": minutes}))
    return moved.json_body


def schedules(settings, settle=True):
    """The names of the stage's schedules in Scheduler, sorted, once the stream
    consumer caught up (schedules follow a change from it), as `mailbox()`;
    `settle=False` for those made so far, as `mailbox.unsettled()`."""
    if settle:
        drain()
    listed = aws_client("scheduler").list_schedules(GroupName=settings.scheduler_group)["Schedules"]
    return sorted(s["Name"] for s in listed)


def volume(day="2026-11-24"):
    """How many web inquiries the metrics counted on `day` (the test clock's first)."""
    return MetricCounters().read([day]).get(day, {}).get("all", {}).get("volume:channel:web", 0)
