"""Responses, content negotiation and CORS shared by every route."""
from __future__ import annotations

import json
from html import escape

from chalice import Response

from ..domain.errors import FieldError

MAX_BODY_BYTES = 64 * 1024
JSON = {"Content-Type": "application/json"}


def json_response(status: int, body: object, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status_code=status, headers={**JSON, **(headers or {})})


def errors_response(status: int, errors: list[FieldError], headers: dict[str, str] | None = None) -> Response:
    return json_response(status, {"errors": [e.as_dict() for e in errors]}, headers)


def html_response(status: int, title: str, paragraphs: list[str], headers: dict[str, str] | None = None) -> Response:
    """A small standalone page; every string is escaped."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    page = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title></head>"
            "<body style=\"font-family:sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5\">"
            f"<h1>{escape(title)}</h1>{body}</body></html>")
    return Response(page, status_code=status, headers={"Content-Type": "text/html; charset=utf-8", **(headers or {})})


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


def cors_headers(request, allowed: tuple[str, ...]) -> dict[str, str]:
    origin = header(request, "origin")
    if origin and origin in allowed:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
                "Access-Control-Expose-Headers": "Retry-After"}
    return {"Vary": "Origin"}


def preflight(request, allowed: tuple[str, ...], methods: str) -> Response:
    headers = cors_headers(request, allowed)
    if "Access-Control-Allow-Origin" in headers:
        headers |= {"Access-Control-Allow-Methods": methods,
                    "Access-Control-Allow-Headers": "Content-Type, Idempotency-Key",
                    "Access-Control-Max-Age": "600"}
    return Response("", status_code=204, headers=headers)


def source_ip(request) -> str | None:
    return ((request.context or {}).get("identity") or {}).get("sourceIp")
