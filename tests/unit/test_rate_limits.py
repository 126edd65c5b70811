"""CARELINE_RATE_LIMITS=off turns the intake rate limits off in stage local
only; anywhere else, or with another value, they stay on and a warning says
the switch was ignored."""

import logging

import pytest

from chalicelib.config import rate_limits_enabled


@pytest.mark.parametrize("value", ["off", "OFF", " off "])
def test_off_in_the_local_stage_turns_the_limits_off(value):
    assert rate_limits_enabled("local", {"CARELINE_RATE_LIMITS": value}) is False


@pytest.mark.parametrize("env", [{}, {"CARELINE_RATE_LIMITS": ""}, {"CARELINE_RATE_LIMITS": "on"}])
def test_limits_are_on_unless_switched_off(env):
    assert rate_limits_enabled("local", env) is True


@pytest.mark.parametrize(
    "stage,value", [("prod", "off"), ("staging", "off"), ("dev", "off"), ("local", "false"), ("local", "0")]
)
def test_anything_else_keeps_the_limits_and_says_so(stage, value):
    import app  # noqa: F401 (Chalice sets its own "careline" logger to ERROR: ours must still speak)
    from chalicelib.log import ROOT

    seen: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = seen.append
    project = logging.getLogger(ROOT)
    project.addHandler(handler)
    try:
        assert rate_limits_enabled(stage, {"CARELINE_RATE_LIMITS": value}) is True
    finally:
        project.removeHandler(handler)
    [record] = seen
    assert "CARELINE_RATE_LIMITS" in record.getMessage() and f"stage {stage}" in record.getMessage()
