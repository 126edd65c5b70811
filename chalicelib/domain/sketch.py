"""Times (business minutes) as a mergeable quantile sketch: DDSketch's
logarithmic mapping, stored as plain integer counters (bucket → count).

A time goes to the bucket k with γ^(k-2) < seconds ≤ γ^(k-1), γ = (1+α)/(1-α);
the bucket stands for 2γ^(k-1)/(γ+1), which is within α = 1 % of every
value in it. So any quantile read from summed counters is within 1 % of the
exact one, and summing is all a merge takes: counters per day add up over
any range, exactly as the other per-day counters do. Under a second counts
as 0 (bucket 0), exactly. One minute to 60 days spans 570 buckets; a day
stores one counter per bucket its times actually hit.

Small and pure on purpose: the `ddsketch` package brings protobuf and keeps
dense in-memory bin arrays; what Careline needs is the mapping, ~20 lines."""

from __future__ import annotations

import math
from collections.abc import Mapping

RELATIVE_ACCURACY = 0.01
GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
_LOG_GAMMA = math.log(GAMMA)
ZERO = 0  # times under a second
BUCKETS_MINUTE_TO_60_DAYS = 570


def bucket(minutes: float) -> int:
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"a time must be a finite, non-negative number of minutes, not {minutes!r}")
    seconds = minutes * 60
    if seconds < 1:
        return ZERO
    return math.ceil(math.log(seconds) / _LOG_GAMMA) + 1


def value(key: int | str) -> float:
    """The minutes a bucket stands for."""
    k = int(key)
    return 0.0 if k == ZERO else 2 * GAMMA ** (k - 1) / (GAMMA + 1) / 60


def quantile(counts: Mapping[int, int] | Mapping[str, int], q: float) -> float | None:
    """The q-quantile (0.5: median) of the times counted, interpolated
    between neighbouring ranks as numpy's default and statistics.median are;
    None when nothing was counted. Keys may be the counters' names ("418")."""
    if not 0 <= q <= 1:
        raise ValueError(f"q must be between 0 and 1, not {q!r}")
    ordered = sorted((int(k), n) for k, n in counts.items() if n > 0)
    total = sum(n for _, n in ordered)
    if not total:
        return None
    rank = q * (total - 1)
    low, high = math.floor(rank), math.ceil(rank)
    at_low: float | None = None
    at_high: float | None = None
    seen = 0
    for key, n in ordered:
        seen += n
        if at_low is None and seen > low:
            at_low = value(key)
        if seen > high:
            at_high = value(key)
            break
    assert at_low is not None and at_high is not None  # high < total: the loop reached both ranks
    return at_low + (rank - low) * (at_high - at_low)
