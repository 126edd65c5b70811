"""The route table the authorization tests walk
(tests/integration/test_authorization.py): it holds the operator routes, and
the local stage's own routes are only its dev and static pages."""

from app import app
from tests.route_table import local_stage_only, operator_routes


def test_the_route_table_is_what_this_test_knows():
    assert len(operator_routes()) >= 14  # tickets, replies, notes, calls, agents, macros, customers, metrics
    dev_paths = {path for path, methods in app.routes.items() for entry in methods.values() if local_stage_only(entry)}
    assert all(path.startswith(("/_dev", "/admin", "/widget", "/shop")) for path in dev_paths)
