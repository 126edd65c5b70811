"""The DynamoDB tables: one definition serves the app, `make run` and infra/.

Table names carry a per-stage prefix bound at runtime (`bind_tables`), since
the stage is known only from the environment. docs/data-model.md lists every
access pattern and the key or index that serves it.

`tickets` holds a ticket and its whole thread in one item collection (the
ticket at sort key "#", then its entries in time order, then the delivery
state of each email), so reading a ticket is one Query and a change is one
transaction. Its stream drives every effect. Stored attribute names are
short because every byte of an item is paid for on each write; indexes
project keys only, so a ticket change rewrites an index entry only when that
index's key moves.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pynamodb.connection.base
from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from ..domain.listing import MOST_READS
from .aws import botocore_session, client

# pynamodb builds a botocore session per connection (one per table and one for
# transactions); sharing the container's session makes each of them cheap.
# tests/integration/test_tables.py fails if a pynamodb upgrade stops honouring this.
pynamodb.connection.base.get_session = botocore_session  # type: ignore[attr-defined, assignment]  # see above

PAY_PER_REQUEST = "PAY_PER_REQUEST"
# Short timeouts and few retries, as for every client (adapters/aws.py): a
# request must not hang on a slow table.
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
MAX_RETRY_ATTEMPTS = 3
TICKET_SK = "#"
SHARDS = 4  # write shards of the indexes whose key would otherwise be one value for every ticket


class _TableMeta:
    billing_mode = PAY_PER_REQUEST
    connect_timeout_seconds = CONNECT_TIMEOUT_SECONDS
    read_timeout_seconds = READ_TIMEOUT_SECONDS
    max_retry_attempts = MAX_RETRY_ATTEMPTS
    max_pool_connections = MOST_READS  # an inbox page's reads of a round trip go out at once


def _index(
    name: str, hash_attr: str, range_attr: str, doc: str, whole: bool = False
) -> type[GlobalSecondaryIndex[Any]]:
    """An index with keys only, or (`whole`) with the whole item."""
    meta = type("Meta", (), {"index_name": name, "projection": AllProjection() if whole else KeysOnlyProjection()})
    return type(
        f"Index_{name}",
        (GlobalSecondaryIndex,),
        {
            "__doc__": doc,
            "Meta": meta,
            hash_attr: UnicodeAttribute(hash_key=True),
            range_attr: UnicodeAttribute(range_key=True),
        },
    )


ByAll = _index("by_all", "g_all", "pk", "Every ticket, newest first, in SHARDS shards read together.")
ByCustomer = _index("by_customer", "g_cust", "pk", "A customer's tickets, newest first.")
ByAssignee = _index("by_assignee", "g_asg", "g_st", "An assignee's tickets by status, newest first.")
ByPriority = _index("by_priority", "g_pri", "g_st", "Tickets of a priority by status, newest first.")
ByCategory = _index("by_category", "g_cat", "g_st", "Tickets of a category by status, newest first.")
ByWake = _index("by_wake", "g_wake", "wake_at", "Tickets by their next timed action (sparse, sharded).")
ByDue = _index("by_due", "g_due", "due_at", "Open tickets by their most urgent running SLA due time (sparse, sharded).")
ByCallback = _index("by_callback", "g_cb", "pk", "Open callback requests, oldest first (sparse).")
ByRetry = _index("by_retry", "g_retry", "retry_at", "Emails whose send failed, by next attempt (sparse).")


class TicketTable(Model):
    """Every item of a ticket's collection; `kind` tells which. The store maps
    them to and from the domain's dataclasses."""

    class Meta(_TableMeta):
        table_name = "tickets"
        stream_view_type = "NEW_IMAGE"  # the consumer reads each change's entry

    pk = UnicodeAttribute(hash_key=True)  # the ticket id
    sk = UnicodeAttribute(range_key=True)  # "#" for the ticket, else the entry's time-ordered key
    kind = UnicodeAttribute(attr_name="k")  # ticket | message | note | call | event | delivery | presence

    # The ticket (sk "#")
    reference = UnicodeAttribute(attr_name="ref", null=True)
    status = UnicodeAttribute(attr_name="s", null=True)
    priority = UnicodeAttribute(attr_name="p", null=True)
    channel = UnicodeAttribute(attr_name="ch", null=True)
    category = UnicodeAttribute(attr_name="cat", null=True)
    subject = UnicodeAttribute(attr_name="sub", null=True)
    preview = UnicodeAttribute(attr_name="pv", null=True)
    customer_email = UnicodeAttribute(attr_name="ce", null=True)
    customer_name = UnicodeAttribute(attr_name="cn", null=True)
    details = JSONAttribute(attr_name="dt", null=True)  # the customer's optional details, by field name
    callback = JSONAttribute(attr_name="cb", null=True)
    assignee = UnicodeAttribute(attr_name="a", null=True)
    tags = UnicodeSetAttribute(attr_name="tg", null=True)
    created_at = UTCDateTimeAttribute(attr_name="c", null=True)
    updated_at = UTCDateTimeAttribute(attr_name="u", null=True)
    clocks = JSONAttribute(attr_name="sla", null=True)
    sla_priority = UnicodeAttribute(attr_name="sp", null=True)
    first_responded_at = UTCDateTimeAttribute(attr_name="fra", null=True)
    first_responder = UnicodeAttribute(attr_name="frb", null=True)
    resolved_at = UTCDateTimeAttribute(attr_name="ra", null=True)
    feedback = JSONAttribute(attr_name="fb", null=True)
    followup_sent_at = UTCDateTimeAttribute(attr_name="fu", null=True)
    operator_replies = NumberAttribute(attr_name="nor", null=True)
    customer_messages = NumberAttribute(attr_name="ncm", null=True)
    offer_days: ListAttribute[str] = ListAttribute(attr_name="od", null=True)
    linked_to = UnicodeAttribute(attr_name="lnk", null=True)
    # Collaboration (#22): followers and merges.
    cc: ListAttribute[str] = ListAttribute(attr_name="cc", null=True)
    merged_into = UnicodeAttribute(attr_name="mi", null=True)
    merged_from: ListAttribute[str] = ListAttribute(attr_name="mf", null=True)
    version = NumberAttribute(attr_name="v", null=True)
    # Details as tickets written before `details` hold them: read, never written
    # (the store moves them into `details` when it next writes the ticket).
    old_phone = UnicodeAttribute(attr_name="ph", null=True)
    old_order_id = UnicodeAttribute(attr_name="oid", null=True)
    old_locale = UnicodeAttribute(attr_name="loc", null=True)
    old_timezone = UnicodeAttribute(attr_name="tz", null=True)
    pending_since = UTCDateTimeAttribute(attr_name="pds", null=True)
    reminded_at = UTCDateTimeAttribute(attr_name="rem", null=True)
    # Index keys, derived from the ticket by the store.
    g_all = UnicodeAttribute(null=True)
    g_cust = UnicodeAttribute(null=True)
    g_asg = UnicodeAttribute(null=True)
    g_pri = UnicodeAttribute(null=True)
    g_cat = UnicodeAttribute(null=True)
    g_st = UnicodeAttribute(null=True)
    g_wake = UnicodeAttribute(null=True)
    wake_at = UnicodeAttribute(null=True)
    g_due = UnicodeAttribute(null=True)
    due_at = UnicodeAttribute(null=True)
    g_cb = UnicodeAttribute(null=True)

    # A thread entry
    event = UnicodeAttribute(attr_name="ev", null=True)
    author = UnicodeAttribute(attr_name="by", null=True)
    body = UnicodeAttribute(attr_name="b", null=True)
    direction = UnicodeAttribute(attr_name="dir", null=True)
    data = JSONAttribute(attr_name="d", null=True)
    effects = JSONAttribute(attr_name="fx", null=True)  # present on every change's entry: the stream acts on it
    moved_to = UnicodeAttribute(attr_name="mv", null=True)  # a split moved this entry to that ticket

    # An operator's presence on the ticket (sk "~presence#<email>"): viewing or
    # writing a reply, until `expires_at` (TTL: DynamoDB removes it within days,
    # so reads compare the time themselves).
    expires_at = TTLAttribute(attr_name="ttl", null=True)

    # An email's delivery (sk "<entry sk>#mail#<n>")
    mail = UnicodeAttribute(attr_name="m", null=True)
    to = UnicodeAttribute(attr_name="to", null=True)
    state = UnicodeAttribute(attr_name="st", null=True)  # sending | sent | retry | unconfirmed | refused | failed
    attempts = NumberAttribute(attr_name="n", null=True)
    message_id = UnicodeAttribute(attr_name="mid", null=True)
    ses_id = UnicodeAttribute(attr_name="ses", null=True)
    last_error = UnicodeAttribute(attr_name="err", null=True)
    g_retry = UnicodeAttribute(null=True)
    retry_at = UnicodeAttribute(null=True)

    by_all = ByAll()
    by_customer = ByCustomer()
    by_assignee = ByAssignee()
    by_priority = ByPriority()
    by_category = ByCategory()
    by_wake = ByWake()
    by_due = ByDue()
    by_callback = ByCallback()
    by_retry = ByRetry()


