"""The Lambda package is the app and its runtime only: nothing of the local
stage (local/: the emulator, dev routes, demo) and no moto, neither as files
in the zip nor as an import any packaged module makes, now or lazily."""

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.integration import packaging

LOCAL_ONLY = ("moto", "local", "chalicelib.dev")


def _package() -> zipfile.ZipFile:
    return zipfile.ZipFile(packaging.packaged("prod") / "deployment.zip")


def _imports(module: str, source: str) -> set[str]:
    """Every module an import statement of the source names, wherever it stands (functions included)."""
    package = module.rsplit(".", 1)[0] if "." in module else ""
    named = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            named |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.level and node.module else (base if node.level else node.module)
            named.add(target)
            named |= {f"{target}.{alias.name}" for alias in node.names}  # `from . import x` names a module
    return named


def test_the_zip_holds_the_app_and_nothing_of_the_local_stage():
    with _package() as package:
        names = package.namelist()
    assert "app.py" in names and "chalicelib/container.py" in names
    assert [n for n in names if n.startswith(("local/", "chalicelib/dev/", "moto/", "moto-"))] == []


def test_no_packaged_module_imports_moto_or_the_local_stage():
    found = {}
    with _package() as package:
        for name in package.namelist():
            if name.endswith(".py") and (name == "app.py" or name.startswith("chalicelib/")):
                module = name.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
                found[module] = _imports(module, package.read(name).decode())
    assert "chalicelib.container" in found and "chalicelib.adapters.bus" in found["chalicelib.container"]
    reaching = {m: bad for m, named in found.items() if (bad := sorted(_local_only(named)))}
    assert reaching == {}


def _local_only(named: set[str]) -> set[str]:
    return {i for i in named if any(i == p or i.startswith(p + ".") for p in LOCAL_ONLY)}


def test_the_packaged_app_loads_and_wires_with_moto_unimportable(tmp_path):
    """Every packaged module imported and every service of the container built,
    in a process where moto and the repository's local/ cannot be imported."""
    with _package() as package:
        package.extractall(tmp_path)
    script = """
import importlib, json, pkgutil, sys
from functools import cached_property

class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("moto", "local"):
            raise ImportError(f"{name} is not in the Lambda package")

sys.meta_path.insert(0, Refuse())
import app, chalicelib
modules = [m.name for m in pkgutil.walk_packages(chalicelib.__path__, "chalicelib.")]
for name in modules:
    importlib.import_module(name)
from chalicelib import container as wiring
from chalicelib.clock import SystemClock
from chalicelib.config import load_stage_document, settings_from
env = {"CARELINE_PUBLIC_URL": "https://care.example", "CARELINE_SECRET_ARN": "arn:s",
       "CARELINE_SCHEDULER_TARGET_ARN": "arn:t", "CARELINE_SCHEDULER_ROLE_ARN": "arn:r",
       "CARELINE_ATTACHMENTS_BUCKET": "f", "CARELINE_COGNITO_ISSUER": "https://cognito-idp.example/pool",
       "CARELINE_COGNITO_CLIENT_ID": "client"}
built = wiring.Container(settings_from("prod", load_stage_document("prod"), env, validate=False), SystemClock())
services = [n for n, v in vars(wiring.Container).items() if isinstance(v, cached_property)]
for name in services:
    getattr(built, name)
print(json.dumps({"modules": len(modules), "services": services, "loaded": sorted(sys.modules)}))
"""
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "CARELINE_STAGE": "prod"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["modules"] > 50 and {"bus", "verifier", "webhooks", "consumer"} <= set(result["services"])
    assert _local_only(set(result["loaded"])) == set()


def test_babel_ships_its_data_for_the_shipped_languages_only(tmp_path):
    """The deploy's package keeps Babel's data for root and the languages the app writes in
    (with their regions), none for the other ~700 locales CLDR has."""
    import shutil

    import babel

    from infra import deploy

    project = tmp_path / "project"
    shutil.copytree(packaging.project(), project, ignore=shutil.ignore_patterns("out-*"))
    # Chalice copies vendor/ into the zip as it is: Babel, as the requirements would install it.
    shutil.copytree(Path(babel.__file__).parent, project / "vendor" / "babel")
    every = {p.stem for p in (Path(babel.__file__).parent / "locale-data").glob("*.dat")}
    deploy.package("prod", tmp_path / "out", project)
    with zipfile.ZipFile(tmp_path / "out" / "deployment.zip") as package:
        shipped = {
            n.removeprefix("babel/locale-data/").removesuffix(".dat")
            for n in package.namelist()
            if n.startswith("babel/locale-data/") and n.endswith(".dat")
        }
        assert "babel/global.dat" in package.namelist()
    assert deploy.shipped_languages() == {"en", "de"}
    assert {"root", "en", "en_GB", "en_001", "de", "de_AT"} <= shipped
    assert {locale.split("_")[0] for locale in shipped} == {"root", "en", "de"}
    assert len(every) > 700 and len(shipped) < 150
