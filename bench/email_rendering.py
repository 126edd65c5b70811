"""Email rendering in a customer's language: what Babel and Jinja2 cost the
function that renders emails (never the API's import, which loads neither),
and what rendering costs per email once loaded (the first one compiles its
templates).

Each cold sample is a fresh interpreter; a first, untimed run warms the OS
file cache and writes bytecode."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

GOAL_FIRST_RENDER_MS = 150  # Babel's and Jinja2's imports plus the first localised email, cold
ROOT = Path(__file__).resolve().parent.parent
_TIMER = "t = time.perf_counter()\n{step}\nprint((time.perf_counter() - t) * 1000)\n"
_FACTS = (
    "emails.AcknowledgementFacts(brand='Shop', reference='CL-7K3M9QX2', name='Ann Lee', email='ann@example.com',"
    " message='Where is my parcel?', subject='Parcel', details=emails.Details(), callback_phone=None,"
    " callback_window=None,"
    " first_response_due=datetime(2026, 11, 25, 9, tzinfo=timezone.utc), timezone='Europe/Berlin',"
    " locale='de-DE')"
)
_STEPS = [
    "from chalicelib.views import emails",
    "import babel.dates",
    "import jinja2",
    f"emails.acknowledgement({_FACTS})",
]
_SETUP = "import time\nfrom datetime import datetime, timezone\n"


def _sample() -> list[float]:
    code = _SETUP + "".join(_TIMER.format(step=step) for step in _STEPS)
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if run.returncode:
        raise RuntimeError(run.stderr)
    return [float(line) for line in run.stdout.split()]


def _warm_render_ms(renders: int = 200) -> float:
    from chalicelib.domain.inquiry import Details
    from chalicelib.views.emails import AcknowledgementFacts, acknowledgement

    due = datetime(2026, 11, 25, 9, tzinfo=UTC)
    started = time.perf_counter()
    for n in range(renders):
        acknowledgement(
            AcknowledgementFacts(
                brand="Shop",
                reference="CL-7K3M9QX2",
                name=f"Ann {n}",
                email="ann@example.com",
                message="Hello",
                subject=None,
                details=Details(),
                callback_phone=None,
                callback_window=None,
                first_response_due=due,
                timezone="Europe/Berlin",
                locale=("de-DE", "en-GB", "en-US")[n % 3],
            )
        )
    return (time.perf_counter() - started) * 1000 / renders


def measure(runs: int = 10) -> dict:
    _sample()
    samples = [_sample() for _ in range(runs)]
    return {
        "runs": runs,
        "import_emails_ms": statistics.median(s[0] for s in samples),
        "import_babel_ms": statistics.median(s[1] for s in samples),
        "import_jinja_ms": statistics.median(s[2] for s in samples),
        "first_render_ms": statistics.median(s[3] for s in samples),
        "warm_render_ms": _warm_render_ms(),
    }


def report(result: dict) -> list[str]:
    first = result["import_babel_ms"] + result["import_jinja_ms"] + result["first_render_ms"]
    return [
        f"email rendering (median of {result['runs']} fresh interpreters)",
        f"  import views.emails (no Babel)  {result['import_emails_ms']:7.1f} ms",
        f"  import babel.dates               {result['import_babel_ms']:7.1f} ms",
        f"  import jinja2                    {result['import_jinja_ms']:7.1f} ms",
        f"  first localised email            {result['first_render_ms']:7.1f} ms (CLDR read, templates compiled)",
        f"  each further email               {result['warm_render_ms']:7.2f} ms",
        f"  {'PASS' if first <= GOAL_FIRST_RENDER_MS else 'FAIL'} Babel + Jinja2 + first email {first:.0f} ms "
        f"(goal ≤ {GOAL_FIRST_RENDER_MS} ms, paid once per rendering function's cold start)",
    ]
