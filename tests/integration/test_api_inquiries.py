"""POST /inquiries as a storefront uses it, against emulated AWS."""

import json
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from chalicelib.adapters.aws import client as aws_client
from tests.calls import FORM, JSON_HEADERS, post, schedules

BROWSER = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
}


def test_inquiry_is_stored_acknowledged_and_scheduled(client, services, settings, mailbox):
    response = post(client)
    assert response.status_code == 201
    answer = response.json_body
    assert schedules(settings, settle=False) == [] and mailbox.unsettled() == []  # the request wrote once; nothing more
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
    assert "Hello Ann," in mail["text"] and "> Where is my parcel?" in mail["text"]
    assert "by Wednesday, 25 November 2026 at 10:00 (Berlin time) at the latest" in mail["text"]
    assert "2026-11-25T09:00:00Z" not in mail["text"] and '<time datetime="2026-11-25T09:00:00Z">' in mail["html"]

    [name] = schedules(settings)
    schedule = aws_client("scheduler").get_schedule(GroupName=settings.scheduler_group, Name=name)
    assert schedule["ScheduleExpression"] == "at(2026-11-25T04:12:00)"  # 80 % of 24 h
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["ActionAfterCompletion"] == "DELETE"
    assert json.loads(schedule["Target"]["Input"]) == {
        "type": "sla",
        "ticket_id": answer["id"],
        "metric": "first_response",
        "kind": "warning",
    }


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
    page = response.body.decode()
    assert "Your reference is <strong>CL-" in page and "Careline Demo Shop" in page
    # 09:00 UTC is 10:00 in the shop's time zone (Europe/Berlin)
    assert "Wednesday, 25 November 2026 at 10:00 (Berlin time)" in page


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
    assert response.json_body["errors"] == [
        {"field": "Idempotency-Key", "message": "must be 1 to 128 characters", "code": "invalid"}
    ]


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
    allowed = client.http.request(
        "OPTIONS", "/inquiries", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
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


# Hostile input (issue 13): every one a 400 naming the field; nothing stored or sent.
@pytest.mark.parametrize(
    "fields,field",
    [
        ({"subject": "Parcel\u2028Bcc: victim@example.com"}, "subject"),
        ({"subject": "Parcel\u2029x"}, "subject"),
        ({"subject": "Parcel\u0085x"}, "subject"),
        ({"subject": "Parcel\x0bx"}, "subject"),
        ({"subject": "Parcel\x0cx"}, "subject"),
        ({"subject": "Parcel\x1cx"}, "subject"),
        ({"subject": "Par\x00cel"}, "subject"),
        ({"name": "Ann\x00Lee"}, "name"),
        ({"name": "Ann\x1fLee"}, "name"),
        ({"message": "Hi\x00"}, "message"),
        ({"email": "ann\u2028@example.com"}, "email"),
        ({"timezone": {}}, "timezone"),
        ({"timezone": []}, "timezone"),
        ({"timezone": "Nowhere/Else"}, "timezone"),
        ({"callback": {"phone": "123", "window": "am\u2028Bcc: x"}}, "callback.window"),
        # Issue 24: garbage that was stored.
        ({"name": "\u200d\u200d\u200c"}, "name"),  # joiners only: nobody's name
        ({"subject": "\u200d"}, "subject"),
        ({"email": "=?utf-8?q?a?=@example.com"}, "email"),  # SES refuses it on every retry
        ({"name": "Ann\ud800"}, "name"),  # a lone surrogate: DynamoDB and SES refuse it forever
        ({"message": "Hi \udfff"}, "message"),
        ({"form_key": "\ud800"}, "form_key"),
        ({"website": "\ud800"}, "website"),
    ],
)
def test_hostile_fields_are_refused_by_field_and_nothing_is_stored(client, services, mailbox, fields, field):
    response = post(client, FORM | fields)
    assert response.status_code == 400, response.body
    assert field in {e["field"] for e in response.json_body["errors"]}
    assert services.store.ticket_ids_of("ann@example.com") == [] and mailbox() == []


@pytest.mark.parametrize(
    "body,field",
    [
        ("name=Ann%FFLee&email=ann%40example.com&message=Hi", "name"),  # was stored as "Ann\ufffdLee"
        ("name=Ann&email=ann%40example.com&message=%C3%28", "message"),
        ("name=Ann&email=ann%40example.com&message=Hi&%FF=1", "body"),
    ],
)
def test_a_form_post_that_is_not_utf_8_is_400_naming_the_field(client, services, body, field):
    response = client.http.post("/inquiries", headers=BROWSER | {"Accept": "application/json"}, body=body)
    assert response.status_code == 400 and field in {e["field"] for e in response.json_body["errors"]}
    assert services.store.ticket_ids_of("ann@example.com") == []


@pytest.mark.parametrize("raw", [b"[" * 1000 + b"]" * 1000, b'{"name":' * 1000 + b'"x"' + b"}" * 1000])
def test_deeply_nested_json_is_400_not_500(client, raw):
    assert len(raw) < 12_000
    response = post(client, raw=raw.decode())
    assert response.status_code == 400
    assert response.json_body["errors"][0]["field"] == "body"


def test_whitespace_in_a_name_is_folded_before_it_reaches_the_to_header(client, mailbox):
    assert post(client, FORM | {"name": "Ann\u2028Lee"}).status_code == 201
    [mail] = mailbox()
    assert mail["to"] == ["Ann Lee <ann@example.com>"]


def test_the_shipped_form_with_the_callback_skipped_is_accepted(client):
    body = urlencode(FORM | {"callback[phone]": "", "order_id": "", "website": ""})
    response = client.http.post("/inquiries", headers={"Content-Type": "application/x-www-form-urlencoded"}, body=body)
    assert response.status_code == 201, response.body


def test_every_response_says_nosniff(client):
    assert post(client).headers["X-Content-Type-Options"] == "nosniff"
    assert post(client, {"name": ""}).headers["X-Content-Type-Options"] == "nosniff"


# A browser's plain form post (no JavaScript) gets pages, never raw JSON.
def test_a_plain_form_with_problems_gets_the_form_again_with_each_message_beside_its_field(client, mailbox):
    fields = FORM | {
        "email": "ann@example",
        "name": "Ann <b>Lee</b>",
        "message": "",
        "subject": '"><script>alert(1)</script>',
        "order_id": "A-1",
        "callback[phone]": "abc",
    }
    response = post(client, fields, headers=BROWSER)
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    assert (
        '<input type="email" id="f-email" name="email" required autocomplete="email" aria-invalid="true" '
        'aria-describedby="f-email-error" value="ann@example">' in page
    )
    assert '<p class="error" id="f-email-error">must be a valid email address, like name@example.com</p>' in page
    assert 'id="f-message-error">must not be empty</p>' in page
    assert 'id="f-callback-phone-error">may contain only digits' in page
    # every value kept, escaped
    assert 'value="Ann &lt;b&gt;Lee&lt;/b&gt;"' in page and 'value="A-1"' in page
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page and "<script>" not in page
    assert '<a href="#f-email">Email: must be a valid email address' in page
    assert mailbox() == []


def test_a_plain_form_that_floods_gets_a_page_saying_when_to_try_again(client, settings):
    for n in range(settings.per_email.requests):
        assert post(client, FORM | {"message": f"message {n}"}, headers=BROWSER).status_code == 201
    response = post(client, FORM | {"message": "Where is my parcel, again?"}, headers=BROWSER)
    assert response.status_code == 429
    assert response.headers["Content-Type"].startswith("text/html")
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= settings.per_email.window_minutes * 60
    page = response.body.decode()
    # 09:00 UTC now; the 10-minute window ends at 09:10 UTC, 10:10 in Berlin
    assert (
        f"Please send this one again in about {-(-wait // 60)} minutes, after Tuesday, 24 November 2026 at 10:10"
        in page
    )
    assert "Where is my parcel, again?</textarea>" in page


def test_a_plain_form_gets_a_page_when_the_store_is_down(client, services):
    aws_client("dynamodb").delete_table(TableName=services.settings.table_prefix + "tickets")
    response = post(client, headers=BROWSER)
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert "nothing was sent" in response.body.decode() and 'value="Ann Lee"' in response.body.decode()


def test_a_plain_form_over_64_kib_gets_a_page(client):
    response = post(client, FORM | {"message": "x" * 70_000}, headers=BROWSER)
    assert response.status_code == 413 and response.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("fields,status", [(FORM, 201), ({"name": ""}, 400)])
def test_every_page_sends_the_security_headers(client, fields, status):
    response = post(client, fields, headers=BROWSER)
    assert response.status_code == status
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert "style-src 'sha256-" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "origin", ["http://localhost:3000", "http://127.0.0.1:5173", "http://[::1]:8000", "http://localhost"]
)
def test_the_local_stage_answers_any_loopback_origin(client, origin):
    response = post(client, headers=JSON_HEADERS | {"Origin": origin})
    assert response.headers["Access-Control-Allow-Origin"] == origin


