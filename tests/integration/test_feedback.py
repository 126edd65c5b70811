"""The follow-up's rating page (contract section 2): opening a link records
nothing (mail scanners open links); posting records or updates the ticket's
feedback; forged links are 404, old ones 410; unhappy words reach a person."""

import json
from datetime import timedelta

import pytest

from chalicelib.domain.feedback import ExpiredToken, UnknownToken, make_token, read_token
from tests.calls import advance, follow_up_link, resolve, view

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def link(client, operator, new_ticket, mailbox):
    """A resolved ticket, two days on: its follow-up's feedback path."""
    ticket = new_ticket()
    resolve(client, operator, ticket)
    advance(client, 48 * 60)
    return ticket, follow_up_link(mailbox)[1]


def rate(client, path, body, headers=JSON):
    return client.http.post(path, headers=headers, body=body if isinstance(body, str) else json.dumps(body))


def test_opening_the_link_records_nothing_and_posting_records_then_updates(client, operator, mailbox, link):
    ticket, _ = link
    _, path = follow_up_link(mailbox, score=4)
    page = client.http.get(path + "?score=4")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert b'value="4" required checked' in page.body and b"<script" not in page.body
    assert view(client, operator, ticket)["feedback"] is None

    posted = rate(client, path, "csat=4&nps=9&comment=Quick+and+kind", FORM)
    assert posted.status_code == 200
    assert posted.json_body["feedback"] == {"csat": 4, "nps": 9, "comment": "Quick and kind"}
    assert rate(client, path, {"csat": 5}).status_code == 200
    feedback = view(client, operator, ticket)["feedback"]
    # A later rating updates only the answers it carries: the NPS and the words stay.
    assert (feedback["csat"], feedback["nps"], feedback["comment"]) == (5, 9, "Quick and kind")


def test_the_page_is_a_small_accessible_form_with_the_clicked_score_chosen(client, operator, link):
    ticket, path = link
    rate(client, path, {"csat": 2, "comment": "<b>Slow</b> & rude"})
    page = client.http.get(path + "?score=5")
    html = page.body.decode()
    assert 'value="5" required checked' in html and 'value="2" required checked' not in html  # the click wins
    assert "&lt;b&gt;Slow&lt;/b&gt; &amp; rude</textarea>" in html  # their earlier words, escaped
    assert '<meta name="viewport"' in html and html.count("<legend>") == 2 and '<label for="comment">' in html
    assert [f'name="nps" value="{n}"' in html for n in range(11)] == [True] * 11
    # Nothing loaded from elsewhere; the one <link> is the empty icon, which spares the browser a /favicon.ico.
    assert html.count('<link rel="icon" href="data:,">') == html.count("<link") == 1
    assert not any(external in html for external in ("<script", "src=", "http://", "https://"))
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert view(client, operator, ticket)["feedback"]["csat"] == 2  # opened again: still nothing recorded


def test_a_browser_posting_the_form_gets_pages_not_json(client, link):
    _, path = link
    browser = FORM | {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    thanks = rate(client, path, "csat=5", browser)
    assert thanks.status_code == 200 and b"Thank you!" in thanks.body
    assert thanks.headers["Content-Type"].startswith("text/html")
    refused = rate(client, path, "csat=9", browser)
    assert refused.status_code == 400 and refused.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "body,fields",
    [
        ({"csat": 6}, {"csat"}),
        ({"nps": 3}, {"csat"}),
        ({"csat": 0}, {"csat"}),
        ({"csat": 3, "nps": 11}, {"nps"}),
        ({"csat": "x"}, {"csat"}),
        ({"csat": 2.5}, {"csat"}),
        ({"csat": True}, {"csat"}),
        ({"csat": 4, "comment": "x" * 5001}, {"comment"}),
        # isdigit() says yes to these; int() to "²" says no (it was a 500), to "١" (Arabic-Indic one) yes
        ({"csat": "²"}, {"csat"}),
        ("csat=%C2%B2", {"csat"}),
        ("csat=%D9%A1", {"csat"}),
        ({"csat": 4, "comment": "\u200d\u200d"}, {"comment"}),
        ({"csat": 4, "comment": "Fine\x00"}, {"comment"}),
        ('{"csat": 4, "comment": "\\ud800"}', {"comment"}),
    ],
)
def test_invalid_ratings_are_400_by_field(client, link, body, fields):
    _, path = link
    form = isinstance(body, str) and not body.startswith("{")
    response = rate(client, path, body, FORM if form else JSON)
    assert response.status_code == 400 and {e["field"] for e in response.json_body["errors"]} == fields


