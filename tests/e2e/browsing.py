"""What the browser tests share besides their fixtures (tests/e2e/conftest.py:
Debian's Chromium, the one `make run` stack of the run): pages, screenshots,
the accessibility scan (axe-core, shipped inside axe-playwright-python: no
network), the page's console and calls to the stack's API."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest

from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}
# Flags from this workplace's notes: the closed network refuses Chromium's background calls.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            raise RuntimeError("Chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)


@contextmanager
def opened(browser, viewport=DESKTOP):
    """A fresh browser context (no session left from another test): its page and console."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page, Console(page)
    finally:
        context.close()


class Console:
    """Every console error and uncaught exception of a page."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def unexpected(self, *allowed: str) -> list[str]:
        """Errors other than failed requests whose status is one of `allowed` (a test that provokes a 412)."""
        return [e for e in self.errors if not any(f"status of {status}" in e for status in allowed)]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


_axe = None


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    found = _axe.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def fits(page) -> bool:
    """No sideways scrolling of the page itself."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def call(base: str, method: str, path: str, body=None, token: str | None = None, content_type="application/json"):
    """A call to the running stack: its status and JSON answer, whatever the status.
    `body` goes as JSON, or as it is when it is bytes (a form, an email)."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    headers = {"Content-Type": content_type, **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def api(base: str, method: str, path: str, body=None, token: str | None = None):
    """A call that must succeed: its JSON answer."""
    status, answer = call(base, method, path, body, token)
    assert status < 400, f"{method} {path} answered {status}: {answer}"
    return answer


def inbound(base: str, raw: bytes) -> dict:
    """A customer's email arriving (as SES hands it over): what Careline did with it."""
    status, answer = call(base, "POST", "/_dev/inbound", raw, content_type="message/rfc822")
    assert status == 200, answer
    return answer


def inquiry(base: str, **fields) -> dict:
    """A customer's request, once its effects are done (the search index among them), as
    an operator would see it a moment later: the dev routes answer after the stream settles."""
    created = api(
        base, "POST", "/inquiries", {"name": "Ann Lee", "email": "ann@example.com", "message": "Hello"} | fields
    )
    api(base, "GET", "/_dev/events")
    return created


def with_demo(running: dict) -> dict:
    """The run's stack with the demo's tickets in it (loaded once per run), so every screen has something on it."""
    if not running.get("demo"):
        running["demo"] = api(running["base"], "POST", "/_dev/demo", {"tickets": 24, "days": 10, "seed": 5})
    return running


def screen(page, name: str, ready: str | None = None) -> None:
    """The page once `ready` shows and the network is quiet: its screenshot, no
    sideways scrolling, nothing serious or critical for axe-core."""
    if ready:
        page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    shot(page, name)
    assert fits(page), f"{name} scrolls sideways"
    assert serious_violations(page) == [], name


def token(base: str, email: str, role: str = "agent") -> str:
    return api(base, "POST", "/_dev/token", {"email": email, "role": role})["token"]


def sign_in(page, base: str, email: str, role: str = "agent") -> None:
    page.goto(f"{base}/admin")
    page.fill("#email", email)
    page.select_option("#role", role)
    page.click("#sign-in")
    page.wait_for_selector(f"#who:has-text('({role}')")
