"""`chalice package --merge-template` as the deploy runs it, once per stage
for the whole test session, on a copy of the project whose requirements are
empty: sam.json does not depend on them, and installing them would take a
networked pip run and a 23 MB zip per stage. Then what AWS runs: the
packaged template (code in the artifact bucket, as infra/deploy.py uploads
it) expanded by the SAM transform, with the translator AWS's transform is."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache, lru_cache
from pathlib import Path

from infra import build

ROOT = build.ROOT


@lru_cache(maxsize=1)
def project() -> Path:
    path = Path(tempfile.mkdtemp(prefix="careline-package-"))
    for folder in ("chalicelib", "local"):  # local/ beside it, as in the repository: Chalice must leave it out
        shutil.copytree(ROOT / folder, path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "app.py", path / "app.py")
    (path / ".chalice").mkdir()
    for file in (ROOT / ".chalice").glob("*.json"):
        shutil.copy(file, path / ".chalice")
    (path / "requirements.txt").write_text("")
    return path


@cache
def packaged(stage: str) -> Path:
    """The directory with sam.json and deployment.zip."""
    where = project()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CARELINE_"))} | {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
    }
    out = where / f"out-{stage}"
    merge = ROOT / "infra" / "generated" / f"{stage}.json"
    done = subprocess.run(
        [
            os.path.join(os.path.dirname(sys.executable), "chalice"),
            "package",
            "--stage",
            stage,
            "--merge-template",
            str(merge),
            str(out),
        ],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert "Could not install dependencies" not in done.stdout + done.stderr
    return out


def sam(stage: str) -> dict:
    return json.loads((packaged(stage) / "sam.json").read_text())


ARTIFACT_BUCKET = "careline-artifacts-123456789012-us-east-1"  # the bootstrap stack's name for it


def packaged_template(stage: str) -> dict:
    """The template infra/deploy.py uploads: sam.json with the functions' code in the artifact bucket."""
    from infra import deploy

    return deploy.with_code_location(sam(stage), ARTIFACT_BUCKET, f"{stage}/test/deployment.zip")


class _NoManagedPolicies:
    """The translator asks IAM for managed policies only when a function names
    one by name; Careline's functions have their own roles, so none is needed."""

    def load(self) -> dict:
        return {}


def expand(template: dict) -> dict:
    """The SAM transform, as CloudFormation runs it on a change set."""
    import copy
    import logging

    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # the translator reads the region for ARNs
    logging.getLogger("samtranslator.metrics").setLevel(logging.ERROR)  # "unpublished metrics": AWS's own
    return transform(copy.deepcopy(template), {}, _NoManagedPolicies())


@cache
def expanded_path(stage: str) -> Path:
    """The stage's template as CloudFormation executes it, written beside sam.json."""
    path = packaged(stage) / "expanded.json"
    path.write_text(json.dumps(expand(packaged_template(stage)), indent=1))
    return path


def expanded(stage: str) -> dict:
    return json.loads(expanded_path(stage).read_text())
