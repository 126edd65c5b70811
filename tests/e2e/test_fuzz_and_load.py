"""`make fuzz` and `make load` in miniature, against one running local stack
(rate limits off): a short schemathesis run over every operation answers no
5xx, and a small load's books balance: stored = accepted = acknowledged,
each exactly once. The full runs are `make fuzz` and `make load`."""

import pytest

from bench import load
from tests.fuzz.__main__ import fuzz
from tests.stack import loopback_only, own_stack

pytestmark = pytest.mark.e2e


stack = own_stack({"CARELINE_RATE_LIMITS": "off"})


def test_a_short_fuzz_of_every_operation_finds_no_server_error(stack):
    found = fuzz(stack["base"], max_examples=3, max_seconds=20, seed=13)
    assert found["operations"] >= 29 and found["cases"] > 50
    assert found["failures"] == []


def test_a_small_load_is_stored_accepted_and_acknowledged_exactly_once(stack):
    result = load.run_load(stack["base"], count=30, concurrency=1)
    assert result["server_errors"] == 0 and result["no_answer"] == 0
    assert result["accepted"] > 0 and load.exact(result), load.report(result)


def test_traffic_goes_to_loopback_addresses_only():
    assert loopback_only("http://127.0.0.5:8000/") == "http://127.0.0.5:8000"
    assert loopback_only("http://[::1]:8000") == "http://[::1]:8000"
    for elsewhere in ("http://10.0.0.1:8000", "http://example.com", "http://192.168.1.2"):
        with pytest.raises(SystemExit):
            loopback_only(elsewhere)
