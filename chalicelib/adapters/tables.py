"""The DynamoDB tables: one definition serves the app, `make run` and infra/.

Table names carry a per-stage prefix bound at runtime (`bind_tables`), since
the stage is known only from the environment. docs/data-model.md lists every
access pattern and the key or index that serves it.
"""
from __future__ import annotations

from functools import lru_cache

import pynamodb.connection.base
from pynamodb.connection import Connection
from pynamodb.attributes import (BooleanAttribute, JSONAttribute, MapAttribute, NumberAttribute, TTLAttribute,
                                 UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute,
                                 VersionAttribute)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from .aws import botocore_session

# pynamodb builds a botocore session per connection (one per table and one for
# transactions); sharing the container's session makes each of them cheap.
pynamodb.connection.base.get_session = botocore_session

PAY_PER_REQUEST = "PAY_PER_REQUEST"
# Short timeouts and few retries, as for every client (adapters/aws.py): a
# request must not hang on a slow table.
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
MAX_RETRY_ATTEMPTS = 3


class _TableMeta:
    billing_mode = PAY_PER_REQUEST
    connect_timeout_seconds = CONNECT_TIMEOUT_SECONDS
    read_timeout_seconds = READ_TIMEOUT_SECONDS
    max_retry_attempts = MAX_RETRY_ATTEMPTS




def _listing_index(name: str, attribute: str, doc: str) -> type[GlobalSecondaryIndex]:
    """An inbox listing: tickets sharing one value of `attribute`, newest first
    (ids are time-ordered), so a page reads exactly the items it returns."""
    meta = type("Meta", (), {"index_name": name, "projection": AllProjection()})
    return type(f"TicketsBy{attribute.title().replace('_', '')}", (GlobalSecondaryIndex,), {
        "__doc__": doc, "Meta": meta, attribute: UnicodeAttribute(hash_key=True),
        "id": UnicodeAttribute(range_key=True)})


TicketsByCustomer = _listing_index("by_customer", "customer_email", "A customer's ticket history, newest first.")
TicketsByStatus = _listing_index("by_status", "status", "The inbox per status, newest first.")
TicketsByListing = _listing_index("by_listing", "listing", "Every ticket (listing = \"all\"), newest first.")
TicketsByPriority = _listing_index("by_priority", "priority", "The inbox per priority, newest first.")
TicketsByAssignee = _listing_index("by_assignee", "assignee", "The inbox per assignee, newest first.")
TicketsByCategory = _listing_index("by_category", "category", "The inbox per category, newest first.")


class TicketsBySlaDue(GlobalSecondaryIndex):
    """Sparse: open tickets with a next SLA event, by its time (the reconciler)."""
    class Meta:
        index_name = "by_sla_due"
        projection = AllProjection()
    sla_watch = UnicodeAttribute(hash_key=True)
    next_sla_at = UTCDateTimeAttribute(range_key=True)


class Ticket(Model):
    class Meta(_TableMeta):
        table_name = "tickets"

    id = UnicodeAttribute(hash_key=True)
    reference = UnicodeAttribute()
    status = UnicodeAttribute()
    priority = UnicodeAttribute()
    channel = UnicodeAttribute()
    category = UnicodeAttribute(null=True)
    subject = UnicodeAttribute(null=True)
    customer_email = UnicodeAttribute()
    customer_name = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    callback = MapAttribute(null=True)
    assignee = UnicodeAttribute(null=True)
    tags = UnicodeSetAttribute(null=True)
    listing = UnicodeAttribute(default="all")
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    # Current due times (None while paused or ended), for the inbox and the API.
    first_response_due = UTCDateTimeAttribute(null=True)
    resolution_due = UTCDateTimeAttribute(null=True)
    first_responded_at = UTCDateTimeAttribute(null=True)
    resolved_at = UTCDateTimeAttribute(null=True)
    # SLA clocks per metric (domain.sla.MetricClock as JSON), the one schedule
    # armed for the next SLA event, and its time.
    sla = JSONAttribute(null=True)
    sla_priority = UnicodeAttribute(null=True)
    sla_schedule = UnicodeAttribute(null=True)
    next_sla_at = UTCDateTimeAttribute(null=True)
    sla_watch = UnicodeAttribute(null=True)  # "open" while next_sla_at is set
    feedback = JSONAttribute(null=True)  # {"csat", "nps"?, "comment"?, "at"}
    followup_sent_at = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()

    by_customer = TicketsByCustomer()
    by_status = TicketsByStatus()
    by_priority = TicketsByPriority()
    by_assignee = TicketsByAssignee()
    by_category = TicketsByCategory()
    by_listing = TicketsByListing()
    by_sla_due = TicketsBySlaDue()


