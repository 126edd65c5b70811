"""The public contract lives in the repository (docs/contract.md), word for
word what the team's shared copy says, so a newcomer needs nothing else."""

from pathlib import Path

import pytest

from tests.conftest import ROOT

SHARED = ROOT.parent / "shared" / "CONTRACT.md"


@pytest.mark.skipif(not SHARED.is_file(), reason="no shared copy beside this checkout (a clean CI clone)")
def test_the_repositorys_contract_is_the_shared_one():
    assert (ROOT / "docs" / "contract.md").read_text() == SHARED.read_text()


def test_the_readme_points_at_the_contract_in_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "docs/contract.md" in readme and "../shared" not in readme
    assert Path(ROOT / "docs" / "contract.md").is_file()
