"""Every dialogue ends friendly and is measured: a follow-up after
resolution, an automatic close, and a scanner-safe feedback page."""
import json
import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest

from chalicelib.domain.feedback import ExpiredToken, UnknownToken, make_token, read_token


def advance(client, minutes):
    return client.http.post("/_dev/clock", headers={"Content-Type": "application/json"},
                            body=json.dumps({"advance_minutes": minutes})).json_body


def resolve(client, operator, ticket):
    client.http.post(f"/tickets/{ticket['id']}/replies", headers=operator(),
                     body=json.dumps({"body": "Refund issued.", "resolve": True}))


def follow_up_link(mailbox, score=None):
    [mail] = [m for m in mailbox() if m["subject"].startswith("How did we do?")]
    links = re.findall(r"http://\S+/feedback/\S+", mail["text"])
    path = urlparse(next(l for l in links if score is None or l.endswith(f"score={score}"))).path
    return mail, path


def test_one_follow_up_two_days_after_resolution_then_the_ticket_closes(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    resolve(client, operator, ticket)
    assert advance(client, 47 * 60)["fired"] == []
    fired = advance(client, 60)["fired"]
    assert [f["result"]["action"] for f in fired] == ["followed_up"]
    mail, _ = follow_up_link(mailbox)
    assert mail["to"] == ["Ann Lee <ann@example.com>"] and f"[{ticket['reference']}]" in mail["subject"]
    assert "Is anything still unresolved?" in mail["text"] and mail["headers"]["Auto-Submitted"] == "auto-replied"
    assert [f"score={n}" in mail["text"] for n in range(1, 6)] == [True] * 5
    assert [f["result"]["action"] for f in advance(client, 24 * 60)["fired"]] == ["closed"]
    view = client.http.get(f"/tickets/{ticket['id']}", headers=operator()).json_body
    assert view["status"] == "closed"
    assert len([m for m in mailbox() if m["subject"].startswith("How did we do?")]) == 1


def test_a_reopened_ticket_gets_no_follow_up_and_stays_open(client, operator, new_ticket, services, mailbox):
    ticket = new_ticket()
    resolve(client, operator, ticket)
    services.tickets.customer_message(ticket["id"], "It broke again.")
    advance(client, 5 * 24 * 60)
    assert not [m for m in mailbox() if m["subject"].startswith("How did we do?")]
    assert client.http.get(f"/tickets/{ticket['id']}", headers=operator()).json_body["status"] == "open"


def test_opening_the_link_records_nothing_and_posting_records(client, operator, new_ticket, mailbox):
    ticket = new_ticket()
    resolve(client, operator, ticket)
    advance(client, 48 * 60)
    _, path = follow_up_link(mailbox, score=4)
    page = client.http.get(path + "?score=4")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert b'value="4" required checked' in page.body and b"<script" not in page.body
    assert client.http.get(f"/tickets/{ticket['id']}", headers=operator()).json_body["feedback"] is None

    posted = client.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded"},
                              body="csat=4&nps=9&comment=Quick+and+kind")
    assert posted.status_code == 200 and posted.json_body["feedback"] == {"csat": 4, "nps": 9, "comment": "Quick and kind"}
    changed = client.http.post(path, headers={"Content-Type": "application/json"}, body=json.dumps({"csat": 5}))
    assert changed.status_code == 200
    view = client.http.get(f"/tickets/{ticket['id']}", headers=operator()).json_body
    assert view["feedback"]["csat"] == 5


@pytest.mark.parametrize("body,fields", [({"csat": 6}, {"csat"}), ({"nps": 3}, {"csat"}),
                                         ({"csat": 3, "nps": 11}, {"nps"}), ({"csat": "x"}, {"csat"})])
def test_invalid_ratings_are_400_by_field(client, operator, new_ticket, mailbox, body, fields):
    ticket = new_ticket()
    resolve(client, operator, ticket)
    advance(client, 48 * 60)
    _, path = follow_up_link(mailbox)
    response = client.http.post(path, headers={"Content-Type": "application/json"}, body=json.dumps(body))
    assert response.status_code == 400 and {e["field"] for e in response.json_body["errors"]} == fields


def test_an_unhappy_rating_with_a_comment_reaches_a_person(client, operator, new_ticket, mailbox, settings):
    ticket = new_ticket()
    resolve(client, operator, ticket)
    advance(client, 48 * 60)
    _, path = follow_up_link(mailbox)
    client.http.post(path, headers={"Content-Type": "application/json"},
                     body=json.dumps({"csat": 1, "comment": "Nobody listened."}))
    notice = mailbox()[-1]
    assert notice["to"] == [settings.team_lead_address] and "Nobody listened." in notice["text"]


def test_tampered_and_expired_links(client, services, new_ticket, clock):
    ticket = new_ticket()
    key = services.signing_key()
    token = make_token(ticket["id"], clock.now() + timedelta(days=30), key)
    assert read_token(token, key, clock.now()) == ticket["id"]
    forged = make_token(ticket["id"], clock.now() + timedelta(days=30), b"another secret")
    assert client.http.get(f"/feedback/{forged}").status_code == 404
    assert client.http.get("/feedback/garbage").status_code == 404
    with pytest.raises(UnknownToken):
        read_token(token.replace(".", "x.", 1), key, clock.now())
    clock.advance(timedelta(days=31))
    with pytest.raises(ExpiredToken):
        read_token(token, key, clock.now())
    assert client.http.get(f"/feedback/{token}").status_code == 410
    expired = client.http.post(f"/feedback/{token}", headers={"Content-Type": "application/json"},
                               body=json.dumps({"csat": 5}))
    assert expired.status_code == 410


def test_feedback_preflight_follows_the_stages_allow_list(client, settings):
    allowed = client.http.request("OPTIONS", "/feedback/any", headers={"Origin": settings.cors_origins[0]})
    assert allowed.headers["Access-Control-Allow-Origin"] == settings.cors_origins[0]
    foreign = client.http.request("OPTIONS", "/feedback/any", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
