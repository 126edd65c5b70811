"""The `CARELINE_RATE_LIMITS` switch (contract, section 1): `off` turns the
per-sender and per-address intake limits off so a load test from one machine
is possible. Honoured in the local stage only; anywhere else it is ignored
with a warning, so a stray variable can never open a deployed stage to floods."""

from __future__ import annotations

from collections.abc import Mapping

from .log import logger

SWITCH = "CARELINE_RATE_LIMITS"


def rate_limits_enabled(stage: str, env: Mapping[str, str]) -> bool:
    value = (env.get(SWITCH) or "").strip().lower()
    if value in ("", "on"):
        return True
    if value == "off" and stage == "local":
        return False
    logger(__name__).warning(
        "%s=%s ignored: only 'off' in stage local turns the rate limits off (stage %s)", SWITCH, env.get(SWITCH), stage
    )
    return True
