"""The follow-up email after resolution: it thanks, asks whether anything is
still unresolved and links every score, with the customer's words escaped."""

from chalicelib.views.emails import FollowUpFacts, follow_up


def test_the_follow_up_thanks_asks_and_links_every_score_with_customer_words_escaped():
    url = "https://help.example/feedback/T0KEN.sig"
    mail = follow_up(
        FollowUpFacts(
            brand="Shop & Co",
            reference="CL-ABC123",
            name='<b>"Ann"</b> Lee',
            email="ann@example.com",
            subject="<script>alert(1)</script>",
            feedback_url=url,
            thread_ids=("<m1@example.com>", "<m2@shop.example>"),
        )
    )
    assert mail.subject.endswith("[CL-ABC123]") and mail.to_address == "ann@example.com"
    assert mail.headers["Auto-Submitted"] == "auto-replied" and mail.headers["In-Reply-To"] == "<m2@shop.example>"
    for part in (mail.text, mail.html):
        assert "Is anything still unresolved?" in part and "reply to this email" in part
        assert [f"{url}?score={n}" in part for n in range(1, 6)] == [True] * 5  # one link per CSAT score
        assert "(0–10)" in part  # NPS on the same page
    assert 'Hello <b>"Ann"</b>,' in mail.text
    assert "Hello &lt;b&gt;&quot;Ann&quot;&lt;/b&gt;," in mail.html and "<b>" not in mail.html
    assert "Shop &amp; Co" in mail.html and "<script>" not in mail.html
