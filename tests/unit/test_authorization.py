"""The route table the authorization tests walk
(tests/integration/test_authorization.py): it holds the operator routes, and
the local stage's own routes are only its dev and static pages."""

from datetime import UTC, datetime, timedelta

import pytest

from app import app
from chalicelib.domain.errors import Forbidden
from chalicelib.services.directory import ADMITTED_FOR, DirectoryService
from tests.route_table import local_stage_only, operator_routes


def test_the_route_table_is_what_this_test_knows():
    assert len(operator_routes()) >= 14  # tickets, replies, notes, calls, agents, macros, customers, metrics
    dev_paths = {path for path, methods in app.routes.items() for entry in methods.values() if local_stage_only(entry)}
    assert all(path.startswith(("/_dev", "/admin", "/widget", "/shop")) for path in dev_paths)


# A removed agent, seen from a warm function


class _Roster:
    """The directory's removals, as another container's admin leaves them."""

    def __init__(self):
        self.gone, self.reads = set(), 0

    def removed(self, email):
        self.reads += 1
        return email in self.gone


class _Clock:
    def __init__(self):
        self.at = datetime(2026, 12, 1, 9, tzinfo=UTC)

    def now(self):
        return self.at


def test_an_agent_removed_elsewhere_is_refused_within_a_minute_and_a_warm_function_reads_the_roster_once_a_minute():
    roster, clock = _Roster(), _Clock()
    service = DirectoryService(roster, store=None, clock=clock, audit=None)
    agent = frozenset({"agent"})
    for _ in range(5):
        service.admit("kim@shop.example", agent)
    assert roster.reads == 1  # one read, not one per call
    roster.gone.add("kim@shop.example")  # removed through another container
    clock.at += ADMITTED_FOR - timedelta(seconds=1)
    service.admit("kim@shop.example", agent)
    clock.at += timedelta(seconds=1)
    with pytest.raises(Forbidden):
        service.admit("kim@shop.example", agent)
    with pytest.raises(Forbidden):  # and stays refused
        service.admit("kim@shop.example", agent)
    service.admit("lead@shop.example", frozenset({"admin"}))  # an admin is never read
    assert roster.reads == 3