def test_whole_scores_sent_as_decimals_are_stored_and_counted_as_whole(client, operator, link, settle):
    _ticket, path = link
    assert rate(client, path, {"csat": 4.0, "nps": 9.0}).json_body["feedback"] == {"csat": 4, "nps": 9}
    settle()  # counters move from the stream
    metrics = client.http.get("/metrics", headers=operator()).json_body
    assert metrics["csat"]["counts"]["4"] == 1 and metrics["nps"]["promoters"] == 1


def test_an_unhappy_rating_with_a_comment_reaches_a_person_once(client, mailbox, settings, link):
    ticket, path = link
    rate(client, path, {"csat": 1, "comment": "Nobody listened."})
    notice = mailbox()[-1]
    assert notice["to"] == [settings.team_lead_address] and "Nobody listened." in notice["text"]
    assert f"[{ticket['reference']}]" in notice["subject"] and "CSAT 1/5" in notice["subject"]
    assert notice["headers"]["Auto-Submitted"] == "auto-replied"
    sent = len(mailbox())
    rate(client, path, {"csat": 1, "comment": "Nobody listened."})  # sent twice (a double click)
    assert len(mailbox()) == sent


@pytest.mark.parametrize(
    "rating,notified",
    [
        ({"csat": 4, "nps": 6, "comment": "Fine, but pricey."}, False),
        ({"csat": 2}, True),
        ({"csat": 1, "comment": "Rude."}, True),
        ({"csat": 3, "comment": "OK."}, False),
    ],
)
def test_any_csat_of_two_or_less_notifies_the_assignee_with_or_without_words(
    client, operator, new_ticket, mailbox, services, clock, rating, notified
):
    ticket = new_ticket()
    client.http.request(
        "PATCH", f"/tickets/{ticket['id']}", headers=operator(), body=json.dumps({"assignee": "kim@shop.example"})
    )
    token = make_token(ticket["id"], clock.now() + timedelta(days=30), services.signing_key())
    before = len(mailbox())
    assert rate(client, f"/feedback/{token}", rating).status_code == 200
    notices = [m for m in mailbox()[before:] if m["to"] == ["kim@shop.example"]]
    assert len(notices) == (1 if notified else 0)


def test_tampered_links_are_404_and_expired_ones_410(client, services, new_ticket, clock):
    ticket = new_ticket()
    key = services.signing_key()
    token = make_token(ticket["id"], clock.now() + timedelta(days=30), key)
    assert read_token(token, key, clock.now()) == ticket["id"]
    forged = make_token(ticket["id"], clock.now() + timedelta(days=30), b"another secret")
    assert client.http.get(f"/feedback/{forged}").status_code == 404
    assert client.http.get("/feedback/garbage").status_code == 404
    assert rate(client, f"/feedback/{token[:-2]}", {"csat": 5}).status_code == 404
    assert (
        client.http.get(f"/feedback/{make_token('01UNKNOWNTICKET', clock.now() + timedelta(days=1), key)}").status_code
        == 404
    )
    with pytest.raises(UnknownToken):
        read_token(token.replace(".", "x.", 1), key, clock.now())
    clock.advance(timedelta(days=31))
    with pytest.raises(ExpiredToken):
        read_token(token, key, clock.now())
    assert client.http.get(f"/feedback/{token}").status_code == 410
    expired = rate(client, f"/feedback/{token}", {"csat": 5})
    assert expired.status_code == 410 and expired.json_body["errors"][0]["field"] == "token"


