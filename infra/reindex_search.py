"""Admin command: put every ticket into the search index (tickets written
before the index existed, or after restoring a table from a backup).

Run with the stage's environment (CARELINE_STAGE, CARELINE_TABLE_PREFIX and
AWS credentials), as infra/recompute_metrics.py:
    python -m infra.reindex_search
It reads every ticket once (a Scan: an operator's command, never a request
path) and writes only what differs from the index."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.container import container


def reindex() -> int:
    services = container()
    count = 0
    for ticket in services.store.all_tickets():
        services.search.refresh(ticket.id)
        count += 1
    return count


if __name__ == "__main__":
    print(f"indexed {reindex()} tickets")
