"""The metrics report as CSV, for a spreadsheet: the daily trend and the
per-agent figures, one row each."""

from __future__ import annotations

import csv
import io
from typing import Any


def csv_text(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """RFC 4180 CSV: a header, then one line per row; None is an empty cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def _cell(value: Any) -> Any:
    # A text starting like a formula is kept as text by spreadsheets, never run.
    if value is None:
        return ""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


DAILY_COLUMNS = (
    "date",
    "volume",
    "first_responses",
    "first_response_median_minutes",
    "resolved",
    "csat_responses",
    "csat_score",
    "sla_achieved",
    "sla_breached",
    "sla_attainment_rate",
)
AGENT_COLUMNS = (
    "email",
    "name",
    "handled",
    "first_responses",
    "first_response_median_minutes",
    "csat_responses",
    "csat_score",
)
