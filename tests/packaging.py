"""`chalice package --merge-template` as the deploy runs it, once per stage
and app for the whole test session, on a copy of the project whose
requirements are empty: sam.json does not depend on them, and installing
them would take a networked pip run and a 23 MB zip per stage."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from infra import build

ROOT = build.ROOT
PLANNED_APP = ROOT / "tests" / "planned_app.py"


@lru_cache(maxsize=1)
def planned_app():
    spec = importlib.util.spec_from_file_location("careline_planned_app", PLANNED_APP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


@lru_cache(maxsize=None)
def project(planned: bool) -> Path:
    path = Path(tempfile.mkdtemp(prefix="careline-package-"))
    shutil.copytree(ROOT / "chalicelib", path / "chalicelib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PLANNED_APP if planned else ROOT / "app.py", path / "app.py")
    (path / ".chalice").mkdir()
    for file in (ROOT / ".chalice").glob("*.json"):
        shutil.copy(file, path / ".chalice")
    (path / "requirements.txt").write_text("")
    if planned:  # what `make infra` will write once app.py defines these functions
        app = planned_app()
        config = json.loads((path / ".chalice" / "config.json").read_text())
        for stage in build.AWS_STAGES:
            config["stages"][stage]["lambda_functions"] = build.lambda_functions_config(stage, app)
            for name in build.app_functions(app):
                (path / ".chalice" / build.policy_file(stage, name)).write_text(build.render(build.policy(stage, name)))
            (path / f"merge-{stage}.json").write_text(build.render(build.template(stage, app)))
        (path / ".chalice" / "config.json").write_text(json.dumps(config, indent=2))
    return path


@lru_cache(maxsize=None)
def packaged(stage: str, planned: bool = False) -> Path:
    """The directory with sam.json and deployment.zip."""
    where = project(planned)
    merge = where / f"merge-{stage}.json" if planned else ROOT / "infra" / "generated" / f"{stage}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CARELINE_"))} | {
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    out = where / f"out-{stage}"
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "chalice"), "package", "--stage", stage,
                           "--merge-template", str(merge), str(out)],
                          cwd=where, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "Could not install dependencies" not in done.stdout + done.stderr
    return out


def sam(stage: str, planned: bool = False) -> dict:
    return json.loads((packaged(stage, planned) / "sam.json").read_text())
