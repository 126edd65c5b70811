"""The rating page in the customer's language: the same catalogue as the
emails, every value escaped, errors beside their fields with answers kept."""

import json
from datetime import timedelta

from chalicelib.domain.feedback import make_token
from chalicelib.domain.feedback_page import rating_page, refusal_page, thanks_page
from chalicelib.domain.i18n import resolve

GERMAN, ENGLISH = resolve("de-DE"), resolve("en-GB")


def test_a_german_customer_gets_a_german_page():
    html = rating_page(GERMAN, "CL-ABC123", None, clicked="4")
    assert '<html lang="de">' in html and "<title>Wie waren wir?</title>" in html
    assert "Wie zufrieden waren Sie mit unserer Hilfe?" in html and "4 · Zufrieden" in html
    assert 'value="4" required checked' in html and "Feedback senden" in html
    assert "How" not in html and "Send feedback" not in html


def test_everything_the_customer_or_a_reference_brings_is_escaped():
    html = rating_page(ENGLISH, "CL-<i>1</i>", {"csat": 2, "comment": "</textarea><script>alert(1)</script>"})
    assert "<script>" not in html and "&lt;/textarea&gt;&lt;script&gt;" in html and "CL-&lt;i&gt;1&lt;/i&gt;" in html


def test_a_refused_answer_shows_each_problem_beside_its_field_and_keeps_every_answer():
    html = rating_page(GERMAN, "CL-ABC123", {"nps": "11", "comment": "Zu langsam"}, errors=["csat", "nps"])
    assert "Bitte prüfen Sie Ihr Feedback" in html
    assert html.index("Bitte wählen Sie, wie zufrieden Sie waren") < html.index('name="csat" value="1"')
    assert 'aria-describedby="nps-error"' in html and 'id="nps-error"' in html and 'id="comment-error"' not in html
    assert ">Zu langsam</textarea>" in html


def test_thanks_and_refusals_speak_the_language_too():
    assert "Vielen Dank!" in thanks_page(GERMAN) and '<html lang="de">' in thanks_page(GERMAN)
    assert "Dieser Feedback-Link ist abgelaufen." in refusal_page(GERMAN, expired=True)
    assert "This feedback link is not valid." in refusal_page(ENGLISH, expired=False)


def test_the_served_page_follows_the_tickets_locale(client, services, clock, new_ticket):
    ticket = new_ticket(locale="de-AT")
    token = make_token(ticket["id"], clock.now() + timedelta(days=30), services.signing_key())
    page = client.http.get(f"/feedback/{token}?score=5").body.decode()
    assert "Wie waren wir?" in page and 'value="5" required checked' in page
    browser = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
    refused = client.http.post(f"/feedback/{token}", headers=browser, body="nps=3&comment=Nett")
    assert refused.status_code == 400 and "Bitte wählen Sie, wie zufrieden" in refused.body.decode()
    assert 'name="nps" value="3" checked' in refused.body.decode() and ">Nett</textarea>" in refused.body.decode()
    thanks = client.http.post(f"/feedback/{token}", headers=browser, body="csat=5")
    assert thanks.status_code == 200 and "Vielen Dank!" in thanks.body.decode()
    unknown = client.http.get("/feedback/garbage", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert unknown.status_code == 404 and "Dieser Feedback-Link ist ungültig." in unknown.body.decode()
    assert (
        json.loads(
            client.http.post("/feedback/garbage", headers={"Content-Type": "application/json"}, body='{"csat": 5}').body
        )["errors"][0]["field"]
        == "token"
    )