@pytest.mark.parametrize(
    "origin", ["http://localhost.evil.example:3000", "http://127.0.0.2:3000", "http://localhost:3000/path", "null"]
)
def test_only_loopback_origins_are_let_in(client, origin):
    response = post(client, headers=JSON_HEADERS | {"Origin": origin})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_other_stages_keep_their_allow_list(client, services):
    from chalicelib.config import load_stage_document, settings_from

    aws = {
        "CARELINE_SCHEDULER_TARGET_ARN": "arn:t",
        "CARELINE_SCHEDULER_ROLE_ARN": "arn:r",
        "CARELINE_PUBLIC_URL": "https://api.example",
        "CARELINE_SECRET_ARN": "arn:s",
        "CARELINE_ATTACHMENTS_BUCKET": "careline-test-attachments",
    }
    for stage in ("dev", "staging", "prod"):
        deployed = settings_from(stage, load_stage_document(stage), aws)
        services.settings = replace(
            services.settings, cors_origins=deployed.cors_origins, cors_loopback=deployed.cors_loopback
        )
        response = post(client, headers=JSON_HEADERS | {"Origin": "http://localhost:3000"})
        assert "Access-Control-Allow-Origin" not in response.headers, stage


def test_a_reference_already_taken_is_drawn_again_and_a_run_of_them_is_503_with_nothing_stored(
    client, services, mailbox, monkeypatch
):
    import itertools

    from chalicelib.services import writer  # where a new ticket's reference is drawn

    def send(email):
        return client.http.post(
            "/inquiries", headers={"Content-Type": "application/json"}, body=json.dumps(FORM | {"email": email})
        )

    taken = send("first@example.com").json_body["reference"]
    monkeypatch.setattr(writer, "new_reference", iter([taken, "CL-FRESH234"]).__next__)
    second = send("second@example.com")
    assert (second.status_code, second.json_body["reference"]) == (201, "CL-FRESH234")

    monkeypatch.setattr(writer, "new_reference", itertools.repeat(taken).__next__)
    unlucky = send("third@example.com")
    assert unlucky.status_code == 503 and "Retry-After" in unlucky.headers
    assert services.store.ticket_ids_of("third@example.com") == []
    assert sorted(m["to"][0].split("<")[1] for m in mailbox()) == ["first@example.com>", "second@example.com>"]


