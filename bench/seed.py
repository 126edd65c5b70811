"""Many realistic tickets in the emulator, in seconds rather than hours.

Each ticket lives its life through the domain's own transitions
(chalicelib/domain/ticket/), told as `make demo` tells it (its stories,
people and times of day, local/stories.py): a customer writes in
(priority by the stage's rules), is assigned, answered (some late, some
never), writes back, waits, is resolved and rates; its one timed action at a
time (SLA warning, breach and escalation, follow-up, close) fires at its
time through the handlers Scheduler invokes (services/timers.py). What the
app stores for the ticket as it ends up is then put straight into the
emulator: the ticket item with its index keys (`store.to_item`), its tag
links and its search postings (`domain.search.ticket_terms`), item for item
what the writer and the stream consumer write. Left out, because no listing,
search or report reads them: thread entries, deliveries, claims other than
tags, customers; the metric counters come from the app's own recompute
(`count_metrics`).

`tests/integration/test_bench.py` checks these items against those the app
writes for a ticket it makes through the API and the consumer, and that a
seeded stack leaves the reconciler nothing overdue."""

from __future__ import annotations

import functools
import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

AGENTS = (
    "kim@shop.example",
    "lou@shop.example",
    "sam@shop.example",
    "ava@shop.example",
    "max@shop.example",
    "noa@shop.example",
)
# Shares of tickets (the rest of the mix is `make demo`'s: its stories and delays)
VIP = 0.02  # customers the stage's rules make urgent
CALLBACK = 0.06  # phone inquiries asking to be called back (the rules make them high)
ASSIGNED = 0.95  # automatic assignment found an available agent
UNANSWERED = 0.03  # never answered by the end: the backlog that breaches, escalates and waits
LOWERED = 0.4  # of plain product questions: an operator lowers them to low priority
INVESTIGATED = 0.15  # answered, then open for days while the agent finds out
SILENT = 0.25  # of those asked something: the customer never writes back, the agent resolves later
RATED = 0.6  # resolved tickets the customer rates after the follow-up


@dataclass
class Life:
    """A ticket as it ends up, and the customer's words in it (what search indexes)."""

    ticket: Any
    texts: list[str] = field(default_factory=list)


@functools.lru_cache(maxsize=2)
def lives(count: int, end: datetime, *, days: int = 30, seed: int = 7) -> list[Life]:
    """`count` tickets created over the `days` before `end`, oldest first
    (ids in time order, as intake makes them), each played to `end`. Kept
    for the next benchmark that asks for the same (callers only read them)."""
    from chalicelib.config import load_settings
    from chalicelib.domain import identifiers
    from local.stories import moment

    settings = load_settings({"CARELINE_STAGE": "local"})  # the stage the emulated app runs
    rng = random.Random(seed)
    begin = end - timedelta(days=days)
    moments = sorted(moment(rng, begin, days) for _ in range(count))
    # Ids and references drawn from the seed too: the same tickets (and index shards) every run.
    with mock.patch.object(identifiers.secrets, "randbits", random.Random(seed).getrandbits):
        return [_Play(settings, rng, end, n, at).run() for n, at in enumerate(moments)]


