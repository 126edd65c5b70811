"""`make smoke` against the local stack (`make run`), so the deployed
stages' check cannot rot; and it fails when what it checks breaks."""

import subprocess
import sys

import pytest

from infra import smoke
from tests.conftest import ROOT
from tests.stack import own_stack

pytestmark = pytest.mark.e2e


stack = own_stack()


def test_make_smoke_passes_on_the_local_stack(stack):
    done = subprocess.run(
        ["make", "--no-print-directory", "smoke", f"URL={stack['base']}", f"PYTHON={sys.executable}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("ok    ") == len(smoke.checks(stack["base"]))


def test_smoke_fails_on_a_site_that_is_not_careline(stack):
    lines = []
    assert smoke.run(stack["base"] + "/widget", out=lines.append) is False  # no admin page there
    assert lines[-1].startswith("FAIL  admin page served")


def test_smoke_fails_when_the_api_is_not_on_the_pages_origin(stack, monkeypatch):
    monkeypatch.setattr(smoke, "site_config", lambda base: {"apiBase": "https://elsewhere.example"})
    lines = []
    assert smoke.run(stack["base"], out=lines.append) is False
    assert lines[-1].startswith("FAIL  config.js served, API on the same origin")


def test_smoke_needs_a_url():
    assert smoke.main([]) == 2 and smoke.main(["example.com"]) == 2
