"""The metrics report as CSV, for a spreadsheet: the daily trend and the
per-agent figures, one row each."""

from __future__ import annotations

import csv
import io
import unicodedata
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
    return "'" + value if isinstance(value, str) and _formula_like(value) else value


def _formula_like(text: str) -> bool:
    """What a spreadsheet may read as a formula: = + - @ first, after any
    spaces, line breaks or control characters, in any width (Excel and
    LibreOffice take the full-width ＝ ＋ － ＠ as the signs), or a cell
    that starts with a tab or line break at all."""
    if text[:1] in ("\t", "\r", "\n"):
        return True
    for character in text:
        if character.isspace() or unicodedata.category(character) == "Cc":
            continue
        return unicodedata.normalize("NFKC", character)[:1] in ("=", "+", "-", "@")
    return False


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