ByTag = _index("by_tag", "g_tag", "ticket_id", "Tickets with a tag, newest first.")


class Claim(Model):
    """Keys claimed with a conditional write: ticket references (permanent),
    idempotency keys and rate-limit windows (expire by TTL), inbound
    Message-IDs, tags on tickets, and the stream consumer's marks."""

    class Meta(_TableMeta):
        table_name = "claims"

    key = UnicodeAttribute(hash_key=True)
    ticket_id = UnicodeAttribute(null=True)
    body_hash = UnicodeAttribute(null=True)
    response = JSONAttribute(null=True)
    hits = NumberAttribute(null=True)
    g_tag = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    by_tag = ByTag()


class Customer(Model):
    """Contact data saved for next time; history via the tickets' by_customer index."""

    class Meta(_TableMeta):
        table_name = "customers"

    email = UnicodeAttribute(hash_key=True)  # lower-cased
    name = UnicodeAttribute()
    phone = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    first_seen = UTCDateTimeAttribute()
    last_seen = UTCDateTimeAttribute()
    bounced_at = UTCDateTimeAttribute(null=True)  # SES reported the address undeliverable: mail it no more
    bounce_reason = UnicodeAttribute(null=True)  # bounce (permanent) | complaint (marked our mail as spam)
    note = UnicodeAttribute(null=True)  # the operators' note on the customer, shown on all their tickets
    note_by = UnicodeAttribute(null=True)
    note_at = UTCDateTimeAttribute(null=True)
    # An operator marked a ticket of theirs as spam: their mail and forms are quarantined.
    spam_since = UTCDateTimeAttribute(null=True)


