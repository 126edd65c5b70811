"""GET /openapi.json: the API description of the stage that answers.

AWS stages serve the all-stages document packaged with the function
(chalicelib/api/openapi.json: `python -m infra.openapi` writes it with
docs/openapi.json, and tests/unit/test_openapi.py fails when it drifts).
The local stage serves docs/openapi-local.json, its dev routes included,
read afresh each time: it changes while one works on the API."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from chalice import Response

from .http import JSON, NOSNIFF

PACKAGED = Path(__file__).with_name("openapi.json")
LOCAL = Path(__file__).resolve().parents[2] / "docs" / "openapi-local.json"
CACHE_SECONDS = 3600  # it changes only with a deployment


def api_description() -> Response:
    if os.environ.get("CARELINE_STAGE") == "local":
        return Response(LOCAL.read_text(), status_code=200, headers={**JSON, **NOSNIFF, "Cache-Control": "no-store"})
    return Response(
        _packaged(), status_code=200, headers={**JSON, **NOSNIFF, "Cache-Control": f"public, max-age={CACHE_SECONDS}"}
    )


@lru_cache(maxsize=1)
def _packaged() -> str:
    return PACKAGED.read_text()