def test_the_follow_ups_link_lasts_the_stages_feedback_days(client, clock, settings, link):
    _, path = link
    clock.advance(timedelta(days=settings.feedback_token_days) - timedelta(minutes=1))
    assert client.http.get(path).status_code == 200
    clock.advance(timedelta(minutes=1))
    assert client.http.get(path).status_code == 410


def test_erasure_removes_the_comment_and_keeps_the_scores(client, operator, link):
    ticket, path = link
    rate(client, path, {"csat": 2, "nps": 3, "comment": "Ann here, call me on +49 30 1234"})
    client.http.delete("/customers/ann@example.com", headers=operator("admin", "lead@shop.example"))
    erased = view(client, operator, ticket)
    assert {k: erased["feedback"][k] for k in ("csat", "nps")} == {"csat": 2, "nps": 3}
    assert "comment" not in erased["feedback"] and "+49 30 1234" not in json.dumps(erased)


def test_feedback_answers_follow_the_stages_allow_list(client, settings, link):
    _, path = link
    allowed = client.http.request("OPTIONS", "/feedback/any", headers={"Origin": settings.cors_origins[0]})
    assert allowed.headers["Access-Control-Allow-Origin"] == settings.cors_origins[0]
    foreign = client.http.request("OPTIONS", "/feedback/any", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in foreign.headers
    refused = rate(client, path, {"csat": 9}, JSON | {"Origin": settings.cors_origins[0]})
    assert refused.headers["Access-Control-Allow-Origin"] == settings.cors_origins[0]  # a script can read why


def test_twenty_quick_ratings_tell_a_person_once_what_the_unhappy_one_said(client, mailbox, settings, link):
    # Issue 24: 20 posts before the stream caught up gave 10 "Unhappy customer"
    # emails, 3 of them reading "CSAT 5/5" (the ticket's rating when sent).
    _, path = link
    sent = len(mailbox())
    for i in range(20):
        assert rate(client, path, {"csat": 1 if i % 2 == 0 else 5}).status_code == 200
    notices = [m for m in mailbox()[sent:] if m["to"] == [settings.team_lead_address]]
    assert [n["subject"].split(" [")[0] for n in notices] == ["Unhappy customer: CSAT 1/5"]


def test_each_notice_quotes_the_rating_that_asked_for_it(client, mailbox, settings, link):
    _, path = link
    sent = len(mailbox())
    rate(client, path, {"csat": 1, "comment": "Nobody called."})
    rate(client, path, {"csat": 2, "comment": "Still nobody."})  # new words: told again
    rate(client, path, {"csat": 5, "comment": "Sorted, thanks!"})  # before the notices go out
    notices = [m for m in mailbox()[sent:] if m["to"] == [settings.team_lead_address]]
    assert [("CSAT 1/5" in n["subject"], "Nobody called." in n["text"]) for n in notices[:1]] == [(True, True)]
    assert "CSAT 2/5" in notices[1]["subject"] and "Still nobody." in notices[1]["text"]
    assert len(notices) == 2 and not any("Sorted" in n["text"] or "5/5" in n["subject"] for n in notices)


def test_an_erased_tickets_link_is_gone_and_takes_nothing(client, operator, mailbox, settings, link):
    # Issue 24: after erasure a comment with the customer's name and phone was
    # stored on the erased ticket and emailed to staff.
    ticket, path = link
    client.http.delete("/customers/ann@example.com", headers=operator("admin", "lead@shop.example"))
    sent = len(mailbox())
    posted = rate(client, path, {"csat": 1, "comment": "Ann Lee here, call me on +49 30 1234"})
    assert posted.status_code == 410 and client.http.get(path).status_code == 410
    erased = view(client, operator, ticket)
    assert erased["feedback"] is None and "+49 30 1234" not in json.dumps(erased)
    assert mailbox()[sent:] == []
