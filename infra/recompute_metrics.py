"""Admin command: rebuild the metric counters from the tickets themselves.

Run with the stage's environment (CARELINE_STAGE, CARELINE_TABLE_PREFIX and
AWS credentials; the other deployment variables as the functions have them):
    python -m infra.recompute_metrics
It gives the same numbers the running system keeps incrementally."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.container import container

if __name__ == "__main__":
    print(f"recomputed metrics from {container().metrics.recompute()} tickets")