class Outbox(GlobalSecondaryIndex):
    """Sparse: only outgoing emails not yet accepted by SES, by next attempt."""
    class Meta:
        index_name = "outbox"
        projection = AllProjection()
    outbox = UnicodeAttribute(hash_key=True)
    next_attempt_at = UTCDateTimeAttribute(range_key=True)


class Entry(Model):
    """The ticket's thread in one item collection: customer and operator
    messages, internal notes and events, in time order (`sk`)."""
    class Meta(_TableMeta):
        table_name = "entries"

    ticket_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()  # message (to or from the customer) | note | event | notice (to operators)
    created_at = UTCDateTimeAttribute()
    author = UnicodeAttribute(null=True)
    direction = UnicodeAttribute(null=True)  # in (from the customer) | out (to them)
    event = UnicodeAttribute(null=True)
    data = JSONAttribute(null=True)
    body = UnicodeAttribute(null=True)
    # An outgoing email, rendered once so a retry sends exactly the same mail.
    email = JSONAttribute(null=True)
    outbox = UnicodeAttribute(null=True)  # "pending" until SES accepts it
    next_attempt_at = UTCDateTimeAttribute(null=True)
    attempts = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    sent_at = UTCDateTimeAttribute(null=True)
    ses_message_id = UnicodeAttribute(null=True)

    pending = Outbox()


class Customer(Model):
    """Contact data saved for next time; history via Ticket.by_customer."""
    class Meta(_TableMeta):
        table_name = "customers"

    email = UnicodeAttribute(hash_key=True)  # lower-cased
    name = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    first_seen = UTCDateTimeAttribute()
    last_seen = UTCDateTimeAttribute()
    ticket_count = NumberAttribute(default=0)


class Claim(Model):
    """Keys claimed with a conditional write: idempotency keys, rate-limit
    windows (both expire by TTL) and ticket references (permanent)."""
    class Meta(_TableMeta):
        table_name = "claims"

    key = UnicodeAttribute(hash_key=True)
    ticket_id = UnicodeAttribute(null=True)
    body_hash = UnicodeAttribute(null=True)
    response = JSONAttribute(null=True)
    hits = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)


class Directory(Model):
    """Small shared lists read whole by one Query on `kind`: the agent roster
    (availability, open tickets, last assignment) and the macros."""
    class Meta(_TableMeta):
        table_name = "directory"

    kind = UnicodeAttribute(hash_key=True)  # agent | macro
    name = UnicodeAttribute(range_key=True)  # agent email, or macro slug
    display_name = UnicodeAttribute(null=True)
    available = BooleanAttribute(null=True)
    open_tickets = NumberAttribute(null=True)
    last_assigned_at = UTCDateTimeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class Tally(Model):
    """Per-day metric counters (domain.metrics), one item per day and counter,
    all in one partition so a period is one Query over a key range."""
    class Meta(_TableMeta):
        table_name = "metrics"

    scope = UnicodeAttribute(hash_key=True)  # "metrics"
    key = UnicodeAttribute(range_key=True)  # "<YYYY-MM-DD or current>#<counter>"
    value = NumberAttribute(default=0)


MODELS: dict[str, type[Model]] = {"tickets": Ticket, "entries": Entry, "customers": Customer, "claims": Claim,
                                  "directory": Directory, "metrics": Tally}


@lru_cache(maxsize=1)
def transaction_connection() -> Connection:
    """One connection per container for transactions: building one costs a
    botocore session and client (100-240 ms of CPU), and it does not inherit
    the models' settings."""
    return Connection(connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS, read_timeout_seconds=READ_TIMEOUT_SECONDS,
                      max_retry_attempts=MAX_RETRY_ATTEMPTS)


def bind_tables(prefix: str) -> None:
    """Point every model at this stage's tables."""
    for base, model in MODELS.items():
        if model.Meta.table_name != prefix + base:
            model.Meta.table_name = prefix + base
            model._connection = None


def create_tables() -> None:
    """Create the bound tables where missing (local stack and tests; AWS
    stages get them from infra/)."""
    for model in MODELS.values():
        if not model.exists():
            model.create_table(wait=True, billing_mode=PAY_PER_REQUEST)
