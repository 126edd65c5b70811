"""Content negotiation and CORS decisions."""
from types import SimpleNamespace

import pytest

from chalicelib.api.http import cors_headers, prefers_html


def request(**headers):
    return SimpleNamespace(headers=headers)


@pytest.mark.parametrize("accept,html", [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),  # a browser's form post
    ("*/*", False),  # curl, fetch()
    ("application/json", False),
    ("application/json, text/html;q=0.5", False),
    ("", False),
])
def test_only_a_browser_that_prefers_html_gets_html(accept, html):
    assert prefers_html(request(accept=accept)) is html


def test_cors_echoes_only_allowed_origins():
    allowed = ("https://shop.example", "https://www.shop.example")
    assert cors_headers(request(origin="https://www.shop.example"), allowed)[
        "Access-Control-Allow-Origin"] == "https://www.shop.example"
    assert "Access-Control-Allow-Origin" not in cors_headers(request(origin="https://evil.example"), allowed)
