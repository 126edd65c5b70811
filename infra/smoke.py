"""`make smoke URL=<site>`: a black-box check of a running stage, standard
library only (CI runs it before anything is installed).

URL is the site's origin: the admin page is at URL/admin/, and the API where
its config.js says (`apiBase`: "/api" behind CloudFront, "" on the local
stack). Each check is what a user would notice if it broke. It files one
real inquiry, from SES's mailbox simulator, so no one is mailed.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

TIMEOUT_SECONDS = 15
SMOKE_SENDER = "success@simulator.amazonses.com"  # SES accepts mail to it and delivers nothing


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


def request(method: str, url: str, body: dict | None = None, headers: dict | None = None) -> Answer:
    data = json.dumps(body).encode() if body is not None else None
    all_headers = {"Accept": "application/json, text/html, */*", "User-Agent": "careline-smoke"} | (headers or {})
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as response:
            return Answer(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


class SmokeFailure(AssertionError):
    pass


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise SmokeFailure(what)


def site_config(base: str) -> dict:
    """The admin page's configuration, as the browser reads it."""
    answer = request("GET", f"{base}/admin/config.js")
    expect(answer.status == 200, f"GET /admin/config.js answered {answer.status}")
    match = re.fullmatch(r"\s*window\.CARELINE\s*=\s*(\{.*\})\s*;?\s*", answer.body.decode(), re.S)
    expect(match is not None, "config.js does not set window.CARELINE")
    return json.loads(match.group(1))


def checks(base: str) -> list[tuple[str, Callable[[], None]]]:
    base = base.rstrip("/")
    state: dict = {}

    def admin_page():
        answer = request("GET", f"{base}/admin/index.html")
        expect(answer.status == 200, f"GET /admin/index.html answered {answer.status}")
        expect(answer.headers.get("content-type", "").startswith("text/html"), "the admin page is not HTML")
        expect(b"config.js" in answer.body, "the admin page does not load config.js")

    def config():
        state["config"] = site_config(base)
        api_base = state["config"].get("apiBase")
        expect(
            isinstance(api_base, str) and (api_base == "" or api_base.startswith("/")),
            f"apiBase {api_base!r} is not a path on the site's own origin",
        )
        state["api"] = base + api_base

    def health():
        answer = request("GET", f"{state['api']}/health")
        expect(answer.status == 200 and answer.json().get("status") == "ok", f"GET /health answered {answer.status}")

    def inquiry():
        answer = request(
            "POST",
            f"{state['api']}/inquiries",
            {
                "name": "Careline smoke test",
                "email": SMOKE_SENDER,
                "subject": "Smoke test after a deploy",
                "message": "An automatic check after a deploy. Nothing to do: close it.",
            },
        )
        expect(answer.status == 201, f"POST /inquiries answered {answer.status}: {answer.body[:200]!r}")
        expect(bool(answer.json().get("reference")), "the created inquiry has no reference")

    def bad_feedback_token():
        answer = request("GET", f"{state['api']}/feedback/not-a-valid-token")
        expect(answer.status == 404, f"GET /feedback/<bad token> answered {answer.status}, not 404")

    def bad_status_token():
        # Every customer email links {site}/api/status/<token>: the site must route it to the API.
        answer = request("GET", f"{state['api']}/status/not-a-valid-token")
        expect(answer.status == 404, f"GET /status/<bad token> answered {answer.status}, not 404")

    def operators_need_a_token():
        answer = request("GET", f"{state['api']}/tickets")
        expect(answer.status == 401, f"GET /tickets without a token answered {answer.status}, not 401")

    return [
        ("admin page served", admin_page),
        ("config.js served, API on the same origin", config),
        ("health", health),
        ("inquiry answered 201 with a reference", inquiry),
        ("bad feedback token answered 404", bad_feedback_token),
        ("bad status page token answered 404", bad_status_token),
        ("operator API answers 401 without a token", operators_need_a_token),
    ]


def run(base: str, out=print) -> bool:
    """Every check in order; stops at the first failure (later ones depend on the config)."""
    for name, check in checks(base):
        try:
            check()
        except (SmokeFailure, OSError, ValueError) as error:
            out(f"FAIL  {name}: {error}")
            return False
        out(f"ok    {name}")
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].startswith(("http://", "https://")):
        print("usage: python -m infra.smoke <site URL>   (make smoke URL=https://...)", file=sys.stderr)
        return 2
    return 0 if run(argv[0]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