def test_an_address_in_any_case_shares_one_window_and_hears_when_it_ends(client, clock):
    # The local stage: 5 per address in fixed 10-minute windows; 09:00 starts one.
    for n, email in enumerate(
        ["ann@example.com", "Ann@Example.com", "ANN@EXAMPLE.COM", "ann@example.com", "aNN@example.com"]
    ):
        assert post(client, FORM | {"email": email, "message": f"message {n}"}).status_code == 201
    clock.advance(timedelta(minutes=4))
    flooded = post(client, FORM | {"email": "Ann@example.com", "message": "once more"})
    assert (flooded.status_code, flooded.headers["Retry-After"]) == (429, "360")  # until 09:10
    clock.advance(timedelta(minutes=6))
    assert post(client, FORM | {"message": "the next window"}).status_code == 201


@pytest.mark.parametrize("key", ["k", "k" * 128])
def test_idempotency_keys_of_1_to_128_characters_are_taken(client, key):
    assert post(client, headers=JSON_HEADERS | {"Idempotency-Key": key}).status_code == 201


def test_every_field_of_the_form_reaches_the_ticket_and_the_acknowledgement(client, operator, mailbox):
    fields = FORM | {
        "subject": "Wrong size",
        "category": "returns",
        "order_id": "A-1042",
        "phone": "+49 30 1234",
        "locale": "de",
        "timezone": "Europe/Berlin",
        "salutation": "ms",
        "callback": {"phone": "+49 30 5678", "window": "weekdays after 17:00"},
    }
    answer = post(client, fields).json_body
    view = client.http.get(f"/tickets/{answer['id']}", headers=operator()).json_body
    assert (view["subject"], view["category"], view["order_id"], view["channel"]) == (
        "Wrong size",
        "returns",
        "A-1042",
        "web",
    )
    assert view["customer"] == {
        "name": "Ann Lee",
        "email": "ann@example.com",
        "phone": "+49 30 1234",
        "locale": "de",
        "salutation": "ms",
        "timezone": "Europe/Berlin",
    }
    assert view["callback"] == {"phone": "+49 30 5678", "window": "weekdays after 17:00", "status": "requested"}
    [mail] = mailbox()  # in German, due times in Berlin time, with the call she asked for
    assert "Wrong size" in mail["subject"] and "Guten Tag Frau Lee," in mail["text"]
    assert "14:00 (Ortszeit Berlin) von uns." in mail["text"] and answer["first_response_due"] not in mail["text"]
    assert "Bestellung: A-1042" in mail["text"] and "Rückruf: +49 30 5678 (weekdays after 17:00)" in mail["text"]


