"""`make demo` (POST /_dev/demo): realistic tickets spread over the last
weeks, so the admin page and its metrics have something to show, and a
queue still being worked on, so the inbox has something to do.

Nothing is written around the app: customers write in through intake, agents
answer through the ticket service, customers write back and rate through it,
and the stream consumer does what it always does (emails, assignment,
schedules, search index, counters). Time is simulated: a clock walks from
`days` ago to now, and the loader plays EventBridge Scheduler, firing each
ticket's next timed action (SLA warning and breach, follow-up, close) at its
time through the same handler Scheduler invokes. While it runs, the stack's
services use the simulated clock.

Most tickets are worked to the end. The latest arrivals are where a real
queue stands when the demo ends (`Fate`): some not answered yet (a few of
them due soon), some answered with a question the customer has not
answered, some where the customer wrote back and the agent's next answer is
due; and in a long enough demo one or two were forgotten and are overdue."""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum

from chalicelib.clock import FixedClock, iso
from chalicelib.domain.ticket import OPEN_STATUSES, Actor, wake_of

from . import shop, stream
from .container import LocalContainer
from .stories import COMMENTS, FIRST_NAMES, ITEMS, LAST_NAMES, STORIES, Story, moment, slug

CONSUMER_LAG = timedelta(minutes=20)  # the consumer catches up at least this often (simulated time)
OPEN_SHARE = 0.12  # of the tickets, the latest arrivals: still being worked on when the demo ends
OPEN_WINDOW = timedelta(hours=36)  # when they came in: a busy day and a half
OVERDUE_PER = 100  # one forgotten, overdue ticket per this many tickets
VIP_SHARE = 0.04  # customers the stage's rules make urgent (*@vip.example)


class Fate(Enum):
    DONE = "worked to the end"
    NEW = "not answered yet"
    PENDING = "answered with a question; the customer has not written back"
    WAITING = "the customer wrote back; the next answer is due"
    OVERDUE = "forgotten: never answered, its SLA breached"


@dataclass(order=True)
class _Due:
    at: datetime
    seq: int
    act: Callable[[], None] = field(compare=False)


