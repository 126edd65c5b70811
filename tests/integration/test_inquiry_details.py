"""Every detail the inquiry's field definition declares (domain/inquiry.py
DETAILS) goes the same way, so a field added there needs no test of its own:
posted, it is on the ticket; the operator's view shows it (contact data with
the customer) and lists it under its label; the acknowledgement quotes it
when its field says so; erasure removes it when it is personal."""

import json
from urllib.parse import urlencode

from chalicelib.domain.inquiry import DETAILS
from chalicelib.views.i18n import catalogue, resolve


def test_every_detail_reaches_the_views_its_field_names_and_erasure_removes_the_personal_ones(
    client, operator, new_ticket, mailbox
):
    given = {f.name: f.example for f in DETAILS}
    ticket = new_ticket(**given)
    view = client.http.get(f"/tickets/{ticket['id']}", headers=operator()).json_body
    for f in DETAILS:
        if f.operators and f.contact:
            assert view["customer"][f.name] == f.example
        elif f.operators:
            assert view[f.name] == f.example
            assert {"field": f.name, "label": catalogue("en")[f.label], "value": f.example} in view["details"]
        else:
            assert f.example not in json.dumps(view), f.name
    [acknowledgement] = mailbox()
    language = resolve(given.get("locale")).code  # written in the customer's language
    for f in DETAILS:
        quoted = f"{catalogue(language)[f.label]}: {f.example}" if f.label else f.example
        assert (quoted in acknowledgement["text"]) == f.acknowledged, f.name

    admin = operator("admin", "lead@shop.example")
    assert client.http.delete("/customers/ann@example.com", headers=admin).status_code == 200
    erased = json.dumps(client.http.get(f"/tickets/{ticket['id']}", headers=operator()).json_body)
    for f in DETAILS:
        assert (f'"{f.example}"' in erased) == (not f.personal and f.operators), f.name


def test_the_customer_says_when_to_reach_them_and_hears_it_back(client, operator, new_ticket, mailbox):
    ticket = new_ticket(contact_time="weekdays after 6 pm")
    view = client.http.get(f"/tickets/{ticket['id']}", headers=operator()).json_body
    assert view["contact_time"] == "weekdays after 6 pm"
    [acknowledgement] = mailbox()
    assert "Preferred contact time: weekdays after 6 pm" in acknowledgement["text"]
    assert "weekdays after 6 pm" in acknowledgement["html"]
    too_long = client.http.post(
        "/inquiries",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"name": "Ann", "email": "ann@example.com", "message": "Hi", "contact_time": "x" * 101}),
    )
    assert too_long.status_code == 400
    assert too_long.json_body["errors"] == [
        {"field": "contact_time", "message": "must be at most 100 characters", "code": "invalid"}
    ]


def test_the_shipped_form_shown_again_keeps_the_contact_time_in_its_own_field(client):
    body = urlencode({"name": "Ann", "email": "ann@example", "message": "Hi", "contact_time": "after 6 pm"})
    browser = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
    response = client.http.post("/inquiries", headers=browser, body=body)
    assert response.status_code == 400
    page = response.body.decode()
    assert '<label for="f-contact_time">When is best to reach you? (optional)</label>' in page
    assert 'name="contact_time" value="after 6 pm">' in page and 'type="hidden" name="contact_time"' not in page
