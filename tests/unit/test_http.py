"""Content negotiation and CORS decisions."""

import json
from types import SimpleNamespace

import pytest

from chalicelib.api.http import cors_headers, prefers_html


def request(**headers):
    return SimpleNamespace(headers=headers)


@pytest.mark.parametrize(
    "accept,html",
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),  # a browser's form post
        ("*/*", False),  # curl, fetch()
        ("application/json", False),
        ("application/json, text/html;q=0.5", False),
        ("", False),
    ],
)
def test_only_a_browser_that_prefers_html_gets_html(accept, html):
    assert prefers_html(request(accept=accept)) is html


def test_cors_echoes_only_allowed_origins():
    allowed = ("https://shop.example", "https://www.shop.example")
    assert (
        cors_headers(request(origin="https://www.shop.example"), allowed)["Access-Control-Allow-Origin"]
        == "https://www.shop.example"
    )
    assert "Access-Control-Allow-Origin" not in cors_headers(request(origin="https://evil.example"), allowed)


def test_loopback_origins_only_when_the_stage_says_so():
    from chalicelib.api.http import origin_allowed

    for origin in ("http://localhost:5173", "https://127.0.0.1:3000", "http://[::1]:8080", "http://localhost"):
        assert origin_allowed(origin, (), loopback=True) and not origin_allowed(origin, (), loopback=False)
    for origin in (
        "http://localhost.evil.example",
        "http://127.0.0.1.evil.example:80",
        "http://user@localhost:1",
        "ftp://localhost:21",
        "http://localhost:3000/",
        "http://[::2]:80",
        None,
        "",
    ):
        assert not origin_allowed(origin, (), loopback=True)


def test_only_the_local_stage_file_turns_loopback_origins_on():
    from chalicelib.config import STAGES_DIR, load_stage_document

    on = {path.stem for path in STAGES_DIR.glob("*.json") if load_stage_document(path.stem).get("cors_loopback")}
    assert on == {"local"}


def test_page_headers_allow_exactly_the_pages_own_stylesheet():
    import base64
    import hashlib

    from chalicelib.api.http import page_headers

    css = "body{color:red}"
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    headers = page_headers(css)
    assert f"style-src 'sha256-{digest}';" in headers["Content-Security-Policy"]
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert {k: headers[k] for k in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy")} == {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


def test_static_site_headers_allow_files_of_its_own_origin_and_named_apis_only():
    from chalicelib.api.http import static_site_headers

    policy = static_site_headers("https://auth.example")["Content-Security-Policy"]
    assert "unsafe" not in policy and "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "connect-src 'self' https://auth.example;" in policy and "frame-ancestors 'none'" in policy


def test_a_caller_cannot_weaken_a_pages_policy():
    from chalicelib.api.http import html_response

    response = html_response(
        200, "Hi", ["there"], {"Content-Security-Policy": "default-src *; style-src 'unsafe-inline'"}
    )
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "raw,status",
    [
        (b"[" * 1000 + b"]" * 1000, 400),
        (b'{"a": 1}' + b" " * 70_000, 413),
        (b"", 400),
        (b"{", 400),
        (b'{"a": NaN}', 400),
    ],
)
def test_the_shared_json_reader_bounds_size_and_nesting_before_parsing(raw, status):
    from chalicelib.api.errors import error_response
    from chalicelib.api.http import parse_json_body
    from chalicelib.domain.errors import InvalidInput

    with pytest.raises(InvalidInput) as raised:
        parse_json_body(raw)
    response = error_response(raised.value)
    assert response.status_code == status
    assert [e["field"] for e in json.loads(response.body)["errors"]] == ["body"]


def test_the_shared_json_reader_reads_what_routes_send():
    from chalicelib.api.http import parse_json_body

    assert parse_json_body(b'{"body": "Hi", "tags": ["a", {"b": [1]}]}') == {"body": "Hi", "tags": ["a", {"b": [1]}]}