class Loader:
    def __init__(self, services, rng: random.Random, end: datetime) -> None:
        self.services = services
        self.rng = rng
        self.end = end
        self.queue: list[_Due] = []
        self.seq = itertools.count()
        self.wakes: dict[str, object] = {}  # ticket id -> the wake last put in the queue
        self.dirty: set[str] = set()  # tickets whose effects the consumer has not seen yet
        self.created: list[str] = []
        self.counts = {
            "tickets": 0,
            "replies": 0,
            "resolved": 0,
            "customer_messages": 0,
            "ratings": 0,
            "calls": 0,
            "timed_actions": 0,
        }

    # The simulated clock and Scheduler

    def at(self, when: datetime, act: Callable[[], None]) -> None:
        if when <= self.end:
            heapq.heappush(self.queue, _Due(when, next(self.seq), act))

    def run(self) -> None:
        clock, drained = self.services.clock, self.services.clock.now()
        while self.queue:
            due = heapq.heappop(self.queue)
            if due.at > clock.now():
                clock.advance(due.at - clock.now())
            if self.dirty and clock.now() - drained >= CONSUMER_LAG:
                self.drain()
                drained = clock.now()
            due.act()
        clock.advance(max(self.end - clock.now(), timedelta()))
        self.drain()

    def drain(self) -> None:
        stream.drain()
        self.dirty.clear()

    def changed(self, ticket_id: str) -> None:
        """After a change: the ticket's next timed action goes in the queue."""
        self.dirty.add(ticket_id)
        ticket = self.services.store.ticket(ticket_id)
        wake = wake_of(ticket, self.services.settings.ticket_rules)
        self.wakes[ticket_id] = wake
        if wake is not None:
            self.at(max(wake.at, self.services.clock.now()), lambda: self.fire(ticket_id, wake))

    def fire(self, ticket_id: str, wake) -> None:
        if self.wakes.get(ticket_id) != wake:
            return  # superseded by a later change, as a deleted schedule would be
        result = self.services.timers.fire(wake.payload(ticket_id))
        if result.get("action") not in ("ignored", "rearmed"):
            self.counts["timed_actions"] += 1
        self.changed(ticket_id)

    def settle(self, ticket_id: str) -> None:
        """The consumer catches up before an agent works on a ticket (its
        assignment decides who), as it would have in the time that passed."""
        if ticket_id in self.dirty:
            self.drain()

    def minutes(self, priority: str, metric: str) -> float:
        return float(self.services.settings.sla.target(priority, metric).minutes)

    def target(self, priority: str, metric: str) -> timedelta:
        return timedelta(minutes=self.minutes(priority, metric))

    def left(self) -> timedelta:
        return self.end - self.services.clock.now()

    # Customers and agents

    def inquiry(self, n: int, fate: Fate) -> None:
        rng, story = self.rng, self.rng.choice(STORIES)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        values = {"item": rng.choice(ITEMS), "order": f"A-{rng.randint(10000, 99999)}"}
        domain = "vip.example" if rng.random() < VIP_SHARE else "example.com"
        fields = {
            "name": f"{first} {last}",
            "email": f"{slug(first)}.{slug(last)}{n % 7 or ''}@{domain}",
            "subject": story.subject.format(**values),
            "message": story.message.format(**values),
            "category": story.category,
            "order_id": values["order"],
        }
        if rng.random() < 0.1:
            fields |= {
                "channel": "phone",
                "phone": f"+49 30 {rng.randint(1000000, 9999999)}",
                "callback": {"phone": "", "window": rng.choice(("weekdays 9-12", "after 5pm", "any time"))},
            }
            fields["callback"]["phone"] = fields["phone"]
        elif rng.random() < 0.25:
            fields["channel"] = "email"
        created = self.services.intake.submit(fields, idempotency_key=None, sender=None)
        shop.record(
            fields["email"], fields["name"], values["order"], values["item"], story.order, self.services.clock.now()
        )
        self.counts["tickets"] += 1
        ticket_id = created["id"]
        self.created.append(ticket_id)
        self.changed(ticket_id)
        target = self.minutes(created["priority"], "first_response")
        if fate is Fate.OVERDUE:
            return  # its warning, breach and escalation fire on time; nobody answers
        # Only the forgotten are overdue: a ticket open longer than its targets allow waits on its customer.
        if fate in (Fate.NEW, Fate.WAITING) and self.left() >= 0.9 * self.target(created["priority"], "resolution"):
            fate = Fate.PENDING
        if fate is Fate.NEW:
            if self.left() < 0.9 * timedelta(minutes=target):
                return  # due later, or soon: in the inbox, unanswered
            fate = Fate.WAITING  # answered, and the customer wrote back
        if self.rng.random() < 0.12 and fate is Fate.DONE:  # answered late: the breach and its escalation on time
            delay = target * self.rng.uniform(1.05, 1.6)
        else:
            delay = max(10.0, target * self.rng.uniform(0.03, 0.6))
        if fate is not Fate.DONE:  # answered before the demo ends, whatever the target
            delay = min(delay, self.left().total_seconds() / 60 * 0.5)
        later = self.services.clock.now() + timedelta(minutes=delay)
        self.at(later, lambda: self.first_answer(ticket_id, story, fate))

    def agent(self, ticket_id: str):
        """Who answers (the assignee, once the consumer assigned one) and the ticket as it is."""
        self.settle(ticket_id)
        ticket = self.services.store.ticket(ticket_id)
        return Actor("operator", ticket.assignee or "kim@shop.example"), ticket

    def first_answer(self, ticket_id: str, story: Story, fate: Fate) -> None:
        (actor, ticket), tickets = self.agent(ticket_id), self.services.tickets
        if ticket.callback and ticket.callback.get("status") == "requested":
            tickets.log_call(ticket_id, {"outcome": "reached", "summary": "Called back; " + story.answer}, actor)
            self.counts["calls"] += 1
        if story.tag:
            tickets.patch(ticket_id, {"tags": [story.tag]}, None, actor)
        wait = fate is not Fate.DONE or (story.again is not None and self.rng.random() < 0.7)
        body = {"body": story.question if fate in (Fate.PENDING, Fate.WAITING) else story.answer, "resolve": not wait}
        if story.offer and self.rng.random() < 0.6 and fate is Fate.DONE:
            body["offer"] = {"type": "coupon", "description": "10% off your next order", "code": "SORRY10"}
        tickets.reply(ticket_id, body, actor)
        self.counts["replies"] += 1
        if not wait:
            self.resolved(ticket_id)
            return
        if fate is Fate.PENDING or (fate is Fate.DONE and self.rng.random() < 0.4):
            tickets.patch(ticket_id, {"status": "pending"}, None, actor)
        self.changed(ticket_id)
        now = self.services.clock.now()
        if fate is Fate.PENDING:
            return  # the customer has not answered yet
        if fate is Fate.WAITING:  # wrote back recently enough that the next answer is not overdue yet
            next_target = self.minutes(ticket.clock_priority, "next_response")
            back = self.end - timedelta(minutes=next_target * self.rng.uniform(0.1, 0.8))
            later = max(back, now + (self.end - now) * self.rng.uniform(0.3, 0.9))
        else:
            later = now + timedelta(hours=self.rng.uniform(2, 30))
        self.at(later, lambda: self.customer_again(ticket_id, story, fate))

    def customer_again(self, ticket_id: str, story: Story, fate: Fate) -> None:
        text = story.details if fate is Fate.WAITING else (story.again or "Thanks, that is what I needed.")
        self.services.tickets.customer_wrote(ticket_id, text)
        self.counts["customer_messages"] += 1
        self.changed(ticket_id)
        if fate is Fate.WAITING:
            return  # the next answer is the inbox's
        ticket = self.services.store.ticket(ticket_id)
        target = self.minutes(ticket.clock_priority, "next_response")
        delay = target * (self.rng.uniform(1.05, 1.3) if self.rng.random() < 0.1 else self.rng.uniform(0.05, 0.5))
        self.at(self.services.clock.now() + timedelta(minutes=delay), lambda: self.close_out(ticket_id, story))

    def close_out(self, ticket_id: str, story: Story) -> None:
        actor, _ = self.agent(ticket_id)
        self.services.tickets.reply(ticket_id, {"body": story.closing, "resolve": True}, actor)
        self.counts["replies"] += 1
        self.resolved(ticket_id)

    def resolved(self, ticket_id: str) -> None:
        self.counts["resolved"] += 1
        self.changed(ticket_id)
        if self.rng.random() < 0.6:
            rules = self.services.settings.ticket_rules
            later = self.services.clock.now() + rules.follow_up_after + timedelta(hours=self.rng.uniform(0.5, 20))
            self.at(later, lambda: self.rate(ticket_id))

    def rate(self, ticket_id: str) -> None:
        ticket = self.services.store.ticket(ticket_id)
        late = any(c.breached_at for c in ticket.clocks.values())
        weights = (8, 10, 15, 30, 37) if late else (2, 3, 8, 27, 60)
        csat = self.rng.choices((1, 2, 3, 4, 5), weights)[0]
        rating = {"csat": csat, "nps": max(0, min(10, csat * 2 + self.rng.randint(-2, 1)))}
        comment = self.rng.choice(COMMENTS[csat])
        if comment:
            rating["comment"] = comment
        self.services.tickets.rate(ticket_id, rating)
        self.counts["ratings"] += 1
        self.changed(ticket_id)

    def queue_left(self) -> dict[str, int]:
        """The tickets still to work on when the demo ends, by status, and how many are overdue."""
        tickets = [self.services.store.ticket(t) for t in self.created]
        open_ = [t for t in tickets if t is not None and t.status in OPEN_STATUSES]
        by_status = Counter(t.status for t in open_)
        overdue = sum(1 for t in open_ if any(c.breached_at and c.due_at for c in t.clocks.values()))
        return {"total": len(open_), **{s: by_status[s] for s in OPEN_STATUSES}, "overdue": overdue}


