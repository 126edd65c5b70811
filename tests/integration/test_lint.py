"""The deployment's linters, as `make test` runs them: cfn-lint and checkov
on every stage's packaged template and on the bootstrap template, cfn-lint
on what CloudFormation executes too (the packaged template after the SAM
transform: cfn-lint 1.x no longer expands it, so the API, its stages and
deployment, the event source mappings and permissions SAM generates went
unlinted); actionlint's checks on the workflows. Each must report nothing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra import build
from tests.integration import packaging

BIN = Path(sys.executable).parent
CHECKOV = build.ROOT / ".venv" / "checkov" / "bin" / "checkov"


def template_path(stage) -> Path:
    return packaging.packaged(stage) / "sam.json"


def run(command, **kwargs):
    env = os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=300, env=env, **kwargs)


@pytest.mark.parametrize("stage", build.AWS_STAGES)
def test_cfn_lint_reports_nothing_not_even_informational(stage):
    done = run([BIN / "cfn-lint", "--include-checks", "I", "--", template_path(stage)])
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


@pytest.mark.parametrize("stage", build.AWS_STAGES)
def test_cfn_lint_reports_nothing_on_the_template_after_the_sam_transform(stage):
    path = packaging.expanded_path(stage)
    assert "Transform" not in packaging.expanded(stage)  # CloudFormation's own resources only
    done = run([BIN / "cfn-lint", "--include-checks", "I", "--", path])
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_cfn_lint_on_the_bootstrap_template():
    done = run([BIN / "cfn-lint", "--include-checks", "I", "--", build.ROOT / "infra" / "generated" / "bootstrap.json"])
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def checkov(path: Path) -> dict:
    if not CHECKOV.exists():
        pytest.fail("checkov is not installed: `make test` installs it into .venv/checkov")
    done = run(
        [
            CHECKOV,
            "-f",
            path,
            "--config-file",
            build.ROOT / "infra" / "checkov.yaml",
            "-o",
            "json",
            "--quiet",
            "--compact",
        ],
        cwd=path.parent,
    )
    report = json.loads(done.stdout)
    report = report[0] if isinstance(report, list) else report
    return report


@pytest.mark.parametrize("path", ["dev", "prod", "bootstrap"])
def test_checkov_fails_nothing_beyond_the_justified_skip_list(path):
    target = build.ROOT / "infra" / "generated" / "bootstrap.json" if path == "bootstrap" else template_path(path)
    report = checkov(target)
    failed = [(f["check_id"], f["resource"]) for f in report.get("results", {}).get("failed_checks", [])]
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["passed"] > 0  # it did check something
    assert failed == []


def test_the_skip_list_is_short_and_every_skip_says_why():
    text = (build.ROOT / "infra" / "checkov.yaml").read_text()
    lines = text.splitlines()
    skips = [i for i, line in enumerate(lines) if line.strip().startswith("- CKV")]
    assert 0 < len(skips) <= 12
    for i in skips:
        assert lines[i - 1].strip().startswith("#"), f"{lines[i].strip()} has no reason above it"


def test_workflows_pass_actionlints_checks_with_shellcheck():
    assert (BIN / "shellcheck").exists()  # or run: scripts would go unchecked
    done = run([BIN / "jactionlint", "--profile", "correctness", "--no-color"], cwd=build.ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "did not check" not in done.stdout + done.stderr
