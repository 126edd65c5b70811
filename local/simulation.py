"""`make demo` (POST /_dev/demo): realistic tickets spread over the last
weeks, so the admin page and its metrics have something to show.

Nothing is written around the app: customers write in through intake, agents
answer through the ticket service, customers write back and rate through it,
and the stream consumer does what it always does (emails, assignment,
schedules, search index, counters). Time is simulated: a clock walks from
`days` ago to now, and the loader plays EventBridge Scheduler, firing each
ticket's next timed action (SLA warning and breach, follow-up, close) at its
time through the same handler Scheduler invokes. While it runs, the stack's
services use the simulated clock."""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.clock import FixedClock, iso
from chalicelib.domain.ticket import Actor, wake_of

from . import stream
from .container import LocalContainer
from .stories import COMMENTS, FIRST_NAMES, ITEMS, LAST_NAMES, STORIES, Story, moment, slug

CONSUMER_LAG = timedelta(minutes=20)  # the consumer catches up at least this often (simulated time)


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

    # Customers and agents

    def inquiry(self, n: int) -> None:
        rng, story = self.rng, self.rng.choice(STORIES)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        values = {"item": rng.choice(ITEMS), "order": f"A-{rng.randint(10000, 99999)}"}
        fields = {
            "name": f"{first} {last}",
            "email": f"{slug(first)}.{slug(last)}{n % 7 or ''}@example.com",
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
        self.counts["tickets"] += 1
        ticket_id = created["id"]
        self.changed(ticket_id)
        target = self.services.settings.sla.target(created["priority"], "first_response").minutes
        if self.rng.random() < 0.12:  # answered late: the breach and its escalation happen on time
            delay = target * self.rng.uniform(1.05, 1.6)
        else:
            delay = max(10.0, target * self.rng.uniform(0.03, 0.6))
        self.at(self.services.clock.now() + timedelta(minutes=delay), lambda: self.first_answer(ticket_id, story))

    def agent(self, ticket_id: str):
        """Who answers (the assignee, once the consumer assigned one) and the ticket as it is."""
        self.settle(ticket_id)
        ticket = self.services.store.ticket(ticket_id)
        return Actor("operator", ticket.assignee or "kim@shop.example"), ticket

    def first_answer(self, ticket_id: str, story: Story) -> None:
        (actor, ticket), tickets = self.agent(ticket_id), self.services.tickets
        if ticket.callback and ticket.callback.get("status") == "requested":
            tickets.log_call(ticket_id, {"outcome": "reached", "summary": "Called back; " + story.answer}, actor)
            self.counts["calls"] += 1
        if story.tag:
            tickets.patch(ticket_id, {"tags": [story.tag]}, None, actor)
        wait = story.again is not None and self.rng.random() < 0.7
        body = {"body": story.answer, "resolve": not wait}
        if story.offer and self.rng.random() < 0.6:
            body["offer"] = {"type": "coupon", "description": "10% off your next order", "code": "SORRY10"}
        tickets.reply(ticket_id, body, actor)
        self.counts["replies"] += 1
        if wait:
            if self.rng.random() < 0.4:
                tickets.patch(ticket_id, {"status": "pending"}, None, actor)
            self.changed(ticket_id)
            later = self.services.clock.now() + timedelta(hours=self.rng.uniform(2, 30))
            self.at(later, lambda: self.customer_again(ticket_id, story))
        else:
            self.resolved(ticket_id)

    def customer_again(self, ticket_id: str, story: Story) -> None:
        self.services.tickets.customer_wrote(ticket_id, story.again or "Thanks!")
        self.counts["customer_messages"] += 1
        self.changed(ticket_id)
        ticket = self.services.store.ticket(ticket_id)
        target = self.services.settings.sla.target(ticket.clock_priority, "next_response").minutes
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


def load(services, *, tickets: int = 200, days: int = 30, seed: int = 11) -> dict:
    """`tickets` inquiries spread over the last `days` days (busier on
    weekdays and in working hours), worked through to now."""
    from chalicelib import container as wiring

    started = time.perf_counter()
    end = services.clock.now()
    begin = end - timedelta(days=days)
    simulated = LocalContainer(services.settings, FixedClock(begin))
    rng = random.Random(seed)
    loader = Loader(simulated, rng, end)
    moments = sorted(moment(rng, begin, days) for _ in range(tickets))
    for n, at in enumerate(moments):
        loader.at(at, lambda n=n: loader.inquiry(n))
    wiring.use(simulated)  # the stream consumer and the handlers now see the simulated time
    try:
        loader.run()
    finally:
        wiring.use(services)
    return loader.counts | {"since": iso(begin), "until": iso(end), "seconds": round(time.perf_counter() - started, 1)}
