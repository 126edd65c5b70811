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

from ..clock import FixedClock, iso
from ..domain.search import normalise
from ..domain.ticket import Actor, wake_of
from . import stream

FIRST_NAMES = (
    "Ann",
    "Ben",
    "Clara",
    "David",
    "Elif",
    "Finn",
    "Greta",
    "Hamid",
    "Ines",
    "Jonas",
    "Kemal",
    "Lena",
    "Marta",
    "Nils",
    "Olga",
    "Paul",
    "Rosa",
    "Sven",
    "Tara",
    "Umut",
    "Vera",
    "Wim",
    "Yara",
    "Zoe",
)
LAST_NAMES = (
    "Lee",
    "Schmidt",
    "Novak",
    "Okafor",
    "Rossi",
    "Yılmaz",
    "Berg",
    "Fischer",
    "Haddad",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nguyen",
    "Petrov",
    "Silva",
    "Weber",
    "Müller",
    "Brandt",
)
ITEMS = (
    "the rain jacket",
    "two pairs of running socks",
    "the linen shirt",
    "a ceramic teapot",
    "the kids' backpack",
    "the wool scarf",
    "a phone case",
    "the desk lamp",
    "the hiking boots",
    "a set of espresso cups",
)


@dataclass(frozen=True)
class Story:
    category: str
    subject: str
    message: str
    answer: str
    again: str | None = None  # what the customer writes back, if they do
    closing: str = "Glad that is sorted. If anything else comes up, just reply to this email."
    tag: str | None = None
    offer: bool = False


STORIES = (
    Story(
        "shipping",
        "Where is my parcel?",
        "Hi, I ordered {item} a week ago (order {order}) and the tracking has not moved since Tuesday. "
        "Can you check where it is?",
        "I checked with the carrier: your parcel was held at their depot after a scanning error and went out "
        "again this morning. You should have it within two days.",
        "Still nothing here, and the tracking says the same as before.",
    ),
    Story(
        "shipping",
        "Parcel never arrived",
        "The tracking says delivered but the parcel never arrived. Nobody in the house has it and the neighbours "
        "have not seen it either. Order {order}.",
        "I am sorry, that is annoying. I have opened a claim with the carrier and sent a replacement today, so you "
        "do not have to wait for the claim.",
        tag="lost-parcel",
        offer=True,
    ),
    Story(
        "returns",
        "Return of {item}",
        "Hello, {item} does not fit me. How can I send it back and get my money?",
        "Of course. I have attached a free return label; as soon as the parcel reaches us we refund you.",
        "Thanks. Do I need the original box?",
    ),
    Story(
        "returns",
        "Exchange for a bigger size",
        "Could I exchange {item} for one size bigger? Order {order}.",
        "Yes, happily. I have reserved the bigger size for you; send the first one back with the label attached "
        "and we ship the new one as soon as it is on its way.",
    ),
    Story(
        "billing",
        "Charged twice",
        "I was charged twice for order {order}. Please refund the second payment.",
        "You are right, the payment went through twice. I have refunded the second one today; it shows on your "
        "statement within 3 to 5 working days.",
        tag="refund",
    ),
    Story(
        "billing",
        "Invoice with my company address",
        "Could you send me an invoice for order {order} with my company's address? I need it for my expenses.",
        "Here is your invoice with the company address attached. Let me know if anything on it should change.",
    ),
    Story(
        "product",
        "Question about {item}",
        "Is {item} machine washable? The label is hard to read.",
        "Yes: 30 degrees, gentle cycle, and let it dry flat. Please no tumble dryer.",
    ),
    Story(
        "product",
        "Arrived damaged",
        "{item} arrived damaged, the box was crushed and it is broken. What can I do?",
        "I am sorry it arrived like that. I have sent a replacement today; there is no need to send the broken one "
        "back.",
        "The replacement is here and it is perfect, thanks.",
        tag="damaged",
        offer=True,
    ),
    Story(
        "order",
        "Change my delivery address",
        "I just ordered {item} (order {order}) and noticed the old address. Can you change it before it ships?",
        "Done: I changed the address on your order before it left the warehouse.",
    ),
    Story(
        "order",
        "Discount code did not work",
        "The code from your newsletter was not accepted at checkout for order {order}.",
        "The code had expired a day early by mistake. I have refunded the difference to your card.",
        offer=True,
    ),
    Story(
        "complaint",
        "Very disappointed",
        "This is the second time my order arrives late and nobody answered my last email. I am very disappointed.",
        "I am sorry, you should have had an answer much sooner. Your order is on its way with express delivery "
        "at our cost.",
        "OK, thanks for sorting it out.",
        tag="escalated",
        offer=True,
    ),
    Story(
        "other",
        "Do you ship to Switzerland?",
        "Hi! Do you deliver to Switzerland, and how much does shipping cost?",
        "Yes, we do: shipping to Switzerland costs 14.90 and takes 3 to 5 working days; customs are included.",
    ),
)
CONSUMER_LAG = timedelta(minutes=20)  # the consumer catches up at least this often (simulated time)
COMMENTS = {
    5: ("Fast and friendly, thank you!", "Great service.", None, None),
    4: ("Quick answer.", None, None),
    3: ("Took a while, but sorted in the end.", None),
    2: ("Too slow, I had to ask twice.", None),
    1: ("Nobody answered for days.",),
}


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
            "email": f"{_slug(first)}.{_slug(last)}{n % 7 or ''}@example.com",
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
    from .. import container as wiring

    started = time.perf_counter()
    end = services.clock.now()
    begin = end - timedelta(days=days)
    simulated = wiring.Container(services.settings, FixedClock(begin))
    rng = random.Random(seed)
    loader = Loader(simulated, rng, end)
    moments = sorted(_moment(rng, begin, days) for _ in range(tickets))
    for n, moment in enumerate(moments):
        loader.at(moment, lambda n=n: loader.inquiry(n))
    wiring.use(simulated)  # the stream consumer and the handlers now see the simulated time
    try:
        loader.run()
    finally:
        wiring.use(services)
    return loader.counts | {"since": iso(begin), "until": iso(end), "seconds": round(time.perf_counter() - started, 1)}


def _slug(name: str) -> str:
    return "".join(c for c in normalise(name) if "a" <= c <= "z")


def _moment(rng: random.Random, begin: datetime, days: int) -> datetime:
    """A time customers write: mostly weekdays, mostly 7:00-22:00 UTC."""
    while True:
        moment = begin + timedelta(days=rng.uniform(0, days))
        weekday_ok = moment.weekday() < 5 or rng.random() < 0.4
        hour_ok = 7 <= moment.hour < 22 or rng.random() < 0.15
        if weekday_ok and hour_ok:
            return moment
