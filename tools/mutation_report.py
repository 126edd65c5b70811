"""The mutation score of `make mutation`, per module, from mutmut's results
in mutants/ (its `*.meta` files), and every surviving mutant as a diff.

    python -m tools.mutation_report            # scores and survivor names
    python -m tools.mutation_report --diffs    # and what each survivor changed
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KILLED, SURVIVED, TIMEOUT, NO_TESTS, UNCHECKED = "killed", "survived", "timeout", "no tests", "not checked"
# mutmut's exit codes (mutmut.stats): a failing test run kills; a hang is caught by the timeout.
STATUS = {
    1: KILLED,
    3: KILLED,
    0: SURVIVED,
    5: NO_TESTS,
    33: NO_TESTS,
    36: TIMEOUT,
    24: TIMEOUT,
    -24: TIMEOUT,
    152: TIMEOUT,
    255: TIMEOUT,
    None: UNCHECKED,
}


def modules() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]["only_mutate"]


def results(module: str) -> dict[str, str]:
    """mutant name -> status, for one mutated module."""
    meta = ROOT / "mutants" / f"{module}.meta"
    if not meta.exists():
        return {}
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    return {name: STATUS.get(code, "suspicious") for name, code in codes.items()}


def diff(name: str) -> str:
    mutmut = Path(sys.executable).with_name("mutmut")
    shown = subprocess.run([str(mutmut), "show", name], cwd=ROOT, capture_output=True, text=True).stdout
    return "\n".join(line for line in shown.splitlines()[3:] if line[:1] in "+-" or line.startswith("@@"))


def main(argv: list[str]) -> int:
    totals: Counter = Counter()
    survivors: list[str] = []
    print(f"{'module':40} {'killed':>7} {'total':>6} {'score':>6}  survived  timeout  no tests  unchecked")
    for module in modules():
        found = results(module)
        counts = Counter(found.values())
        caught = counts[KILLED] + counts[TIMEOUT]
        score = f"{100 * caught / len(found):5.1f}%" if found else "    -"
        print(
            f"{module:40} {caught:7} {len(found):6} {score:>6}  {counts[SURVIVED]:8} {counts[TIMEOUT]:8} "
            f"{counts[NO_TESTS]:9} {counts[UNCHECKED]:10}"
        )
        totals.update(counts)
        totals["total"] += len(found)
        survivors += [name for name, status in found.items() if status in (SURVIVED, NO_TESTS, "suspicious")]
    caught = totals[KILLED] + totals[TIMEOUT]
    if totals["total"]:
        print(
            f"{'all':40} {caught:7} {totals['total']:6} {100 * caught / totals['total']:5.1f}%  "
            f"{totals[SURVIVED]:8} {totals[TIMEOUT]:8} {totals[NO_TESTS]:9} {totals[UNCHECKED]:10}"
        )
    if survivors:
        print("\nSurvivors (each one: a change no selected test noticed)")
    for name in sorted(survivors):
        print(f"\n{name}" if "--diffs" in argv else name)
        if "--diffs" in argv:
            print(diff(name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
