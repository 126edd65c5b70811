"""GET and POST /feedback/{token}: the customer's rating page. GET only
shows the form (mail scanners open every link); POST records."""
from __future__ import annotations

from html import escape

from chalice import Response

from ..container import container
from ..domain.emails import CSAT_LABELS
from ..domain.errors import CarelineError, Gone, InvalidInput
from ..domain.feedback import parse_rating
from ..domain.inquiry import parse_body
from .errors import endpoint
from .http import cors_headers, header, html_response, json_response, prefers_html

PAGE_STYLE = ("body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}"
              "fieldset{border:1px solid #c5cad1;border-radius:6px;margin:0 0 1rem;padding:.5rem 1rem}"
              "label{display:inline-block;margin:.25rem .75rem .25rem 0}textarea{width:100%;font:inherit}"
              "button{font:inherit;padding:.6rem 1.2rem;background:#1f5fcf;color:#fff;border:0;border-radius:4px}"
              ":focus-visible{outline:3px solid #ffbf47}")
# The token is in the address: never cached, indexed or passed on as a referrer;
# the page needs nothing but its own inline style and its own form.
PAGE_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                           "frame-ancestors 'none'"}
SCORES = {str(n) for n in range(1, 6)}


def _refusal(error: CarelineError) -> Response:
    message = "This feedback link has expired." if isinstance(error, Gone) else "This feedback link is not valid."
    return html_response(error.status, "Feedback", [message, "Thank you all the same. You can always reply to our "
                                                             "email if anything is still open."], PAGE_HEADERS)


def _cors(request) -> dict[str, str]:
    return cors_headers(request, container().settings.cors_origins)


@endpoint(cors=_cors)
def page(request, token: str) -> Response:
    try:
        ticket = container().feedback.ticket_for(token)
    except CarelineError as error:
        return _refusal(error)
    score = (request.query_params or {}).get("score", "")
    previous = ticket.feedback or {}
    # The score just clicked is what the customer means now; else what they said before.
    chosen = score if score in SCORES else str(previous.get("csat", ""))
    csat = "".join(
        f"<label><input type=\"radio\" name=\"csat\" value=\"{n}\" required{' checked' if chosen == str(n) else ''}>"
        f" {n} · {escape(CSAT_LABELS[n])}</label>" for n in range(1, 6))
    nps = "".join(
        f"<label><input type=\"radio\" name=\"nps\" value=\"{n}\"{' checked' if str(previous.get('nps')) == str(n) else ''}>"
        f" {n}</label>" for n in range(11))
    body = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>How did we do?</title>"
            f"<style>{PAGE_STYLE}</style></head><body><main><h1>How did we do?</h1>"
            f"<p>Your request {escape(ticket.reference)}. Thank you for taking a moment.</p>"
            f"<form method=\"post\"><fieldset><legend>How happy were you with our help?</legend>{csat}</fieldset>"
            f"<fieldset><legend>How likely are you to recommend us to a friend? (0 = not at all, 10 = very; "
            f"optional)</legend>{nps}</fieldset>"
            f"<p><label for=\"comment\">Anything you would like to tell us? (optional)</label>"
            f"<textarea id=\"comment\" name=\"comment\" rows=\"4\" maxlength=\"5000\">"
            f"{escape(previous.get('comment', ''))}</textarea></p>"
            f"<button type=\"submit\">Send feedback</button></form></main></body></html>")
    return Response(body, status_code=200, headers={"Content-Type": "text/html; charset=utf-8", **PAGE_HEADERS})


@endpoint(cors=_cors)
def record(request, token: str) -> Response:
    html = prefers_html(request)
    try:
        ticket = container().feedback.ticket_for(token)
        fields = parse_body(request.raw_body or b"", header(request, "content-type") or "application/json")
        rating = parse_rating(fields)
        container().feedback.record(ticket, rating)
    except InvalidInput as invalid:
        if not html:
            raise
        return html_response(400, "Please check your feedback", [f"{e.field}: {e.message}" for e in invalid.errors],
                             PAGE_HEADERS)
    except CarelineError as error:
        if not html:
            raise
        return _refusal(error)
    if html:
        return html_response(200, "Thank you!", ["Your feedback helps us get better. If anything is still open, "
                                                 "just reply to our email: we are here."], PAGE_HEADERS)
    return json_response(200, {"status": "recorded", "reference": ticket.reference, "feedback": rating})