class _Play:
    """One ticket's life: its people's actions at their times, and between
    them whatever timed action falls due first."""

    def __init__(self, settings, rng: random.Random, end: datetime, n: int, created: datetime) -> None:
        self.settings, self.rules, self.rng, self.end = settings, settings.ticket_rules, rng, end
        self.n, self.created = n, created
        self.queue: list[tuple[datetime, int, Callable[[Any, datetime], Any]]] = []
        self.order = itertools.count()  # same time: in the order planned
        self.life = Life(None)

    def at(self, when: datetime, act: Callable[[Any, datetime], Any]) -> None:
        heapq.heappush(self.queue, (when, next(self.order), act))

    def run(self) -> Life:
        from chalicelib.domain.ticket import wake_of
        from chalicelib.services.timers import TRANSITIONS

        self._apply(self._intake())
        while True:
            planned = self.queue[0][0] if self.queue else None
            wake = wake_of(self.life.ticket, self.rules)
            if wake is not None and wake.at <= self.end and (planned is None or wake.at <= planned):
                payload = wake.payload(self.life.ticket.id)
                self._apply(TRANSITIONS[wake.kind](self.life.ticket, payload, now=wake.at, rules=self.rules))
            elif planned is not None and planned <= self.end:
                when, _, act = heapq.heappop(self.queue)
                self._apply(act(self.life.ticket, when))
            else:
                return self.life

    def _apply(self, change) -> None:
        """The ticket after a change, as the store reads it back for the next one."""
        from chalicelib.adapters.store.items import to_item, to_ticket

        if change is not None:
            self.life.ticket = to_ticket(to_item(change.after, self.rules))

    def _then(self, when: datetime, transition: Callable[..., Any], **arguments: Any) -> None:
        """A transition at `when`, on the ticket as it is by then (each a request of its own)."""
        self.at(when, lambda ticket, now: transition(ticket, now=now, rules=self.rules, **arguments))

    # The people

    def _intake(self):
        from chalicelib.domain import ticket as tickets
        from chalicelib.domain.identifiers import new_reference, new_ticket_id
        from chalicelib.domain.inquiry import Callback, Details, Inquiry
        from chalicelib.domain.priority import assign_priority
        from local.stories import FIRST_NAMES, ITEMS, LAST_NAMES, STORIES, slug

        rng, n = self.rng, self.n
        story = self.story = rng.choice(STORIES)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        values = {"item": rng.choice(ITEMS), "order": f"A-{rng.randint(10000, 99999)}"}
        domain = "vip.example" if rng.random() < VIP else "example.com"
        channel, phone, callback = "web", None, None
        if rng.random() < CALLBACK:
            channel, phone = "phone", f"+49 30 {rng.randint(1000000, 9999999)}"
            callback = Callback(phone, rng.choice(("weekdays 9-12", "after 5pm", "any time")))
        elif rng.random() < 0.3:
            channel = "email"
        inquiry = Inquiry(
            name=f"{first} {last}",
            email=f"{slug(first)}.{slug(last)}{n % 97}@{domain}",
            message=story.message.format(**values),
            subject=story.subject.format(**values),
            channel=channel,
            category=story.category,
            callback=callback,
            details=Details({"order_id": values["order"], "phone": phone}),
        )
        priority = assign_priority(inquiry, self.settings.priority_rules, self.settings.vip_customers)
        change = tickets.open_ticket(
            ticket_id=new_ticket_id(self.created),
            reference=new_reference(),
            now=self.created,
            rules=self.rules,
            priority=priority,
            inquiry=inquiry,
        )
        if rng.random() < ASSIGNED:  # automatic assignment, once the consumer sees the ticket
            self._then(self.created + timedelta(minutes=rng.uniform(0.2, 3)), tickets.assign, agent=rng.choice(AGENTS))
        if rng.random() >= UNANSWERED:
            target = self.settings.sla.target(priority, "first_response").minutes
            late = rng.random() < 0.12
            delay = target * rng.uniform(1.05, 1.6) if late else max(10.0, target * rng.uniform(0.03, 0.6))
            self.at(self.created + timedelta(minutes=delay), self._first_answer)
        self.life.texts.append(inquiry.message)
        return change

    def _first_answer(self, ticket, now) -> None:
        """The agent's first work on the ticket: a callback, tags and priority, the reply."""
        from chalicelib.domain import ticket as tickets
        from chalicelib.domain.ticket import Actor

        rng, story = self.rng, self.story
        actor = Actor("operator", ticket.assignee or AGENTS[0])
        if ticket.callback and ticket.callback.get("status") == "requested":
            self._then(now, tickets.log_call, actor=actor, outcome="reached", summary="Called back")
        fields: dict[str, Any] = {"tags": [story.tag]} if story.tag else {}
        if ticket.priority == "normal" and story.category in ("product", "other") and rng.random() < LOWERED:
            fields["priority"] = "low"
        if fields:
            self._then(now, tickets.update, actor=actor, fields=fields)
        wait = story.again is not None and rng.random() < 0.7
        investigate = not wait and rng.random() < INVESTIGATED
        self._then(now, tickets.reply, actor=actor, text=story.answer, resolve=not (wait or investigate))
        if wait:
            if rng.random() < 0.4:
                self._then(now, tickets.update, actor=actor, fields={"status": "pending"})
            if rng.random() < SILENT:  # the customer never writes back: the agent resolves after a while
                self.at(now + timedelta(days=rng.uniform(3, 7)), self._close_out)
            else:
                self.at(now + timedelta(hours=rng.uniform(2, 30)), self._customer_again)
        elif investigate:
            self.at(now + timedelta(days=rng.uniform(1, 6)), self._close_out)
        else:
            self._resolved(now)

    def _customer_again(self, ticket, now):
        from chalicelib.domain import ticket as tickets

        text = self.story.again or "Thanks!"
        self.life.texts.append(text)
        change = tickets.customer_wrote(ticket, text=text, now=now, rules=self.rules)
        target = self.settings.sla.target(change.after.clock_priority, "next_response").minutes
        late = self.rng.random() < 0.1
        delay = target * (self.rng.uniform(1.05, 1.3) if late else self.rng.uniform(0.05, 0.5))
        self.at(now + timedelta(minutes=delay), self._close_out)
        return change

    def _close_out(self, ticket, now):
        from chalicelib.domain import ticket as tickets
        from chalicelib.domain.ticket import Actor

        self._resolved(now)
        return tickets.reply(
            ticket,
            actor=Actor("operator", ticket.assignee or AGENTS[0]),
            text=self.story.closing,
            now=now,
            rules=self.rules,
            resolve=True,
        )

    def _resolved(self, now: datetime) -> None:
        if self.rng.random() < RATED:
            self.at(now + self.rules.follow_up_after + timedelta(hours=self.rng.uniform(0.5, 20)), self._rate)

    def _rate(self, ticket, now):
        from chalicelib.domain import ticket as tickets

        late = any(c.breached_at for c in ticket.clocks.values())
        csat = self.rng.choices((1, 2, 3, 4, 5), (8, 10, 15, 30, 37) if late else (2, 3, 8, 27, 60))[0]
        rating = {"csat": csat, "nps": max(0, min(10, csat * 2 + self.rng.randint(-2, 1)))}
        return tickets.rate(ticket, rating=rating, now=now, rules=self.rules)


