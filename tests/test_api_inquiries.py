"""POST /inquiries as a storefront uses it, against emulated AWS."""
import json
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode


from chalicelib.adapters.aws import client as aws_client

FORM = {"name": "Ann Lee", "email": "ann@example.com", "message": "Where is my parcel?", "subject": "Parcel"}
JSON_HEADERS = {"Content-Type": "application/json"}
BROWSER = {"Content-Type": "application/x-www-form-urlencoded",
           "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def post(client, fields=FORM, headers=JSON_HEADERS, raw=None):
    body = raw if raw is not None else (
        urlencode(fields) if "urlencoded" in headers["Content-Type"] else json.dumps(fields))
    return client.http.post("/inquiries", headers=headers, body=body)


def schedules(settings):
    scheduler = aws_client("scheduler")
    return [scheduler.get_schedule(GroupName=settings.scheduler_group, Name=s["Name"])
            for s in scheduler.list_schedules(GroupName=settings.scheduler_group)["Schedules"]]


def test_inquiry_is_stored_acknowledged_and_scheduled(client, services, settings, mailbox):
    response = post(client)
    assert response.status_code == 201
    answer = response.json_body
    assert schedules(settings) == [] and mailbox.unsettled() == []  # the request wrote once; nothing else yet
    assert answer["status"] == "new" and answer["priority"] == "normal"
    assert answer["reference"].startswith("CL-") and 9 <= len(answer["reference"]) <= 13
    assert (answer["first_response_due"], answer["resolution_due"]) == ("2026-11-25T09:00:00Z", "2026-11-27T09:00:00Z")

    [mail] = mailbox()
    stored = services.store.collection(answer["id"])
    ticket = stored.ticket
    assert (ticket.reference, ticket.status, ticket.customer_name) == (answer["reference"], "new", "Ann Lee")
    [message] = stored.entries  # one change, one entry: the customer's words, which record the creation
    assert (message.entry.kind, message.entry.direction, message.entry.event) == ("message", "in", "created")
    assert message.entry.body == "Where is my parcel?"
    [ack] = stored.deliveries
    assert (ack.mail, ack.state) == ("acknowledgement", "sent")
    assert services.customers.get("ann@example.com")["ticket_count"] == 1

    assert mail["to"] == ["Ann Lee <ann@example.com>"]
    assert f"[{answer['reference']}]" in mail["subject"]
    assert mail["headers"]["Auto-Submitted"] == "auto-replied"
    assert "Hello Ann Lee," in mail["text"] and "> Where is my parcel?" in mail["text"]
    assert "2026-11-25T09:00:00Z" in mail["text"] and "Wednesday, 25 November 2026 at 10:00" in mail["html"]

    [schedule] = schedules(settings)
    assert schedule["ScheduleExpression"] == "at(2026-11-25T04:12:00)"  # 80 % of 24 h
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert json.loads(schedule["Target"]["Input"]) == {
        "type": "sla", "ticket_id": answer["id"], "metric": "first_response", "kind": "warning"}


def test_second_inquiry_adds_to_the_customers_history(client, services, settle):
    post(client)
    post(client, FORM | {"message": "And another thing", "name": "Ann B. Lee"})
    settle()  # contact data is saved from the stream
    customer = services.customers.get("ann@example.com")
    assert (customer["ticket_count"], customer["name"], len(customer["tickets"])) == (2, "Ann B. Lee", 2)


def test_form_post_from_a_script_gets_json(client):
    response = post(client, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 201 and response.json_body["status"] == "new"


def test_plain_html_form_gets_a_thank_you_page(client):
    response = post(client, headers=BROWSER)
    assert response.status_code == 201
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"Your reference is CL-" in response.body and b"25 November 2026" in response.body


def test_plain_html_form_is_redirected_to_the_stages_thank_you_page(client, services):
    services.settings = replace(services.settings, thank_you_url="https://shop.example/thanks")
    response = post(client, headers=BROWSER)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://shop.example/thanks?reference=CL-")


def test_invalid_inquiry_lists_every_error_and_stores_nothing(client, mailbox):
    response = post(client, {"name": "", "email": "nope", "channel": "fax"})
    assert response.status_code == 400
    assert {e["field"] for e in response.json_body["errors"]} == {"name", "email", "message", "channel"}
    assert mailbox() == []


def test_body_over_64_kib_is_413(client):
    response = post(client, raw=json.dumps(FORM | {"message": "x" * 70_000}))
    assert response.status_code == 413
    assert response.json_body["errors"][0]["field"] == "body"


def test_other_content_types_are_415(client):
    response = client.http.post("/inquiries", headers={"Content-Type": "text/plain"}, body="hello")
    assert response.status_code == 415


def test_filled_honeypot_looks_accepted_but_nothing_is_stored_or_sent(client, services, mailbox):
    response = post(client, FORM | {"website": "http://cheap-pills.example"})
    assert response.status_code == 201 and response.json_body["reference"].startswith("CL-")
    assert services.store.ticket(response.json_body["id"]) is None
    assert mailbox() == []


def test_retry_with_the_same_idempotency_key_creates_nothing_new(client, mailbox, services):
    headers = JSON_HEADERS | {"Idempotency-Key": "form-42"}
    first, again = post(client, headers=headers), post(client, FORM | {"subject": " Parcel "}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json_body == first.json_body
    assert len(mailbox()) == 1
    assert services.customers.get("ann@example.com")["ticket_count"] == 1


def test_same_idempotency_key_with_another_body_is_409(client):
    post(client, headers=JSON_HEADERS | {"Idempotency-Key": "form-42"})
    response = post(client, FORM | {"message": "different"}, headers=JSON_HEADERS | {"Idempotency-Key": "form-42"})
    assert response.status_code == 409
    assert response.json_body["errors"][0]["field"] == "Idempotency-Key"


def test_overlong_idempotency_key_is_400(client):
    response = post(client, headers=JSON_HEADERS | {"Idempotency-Key": "k" * 129})
    assert response.status_code == 400
    assert response.json_body["errors"] == [{"field": "Idempotency-Key", "message": "must be 1 to 128 characters",
                                             "code": "invalid"}]


def test_flooding_one_address_gets_429_until_the_window_passes(client, clock, settings):
    limit = settings.per_email.requests
    answers = [post(client, FORM | {"message": f"message {n}"}).status_code for n in range(limit + 1)]
    assert answers == [201] * limit + [429]
    flooded = post(client, FORM | {"message": "once more"})
    assert 0 < int(flooded.headers["Retry-After"]) <= settings.per_email.window_minutes * 60
    clock.advance(timedelta(minutes=settings.per_email.window_minutes))
    assert post(client, FORM | {"message": "later"}).status_code == 201
    assert post(client, FORM | {"email": "bob@example.com"}).status_code == 201


def test_cors_allows_only_the_stages_origins(client, settings):
    origin = settings.cors_origins[0]
    allowed = client.http.request("OPTIONS", "/inquiries", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST"})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == origin
    assert "Idempotency-Key" in allowed.headers["Access-Control-Allow-Headers"]
    created = post(client, headers=JSON_HEADERS | {"Origin": origin})
    assert created.headers["Access-Control-Allow-Origin"] == origin
    foreign = client.http.request("OPTIONS", "/inquiries", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_line_breaks_in_the_name_inject_no_header(client, mailbox):
    post(client, FORM | {"name": "Ann\r\nBcc: victim@example.com"})
    [mail] = mailbox()
    assert "Bcc" not in mail["headers"]
    assert mail["to"] == ['"Ann Bcc: victim@example.com" <ann@example.com>']


def test_health(client):
    response = client.http.get("/health")
    assert (response.status_code, response.json_body) == (200, {"status": "ok"})
