"""Least privilege, proven by the test run itself: every AWS call the app
made in this run (tests/iam_recorder.py) is granted to the function that
made it by its policy (infra/stack/policies.py), and every action a function's code is
granted was used. Runs last (it reads what the whole run recorded)."""

import json
from fnmatch import fnmatchcase

import pytest

from infra.stack.functions import FUNCTIONS, app_functions
from infra.stack.naming import ROOT, names, sender
from infra.stack.policies import code_statements, policy
from tests import iam_recorder

pytestmark = pytest.mark.iam_check
# Granted for AWS, never called in tests: the local stage signs with a random
# per-process key instead of reading the stage's secret.
USED_ONLY_IN_AWS = {"SigningSecret"}
# The metrics recompute and search reindex commands (infra/) scan with an
# operator's credentials; no function is granted it.
OPERATOR_ONLY = {"dynamodb:Scan"}


def local_policy(chalice_name: str) -> list[dict]:
    """dev's policy for the function, renamed to the local stage the tests run in."""
    local_sender = json.loads((ROOT / "chalicelib" / "stages" / "local.json").read_text())["sender"]
    text = json.dumps(policy("dev", chalice_name))
    text = text.replace(sender("dev"), local_sender)
    text = text.replace(names("dev")["mail_domain"], local_sender.rpartition("@")[2])
    text = text.replace("careline-dev", "careline-local").replace("careline/dev/", "careline/local/")
    return json.loads(text)["Statement"]


def allows(statement: dict, action: str, resource: str) -> bool:
    actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
    resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
    return any(fnmatchcase(action, a) for a in actions) and any(fnmatchcase(resource, r) for r in resources)


def code_sids(chalice_name: str) -> set[str]:
    return {s["Sid"] for c in FUNCTIONS[chalice_name].code for s in code_statements("dev", c)}


def test_every_aws_call_is_granted_and_every_grant_is_used():
    calls = set(iam_recorder.CALLS)
    if not calls:
        pytest.skip("no AWS calls recorded: run the whole suite (the recorder is loaded from pytest.ini)")
    functions = app_functions()
    policies = {name: local_policy(name) for name in functions}
    aliases = {"api": "api_handler"}  # log.current_function() names the API handler "api"
    used: dict[str, set[str]] = {name: set() for name in functions}
    refused = []
    for call in sorted(calls, key=str):
        if call.action in OPERATOR_ONLY:
            continue
        if call.resource.startswith("arn:aws:s3:::careline-inbound/"):  # test_inbound's bucket lacks the stage's name
            call = iam_recorder.Call(
                call.function,
                call.action,
                call.resource.replace("careline-inbound/", f"careline-local-inbound-{iam_recorder.ACCOUNT}/", 1),
            )
        owner = aliases.get(call.function, call.function)
        candidates = [owner] if owner in policies else functions  # unattributed: some function must hold it
        granting = [
            (name, s["Sid"]) for name in candidates for s in policies[name] if allows(s, call.action, call.resource)
        ]
        if not granting:
            refused.append(call)
        for name, sid in granting:
            used[name].add(sid)
    assert refused == [], f"calls no policy grants: {refused}"  # " (add them to FUNCTIONS in infra/stack/functions.py)"
    unused = {name: sorted(code_sids(name) - used[name] - USED_ONLY_IN_AWS) for name in functions}
    attributed = {aliases.get(c.function, c.function) for c in calls} - {None}
    # A function whose calls the run attributed must use every grant of its own;
    # the rest (until every entry point binds log.current_function()) must have
    # each grant used by some call.
    assert {name: sids for name, sids in unused.items() if name in attributed and sids} == {}
    unattributed_unused = set.intersection(
        *[set(unused[name]) for name in functions if name not in attributed] or [set()]
    )
    assert unattributed_unused == set(), "grants no call in the run used"
