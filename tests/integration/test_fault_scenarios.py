"""The guarantee, tested: after an outage of any single dependency
(DynamoDB, SES, EventBridge, Scheduler, S3) of up to 60 s, every ticket
answered 201 (or taken by email) gets exactly one acknowledgement, its
schedule, its event and its count within 10 minutes of recovery, on the dev
clock, without a person; and a 503 means not stored (tests/faults/scenarios.py).
`make test` runs the fast subset; `make faults` every scenario
(CARELINE_FAULTS=all) and prints the table docs/reliability.md shows."""

import os

import pytest

from tests.faults.scenarios import SCENARIOS, run

CHOSEN = [s for s in SCENARIOS if s.fast or os.environ.get("CARELINE_FAULTS") == "all"]
RESULTS: list = []  # tests/faults/report.py prints them when `make faults` ends


@pytest.mark.parametrize("scenario", CHOSEN, ids=lambda s: s.name.replace(" ", "-"))
def test_after_an_outage_every_ticket_taken_gets_everything_once(client, services, clock, faults, scenario):
    result = run(scenario, client, services, clock, faults)
    RESULTS.append(result)
    assert result.taken, "no ticket was taken at all"
    assert result.complete, result.row()