class Directory(Model):
    """Small shared lists read whole by one Query on `kind`: the agent roster
    (availability for automatic assignment, display names), the macros, and
    the saved views (the team's, and each operator's own)."""

    class Meta(_TableMeta):
        table_name = "directory"

    kind = UnicodeAttribute(hash_key=True)  # agent | removed | macro | view (shared) | view#<email> (own) | operator
    name = UnicodeAttribute(range_key=True)  # agent email, or macro or view slug
    display_name = UnicodeAttribute(null=True)
    available = BooleanAttribute(null=True)
    title = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)
    filters = JSONAttribute(attr_name="f", null=True)  # a view's inbox filters
    roles = UnicodeSetAttribute(attr_name="r", null=True)  # an operator's roles as last seen at sign-in
    texts = JSONAttribute(attr_name="tx", null=True)  # a macro's text per language code ("de"), beside its body
    updated_at = UTCDateTimeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class Tally(Model):
    """Per-day metric counters: one item per day and family, each counter a
    top-level number attribute moved with ADD (adapters/counters.py), so a
    batch of changes is one update per day and a period is one BatchGetItem."""

    class Meta(_TableMeta):
        table_name = "metrics"

    day = UnicodeAttribute(hash_key=True)  # YYYY-MM-DD: each day its own partition
    family = UnicodeAttribute(range_key=True)  # "all" | "time" (sketches) | "agent#<email>"


