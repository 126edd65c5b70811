"""The rating page in the customer's language: the same catalogue as the
emails, every value escaped, errors beside their fields with answers kept."""

from chalicelib.views.feedback_page import rating_page, refusal_page, thanks_page
from chalicelib.views.i18n import resolve
from chalicelib.views.pages import Shop

GERMAN, ENGLISH = resolve("de-DE"), resolve("en-GB")
SHOP = Shop("Careline Demo Shop", "https://shop.example")


def test_a_german_customer_gets_a_german_page():
    html = rating_page(GERMAN, SHOP, "CL-ABC123", None, clicked="4")
    assert '<html lang="de">' in html and "<title>Wie waren wir? · Careline Demo Shop</title>" in html
    assert '<p class="brand">Careline Demo Shop</p>' in html  # whose page it is
    assert "Wie zufrieden waren Sie mit unserer Hilfe?" in html and "4 · Zufrieden" in html
    assert 'value="4" required checked' in html and "Feedback senden" in html
    assert "How" not in html and "Send feedback" not in html


def test_everything_the_customer_or_a_reference_brings_is_escaped():
    html = rating_page(ENGLISH, SHOP, "CL-<i>1</i>", {"csat": 2, "comment": "</textarea><script>alert(1)</script>"})
    assert "<script>" not in html and "&lt;/textarea&gt;&lt;script&gt;" in html and "CL-&lt;i&gt;1&lt;/i&gt;" in html


def test_a_refused_answer_shows_each_problem_beside_its_field_and_keeps_every_answer():
    html = rating_page(GERMAN, SHOP, "CL-ABC123", {"nps": "11", "comment": "Zu langsam"}, errors=["csat", "nps"])
    assert "Bitte prüfen Sie Ihr Feedback" in html
    assert html.index("Bitte wählen Sie, wie zufrieden Sie waren") < html.index('name="csat" value="1"')
    assert 'aria-describedby="nps-error"' in html and 'id="nps-error"' in html and 'id="comment-error"' not in html
    assert ">Zu langsam</textarea>" in html


def test_thanks_and_refusals_speak_the_language_too():
    assert "Vielen Dank!" in thanks_page(GERMAN, SHOP) and '<html lang="de">' in thanks_page(GERMAN, SHOP)
    assert '<a href="https://shop.example">Zurück zu Careline Demo Shop</a>' in thanks_page(GERMAN, SHOP)
    assert "Dieser Feedback-Link ist abgelaufen." in refusal_page(GERMAN, SHOP, expired=True)
    assert "This feedback link is not valid." in refusal_page(ENGLISH, SHOP, expired=False)
