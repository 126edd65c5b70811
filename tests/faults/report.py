"""`make faults`' summary: the scenarios' table (docs/reliability.md), also
written to test-artifacts/faults.md. A pytest plugin (`-p tests.faults.report`)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def pytest_terminal_summary(terminalreporter):
    from tests.faults.scenarios import HEADER
    from tests.integration.test_fault_scenarios import RESULTS

    if not RESULTS:
        return
    table = "\n".join([HEADER, *(result.row() for result in RESULTS)])
    path = ROOT / "test-artifacts" / "faults.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(table + "\n")
    terminalreporter.write_sep("=", f"fault scenarios (also in {path.relative_to(ROOT)})")
    terminalreporter.write_line(table)
