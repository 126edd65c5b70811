"""The workflows that reach AWS: only main's commits are deployed, whether CI
or a person starts the deploy."""

import yaml

from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def test_a_deploy_started_by_hand_from_another_branch_never_runs():
    deploy = load("deploy.yml")
    triggers = deploy[True]  # YAML 1.1 reads the key `on` as true
    assert "workflow_dispatch" in triggers  # a person may redeploy main
    (job,) = deploy["jobs"].values()
    assert job["if"] == "github.ref == 'refs/heads/main'"
    assert job["environment"]["name"] == "${{ inputs.stage }}"  # the stage's role trusts its environment only


def test_ci_deploys_only_pushes_to_main():
    ci = load("ci.yml")
    first = ci["jobs"]["dev"]
    assert first["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert ci["jobs"]["staging"]["needs"] == "dev" and ci["jobs"]["prod"]["needs"] == "staging"