class Posting(Model):
    """The search index (domain/search.py), kept by the stream consumer: one
    item per (term, ticket), read newest first by term; and per ticket the
    terms it is indexed under (term "#<ticket id>", tid "#"), so a change
    removes exactly the postings it no longer has (an erasure all of the
    customer's)."""

    class Meta(_TableMeta):
        table_name = "search"

    term = UnicodeAttribute(hash_key=True)
    tid = UnicodeAttribute(range_key=True)  # the ticket id: newest first is key order
    terms = UnicodeSetAttribute(attr_name="t", null=True)  # on the ticket's own item only


# The audit trail's indexes hold whole records: the page shows them as they are.
AuditByActor = _index("by_actor", "actor", "at", "One actor's records, newest first.", whole=True)
AuditBySubject = _index("by_subject", "subject", "at", "The records about one subject, newest first.", whole=True)
AuditByKind = _index("by_kind", "kind", "at", "One kind's records, newest first.", whole=True)


class AuditRecord(Model):
    """The audit trail (domain/audit.py): who did what, when, to what. One
    partition read newest first (a shop's team writes a handful of records a
    day, far below what one partition takes), an index per filter, each
    record gone after the stage's audit_retention_days (TTL). A person's
    records are those by them (by_actor) and about them (by_subject)."""

    class Meta(_TableMeta):
        table_name = "audit"

    trail = UnicodeAttribute(hash_key=True)  # "audit": the one trail
    at = UnicodeAttribute(range_key=True)  # "<ISO time>#<sequence>": newest first is key order
    actor = UnicodeAttribute()  # an operator's address, or "system"
    kind = UnicodeAttribute()
    subject = UnicodeAttribute()  # what it was done to: an address, a macro's name, a customer's pseudonym...
    detail = JSONAttribute(null=True)
    expires_at = TTLAttribute()

    by_actor = AuditByActor()
    by_subject = AuditBySubject()
    by_kind = AuditByKind()


MODELS: dict[str, type[Model]] = {
    "tickets": TicketTable,
    "claims": Claim,
    "customers": Customer,
    "directory": Directory,
    "metrics": Tally,
    "search": Posting,
    "audit": AuditRecord,
}


@lru_cache(maxsize=1)
def transaction_connection() -> Connection:
    """One connection per container for transactions: building one costs a
    botocore session and client (100-240 ms of CPU), and it does not inherit
    the models' settings."""
    return Connection(
        connect_timeout_seconds=CONNECT_TIMEOUT_SECONDS,
        read_timeout_seconds=READ_TIMEOUT_SECONDS,
        max_retry_attempts=MAX_RETRY_ATTEMPTS,
    )


def reset_clients() -> None:
    """Forget every client and connection (tests: after the emulator or the endpoint changes)."""
    client.cache_clear()
    transaction_connection.cache_clear()
    for model in MODELS.values():
        model._connection = None


def bind_tables(prefix: str) -> None:
    """Point every model at this stage's tables."""
    for base, model in MODELS.items():
        if model.Meta.table_name != prefix + base:
            model.Meta.table_name = prefix + base
            model._connection = None


def table_name(base: str) -> str:
    return MODELS[base].Meta.table_name
