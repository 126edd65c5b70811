"""What the e2e tests share as fixtures: Debian's Chromium for a test module
and the one `make run` stack of the run (tests/stack.py)."""

import pytest

from tests.e2e.browsing import CHROMIUM, FLAGS
from tests.stack import shared_stack


@pytest.fixture(scope="module")
def browser():
    """Chromium for a test module, headless."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def stack():
    """The run's shared `make run` stack: its base URL, process and output."""
    return shared_stack()
