"""What `make demo` plays: a month of customers, the latest of them the queue
a working day leaves open, and, in a demo of a hundred or more, one
forgotten ticket in a hundred (local/simulation.py)."""

import random
from datetime import timedelta

from local.simulation import OPEN_WINDOW, Fate, arrivals
from tests.conftest import START

OPEN = (Fate.NEW, Fate.PENDING, Fate.WAITING)


def test_the_latest_arrivals_are_the_open_queue():
    begin = START - timedelta(days=30)
    played = arrivals(random.Random(11), 200, begin, START)
    moments = [at for at, _ in played]
    assert len(played) == 200 and moments == sorted(moments) and begin <= moments[0] and moments[-1] <= START
    queue = [(at, fate) for at, fate in played if fate in OPEN]
    assert queue == played[-24:]  # 12 %, the latest
    assert all(at >= START - OPEN_WINDOW for at, _ in queue)
    assert {fate for _, fate in queue} == set(OPEN)  # not answered yet, waiting on the customer, on the agent
    forgotten = [at for at, fate in played if fate is Fate.OVERDUE]
    assert len(forgotten) == 2 and all(START - timedelta(days=5) < at < START - OPEN_WINDOW for at in forgotten)


def test_a_short_demo_keeps_its_share_and_forgets_nothing():
    played = arrivals(random.Random(3), 14, START - timedelta(days=6), START)
    assert [fate in OPEN for _, fate in played] == [False] * 12 + [True] * 2
    assert Fate.OVERDUE not in {fate for _, fate in played}