# Writing


def items(life: Life, rules, *, search: bool = True) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, item in DynamoDB's JSON) of what the app stores for the
    ticket that listings, search (unless not asked for) and reports read."""
    from chalicelib.adapters.store.items import to_item
    from chalicelib.adapters.tables import Claim, Posting
    from chalicelib.domain.search import ticket_terms

    ticket = life.ticket
    yield "tickets", to_item(ticket, rules).serialize()
    for tag in sorted(ticket.tags):
        yield "claims", Claim(f"tag#{tag}#{ticket.id}", ticket_id=ticket.id, g_tag=tag).serialize()
    terms = ticket_terms(ticket, life.texts) if search else frozenset()
    for term in sorted(terms):
        yield "search", Posting(term, ticket.id).serialize()
    if terms:
        yield "search", Posting(f"#{ticket.id}", "#", terms=set(terms)).serialize()


def store(found: list[Life], *, search: bool = True) -> Counter:
    """Put every life's items into the in-process emulator (mock_aws), bypassing
    the HTTP layer that would be most of the time; items written by table. The
    tickets table's stream does not carry them: their effects happened when
    they were made, and the consumer must not act on them again."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.adapters.tables import table_name
    from chalicelib.container import container

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    tables = {base: backend.get_table(table_name(base)) for base in ("tickets", "claims", "search")}
    rules = container().settings.ticket_rules
    written: Counter = Counter()
    stream, tables["tickets"].stream_shard = tables["tickets"].stream_shard, None
    try:
        for life in found:
            for base, item in items(life, rules, search=search):
                tables[base].put_item(item)
                written[base] += 1
    finally:
        tables["tickets"].stream_shard = stream
    return written


def count_metrics(found: list[Life]) -> int:
    """The metric counters of these tickets, as the stream consumer would have
    added them up: the app's own recompute, fed the tickets (each as the store
    reads it back) without moto's Scan of them, which would take minutes;
    tickets counted."""
    from chalicelib.container import container

    services = container()
    with mock.patch.object(services.store, "all_tickets", lambda: (life.ticket for life in found)):
        return services.metrics.recompute()


def mix(found: list[Life]) -> dict[str, Counter]:
    """How the tickets ended up, by field: to see the mix is a realistic one."""
    tally: dict[str, Counter] = {name: Counter() for name in ("status", "priority", "assignee", "category", "tag")}
    for life in found:
        t = life.ticket
        for name in ("status", "priority", "assignee", "category"):
            tally[name][getattr(t, name) or "-"] += 1
        tally["tag"].update(t.tags)
    return tally