def arrivals(rng: random.Random, tickets: int, begin: datetime, end: datetime) -> list[tuple[datetime, Fate]]:
    """When each customer writes and what becomes of it, oldest first: the
    latest arrivals (in the last OPEN_WINDOW) are the open queue, and one in
    every OVERDUE_PER, from a few days before, was forgotten."""
    open_count = round(tickets * OPEN_SHARE)
    window = min(OPEN_WINDOW, (end - begin) / 4)
    days = (end - begin - window) / timedelta(days=1)
    earlier = sorted(moment(rng, begin, days) for _ in range(tickets - open_count))
    latest = sorted(moment(rng, end - window, window / timedelta(days=1)) for _ in range(open_count))
    chosen = [Fate.DONE] * len(earlier) + rng.choices((Fate.NEW, Fate.PENDING, Fate.WAITING), (4, 3, 3), k=open_count)
    for n in range(tickets // OVERDUE_PER):
        chosen[max(0, len(earlier) - 3 - 4 * n)] = Fate.OVERDUE
    return list(zip(earlier + latest, chosen, strict=True))


def load(services, *, tickets: int = 200, days: int = 30, seed: int = 11) -> dict:
    """`tickets` inquiries spread over the last `days` days (busier on
    weekdays and in working hours), worked through to now."""
    from chalicelib import container as wiring

    started = time.perf_counter()
    end = services.clock.now()
    begin = end - timedelta(days=days)
    # The past is not delivered to the stage's webhooks again: what they get is what happens now.
    simulated = LocalContainer(replace(services.settings, webhooks=()), FixedClock(begin))
    rng = random.Random(seed)
    loader = Loader(simulated, rng, end)
    for n, (at, fate) in enumerate(arrivals(rng, tickets, begin, end)):
        loader.at(at, lambda n=n, fate=fate: loader.inquiry(n, fate))
    wiring.use(simulated)  # the stream consumer and the handlers now see the simulated time
    try:
        loader.run()
        left = loader.queue_left()
    finally:
        wiring.use(services)
    return (
        loader.counts
        | {"queue": left}
        | {"since": iso(begin), "until": iso(end), "seconds": round(time.perf_counter() - started, 1)}
    )
