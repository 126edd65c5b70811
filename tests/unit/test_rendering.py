"""Templates: every one compiles; HTML escapes every value (as the standard
library spells entities), plain text escapes none; one composer per kind of
email."""

from datetime import UTC, datetime

import pytest

from chalicelib.views.compose import COMPOSERS, Occasion, compose
from chalicelib.views.emails import ReplyFacts, operator_reply
from chalicelib.views.render import TEMPLATES, _environment

HOSTILE = "<b>\"Ann\" & 'Bo'</b>"


@pytest.mark.parametrize("name", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.*")))
def test_every_template_compiles(name):
    _environment().get_template(name)


def test_html_escapes_every_value_and_the_text_part_keeps_it_as_written():
    email = operator_reply(
        ReplyFacts(
            brand=HOSTILE,
            reference="CL-1",
            name=HOSTILE,
            email="ann@example.com",
            subject=None,
            body=f"Your parcel: {HOSTILE}\nsecond line",
            operator=None,
            resolved=False,
            thread_ids=(),
            offer={"type": "discount", "description": HOSTILE, "code": HOSTILE},
        )
    )
    escaped = "&lt;b&gt;&quot;Ann&quot; &amp; &#x27;Bo&#x27;&lt;/b&gt;"
    # The body, the offer and its code, the team's signature; the greeting names the first word.
    assert "<b>" not in email.html and email.html.count(escaped) == 4
    assert "<p>Hello &lt;b&gt;&quot;Ann&quot;,</p>" in email.html
    assert email.text.count(HOSTILE) == 4 and "&lt;" not in email.text
    # The template's own line breaks are not output; the operator's are kept.
    assert email.html.count("\n") == 1 and f"{escaped}\nsecond line" in email.html


def test_an_unknown_kind_of_email_is_refused():
    assert {"acknowledgement", "reply", "resolution", "follow_up", "sla_warning", "sla_breach"} <= set(COMPOSERS)
    occasion = Occasion("newsletter", "customer", None, None, datetime(2026, 11, 24, tzinfo=UTC), None, str, bytes)
    with pytest.raises(ValueError, match="unknown email 'newsletter'"):
        compose(occasion)