def _sender_limited(rate_limits: bool):
    from chalicelib.config import Limit, load_settings

    return replace(
        load_settings(), webhooks=(), per_sender=Limit(requests=3, window_minutes=10), rate_limits=rate_limits
    )


@pytest.mark.parametrize(
    "settings,answers",
    [(_sender_limited(True), [201, 201, 201, 429]), (_sender_limited(False), [201] * 4)],
    ids=["limits on", "CARELINE_RATE_LIMITS=off"],
)
def test_one_sender_flooding_with_many_addresses_is_stopped_unless_limits_are_off(client, services, answers):
    # Every address new, one source address: the per-sender window is what stops it.
    assert [post(client, FORM | {"email": f"c{n}@example.com"}).status_code for n in range(4)] == answers
    assert bool(services.store.ticket_ids_of("c3@example.com")) == (answers[-1] == 201)


def _behind_cloudfront():
    return replace(_sender_limited(True), origin_secret="cloudfront-says-so")


@pytest.mark.parametrize("settings", [_behind_cloudfront()], ids=["behind CloudFront"])
def test_behind_cloudfront_each_customer_has_their_own_limit_and_a_forger_has_none_to_escape(client):
    """Every request reaches API Gateway from CloudFront's addresses: the
    per-sender limit counts the viewer's address CloudFront vouches for."""
    from chalicelib.api.http import ORIGIN_SECRET, VIEWER_ADDRESS

    def through_cloudfront(n, viewer):
        headers = JSON_HEADERS | {ORIGIN_SECRET: "cloudfront-says-so", VIEWER_ADDRESS: viewer}
        return post(client, FORM | {"email": f"v{n}@example.com"}, headers=headers).status_code

    # Five customers behind one edge location: none waits for another.
    assert [through_cloudfront(n, f"203.0.113.{n}") for n in range(5)] == [201] * 5
    # One customer sending many: stopped at the limit, whatever the edge.
    assert [through_cloudfront(10 + n, "198.51.100.7") for n in range(4)] == [201, 201, 201, 429]
    # Around CloudFront, a made-up viewer address without the secret counts as the caller's own.
    forged = JSON_HEADERS | {ORIGIN_SECRET: "guess", VIEWER_ADDRESS: "192.0.2.99"}
    answers = [post(client, FORM | {"email": f"f{n}@example.com"}, headers=forged).status_code for n in range(4)]
    assert answers == [201, 201, 201, 429]


def test_a_honeypot_replayed_with_its_idempotency_key_gets_the_same_answer(client, services, mailbox):
    # Issue 24: a different reference told the bot its post had been seen through.
    headers = JSON_HEADERS | {"Idempotency-Key": "bot-1"}
    bot = FORM | {"website": "http://cheap-pills.example"}
    first, again = post(client, bot, headers=headers), post(client, bot, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201) and again.json_body == first.json_body
    assert post(client, bot | {"message": "other"}, headers=headers).status_code == 409  # as for a real one
    assert services.store.ticket(first.json_body["id"]) is None and mailbox() == []


@pytest.mark.parametrize(
    "variants,separate",
    [
        # +tags: every domain; dots: only where the provider ignores them (domain/text.py DOTLESS_DOMAINS)
        (["ann+1@gmail.com", "a.nn@gmail.com", "ANN+x@googlemail.com", "ann@gmail.com", "a.n.n+z@gmail.com"], None),
        (["ann+1@example.com", "ann+2@example.com", "Ann+3@Example.com", "ann@example.com", "ann+@example.com"], None),
        (["ann@example.com"] * 5, "a.nn@example.com"),  # at example.com a.nn@ may be someone else
    ],
)
def test_tag_and_dot_variants_of_an_address_share_its_rate_limit(client, variants, separate):
    for n, email in enumerate(variants):
        assert post(client, FORM | {"email": email, "message": f"message {n}"}).status_code == 201
    assert post(client, FORM | {"email": variants[0], "message": "once more"}).status_code == 429
    if separate:
        assert post(client, FORM | {"email": separate, "message": "someone else"}).status_code == 201
