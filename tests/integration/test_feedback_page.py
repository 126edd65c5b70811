"""The rating page as the app serves it: in the ticket's language, a refused
answer shown again beside its fields with the answers kept, the thanks, and
an unknown link in the reader's language."""

import json
from datetime import timedelta

from chalicelib.domain.feedback import make_token


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
