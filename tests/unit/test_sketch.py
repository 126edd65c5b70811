"""Response and resolution times as a mergeable quantile sketch: medians and
p90 over any range of days within 1 % of the exact value, from plain counters."""

import math
import statistics
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import sketch

# Realistic times: zero (answered at once), a minute to sixty days, skewed towards the short end.
minutes = st.one_of(
    st.just(0.0),
    st.floats(min_value=1, max_value=60 * 24 * 60),
    st.floats(min_value=0, max_value=12).map(lambda e: math.exp(e)),
)


def exact(values, q):
    """The linear-interpolation percentile (numpy's default; statistics.median for q=0.5)."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


def counts(values):
    return Counter(sketch.bucket(v) for v in values)


def close(estimate, true):
    return abs(estimate - true) <= sketch.RELATIVE_ACCURACY * true + 1e-9


@settings(max_examples=300)
@given(st.lists(minutes, min_size=1, max_size=400))
def test_median_and_p90_are_within_one_percent_of_the_exact_values(values):
    for q in (0.5, 0.9):
        assert close(sketch.quantile(counts(values), q), exact(values, q))
    assert close(sketch.quantile(counts(values), 0.5), statistics.median(values))


@given(st.lists(st.lists(minutes, min_size=0, max_size=50), min_size=1, max_size=10))
def test_days_merge_by_adding_their_counters(days):
    merged = Counter()
    for day in days:
        merged.update(counts(day))
    everything = [v for day in days for v in day]
    assert merged == counts(everything)
    if everything:
        assert close(sketch.quantile(merged, 0.9), exact(everything, 0.9))


def test_zero_minutes_is_exactly_zero_and_nothing_is_none():
    assert sketch.quantile(counts([0, 0, 0]), 0.5) == 0.0
    assert sketch.quantile({}, 0.5) is None and sketch.quantile(Counter({5: 0}), 0.5) is None
    assert sketch.quantile(counts([0, 100]), 0.5) == pytest.approx(50, rel=0.01)


def test_the_numbers_the_old_histogram_got_wrong():
    """1–2 minute replies read "5 min" and a 4 h resolution gave p90 "8 h"."""
    assert sketch.quantile(counts([1.2, 1.5, 1.8, 2.0]), 0.5) == pytest.approx(1.65, rel=0.01)
    assert sketch.quantile(counts([240] * 10), 0.9) == pytest.approx(240, rel=0.01)


def test_realistic_times_use_a_few_hundred_buckets_as_stated():
    sweep = (1.005**i for i in range(2500))  # 1 minute upwards in steps finer than a bucket
    used = {sketch.bucket(m) for m in sweep if m <= 60 * 24 * 60}
    assert len(used) == sketch.bucket(60 * 24 * 60) - sketch.bucket(1) + 1 == sketch.BUCKETS_MINUTE_TO_60_DAYS == 570
    assert min(used) > sketch.bucket(0) and sketch.bucket(0.001) == sketch.bucket(0)


def test_keys_are_plain_integers_and_bad_input_is_refused():
    assert isinstance(sketch.bucket(37.5), int)
    for bad in (-1, math.nan, math.inf):
        with pytest.raises(ValueError):
            sketch.bucket(bad)
    for q in (-0.1, 1.1):
        with pytest.raises(ValueError):
            sketch.quantile(counts([1]), q)
    assert sketch.quantile({"418": 2}, 0.5) == sketch.quantile({418: 2}, 0.5)  # as stored: a counter's name
