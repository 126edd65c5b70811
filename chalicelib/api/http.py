"""Responses, content negotiation, CORS, security headers and bounded request
bodies shared by every route."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from functools import lru_cache

from chalice import Response

from ..domain.validation import load_json

JSON = {"Content-Type": "application/json"}
HTML = {"Content-Type": "text/html; charset=utf-8"}
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
# Any port on the loopback host names, for a storefront under development (stage setting `cors_loopback`).
_LOOPBACK_ORIGIN = re.compile(r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?")


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status_code=status, headers={**JSON, **NOSNIFF, **(headers or {})})


def parse_json_body(raw: bytes | None) -> object:
    """A JSON request body, size (64 KiB) and nesting bounded before parsing.
    Raises InvalidInput (400, field "body") or PayloadTooLarge (413, a kind of
    InvalidInput): every route that reads JSON should read it through here."""
    return load_json(raw or b"")


# Security headers, from this one place. Nothing Careline serves is meant to
# be framed, sniffed into another type or to leak its address onwards.
def page_headers(*stylesheets: str) -> dict[str, str]:
    """For an HTML page built in code: it loads nothing; its own <style>
    elements are allowed by their hash (never 'unsafe-inline'); its forms post
    back to this origin."""
    styles = " ".join(f"'sha256-{_digest(css)}'" for css in stylesheets) or "'none'"
    return _protected(
        # data: for the pages' empty icon (templates/pages/layout.html), which spares the browser a /favicon.ico
        f"default-src 'none'; style-src {styles}; img-src 'self' data:; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'",
        referrer="no-referrer",
    )


def static_site_headers(*api_origins: str) -> dict[str, str]:
    """For the admin page and the widget's files served from their own origin:
    scripts and styles only from files of that origin, never inline; calls
    only to that origin and the given API or sign-in origins."""
    connect = " ".join(("'self'", *api_origins))
    return _protected(
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'",
        referrer="same-origin",
    )


def _protected(policy: str, referrer: str) -> dict[str, str]:
    return {"Content-Security-Policy": policy, **NOSNIFF, "Referrer-Policy": referrer, "X-Frame-Options": "DENY"}


@lru_cache(maxsize=16)
def _digest(css: str) -> str:
    return base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()


def html_page(status: int, page: str, headers: dict[str, str] | None = None) -> Response:
    """A page from `pages`: its security headers come last, so no caller weakens them."""
    from ..views.pages import PAGE_CSS

    # A lone surrogate (JSON's "\ud800") echoed back could not be encoded: replace it.
    body = page.encode("utf-8", "replace").decode("utf-8")
    return Response(body, status_code=status, headers={**HTML, **(headers or {}), **page_headers(PAGE_CSS)})


# A page whose address holds a customer's token: never cached, indexed or passed on as a referrer.
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def private_page(status: int, body: str, style: str, headers: dict[str, str] | None = None) -> Response:
    """A customer's own page (rating, status): private, its one style allowed by hash, no framing."""
    return Response(body, status_code=status, headers={**HTML, **(headers or {}), **PRIVATE, **page_headers(style)})


def html_response(status: int, title: str, paragraphs: list[str], headers: dict[str, str] | None = None) -> Response:
    """A small standalone page; every string is escaped."""
    from ..views.pages import message_page

    return html_page(status, message_page(title, paragraphs), headers)


def header(request, name: str) -> str | None:
    # Chalice's headers are case-insensitive; the test client's may be a dict.
    headers = request.headers or {}
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value


def _quality(accept: str, media: str) -> float:
    best, best_specificity = 0.0, -1
    major = media.split("/")[0]
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        kind = pieces[0].lower()
        q = 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        specificity = 2 if kind == media else 1 if kind == f"{major}/*" else 0 if kind == "*/*" else -1
        if specificity > best_specificity:
            best, best_specificity = q, specificity
    return best if best_specificity >= 0 else 0.0


def prefers_html(request) -> bool:
    """A browser's plain form post (Accept: text/html,...) rather than a script."""
    accept = header(request, "accept") or ""
    return _quality(accept, "text/html") > _quality(accept, "application/json")


def origin_allowed(origin: str | None, allowed: tuple[str, ...], loopback: bool = False) -> bool:
    return bool(origin) and (origin in allowed or (loopback and _LOOPBACK_ORIGIN.fullmatch(origin) is not None))


def cors_headers(request, allowed: tuple[str, ...], loopback: bool = False) -> dict[str, str]:
    origin = header(request, "origin")
    if origin_allowed(origin, allowed, loopback):
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Access-Control-Expose-Headers": "Retry-After"}
    return {"Vary": "Origin"}


def preflight(request, settings, methods: str) -> Response:
    headers = stage_cors(request, settings)
    if "Access-Control-Allow-Origin" in headers:
        headers |= {
            "Access-Control-Allow-Methods": methods,
            "Access-Control-Allow-Headers": "Content-Type, Idempotency-Key",
            "Access-Control-Max-Age": "600",
        }
    return Response("", status_code=204, headers=headers)


def stage_cors(request, settings) -> dict[str, str]:
    """The CORS headers of a public route, by the stage's allow-list."""
    return cors_headers(request, settings.cors_origins, settings.cors_loopback)


# Behind CloudFront, API Gateway's sourceIp is CloudFront's: the stage's
# CloudFront function puts the viewer's own address in VIEWER_ADDRESS, and
# CloudFront adds ORIGIN_SECRET, which a request sent around CloudFront lacks.
VIEWER_ADDRESS = "x-careline-viewer-address"
ORIGIN_SECRET = "x-careline-origin"


def source_ip(request, origin_secret: str | None = None) -> str | None:
    """The sender's address: the viewer's when CloudFront vouches for it, else the caller's."""
    if origin_secret and hmac.compare_digest((header(request, ORIGIN_SECRET) or "").encode(), origin_secret.encode()):
        viewer = header(request, VIEWER_ADDRESS)
        if viewer:
            return viewer
    return ((request.context or {}).get("identity") or {}).get("sourceIp")
