"""Languages at a cold start: importing the API and writing an email's text
never load Babel; only writing a date does."""

import subprocess
import sys

from tests.conftest import ROOT


def test_babel_is_loaded_only_when_a_date_is_written():
    """Cold start: the API's import and the JSON answer of an intake never pay for Babel."""
    script = (
        "import sys, app\n"
        "from chalicelib.views.i18n import resolve\n"
        "resolve('de-DE').greeting('Ann Lee', salutation='ms')\n"
        "print('babel' in sys.modules)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"CARELINE_STAGE": "local", "PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    assert run.stdout.strip() == "False", run.stderr[-2000:]
