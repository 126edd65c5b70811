"""Search words: what a ticket can be found by, and what a query asks for.

A ticket is found by its reference (with or without "CL-"), the customer's
email address and name, and the words of its subject and of every message
the customer wrote. Operators' replies and internal notes are not searched:
people look for what a customer said, and each indexed word is a write. Its
status, priority, assignee, category and tags are terms too ("status:open"),
so filters narrow a search inside the same index. Every word of a query must
match, after the same normalisation: case and accents do not matter, very
common words and single letters are left out. Pure: the stream consumer
keeps the index (services/search.py), the store reads it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import FieldError, InvalidInput

MAX_TERM_CHARACTERS = 40  # longer tokens (hashes, URLs run together) are not words anyone types
MAX_TERMS_PER_TICKET = 400  # a long thread's later words are not indexed: this bounds each ticket's writes
MAX_QUERY_WORDS = 8
FILTERS = ("status", "priority", "assignee", "category", "tag")
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_REFERENCE = re.compile(r"\bcl-([0-9a-z]{6,10})\b")
_WORD = re.compile(r"[a-z0-9]+")
# The shipped languages' most common words: in nearly every ticket, so they
# would only cost index writes and narrow nothing.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "hello",
        "hi",
        "i",
        "if",
        "im",
        "in",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "please",
        "so",
        "than",
        "thanks",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "this",
        "to",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "aber",
        "als",
        "am",
        "an",
        "auch",
        "auf",
        "aus",
        "bei",
        "bin",
        "bis",
        "da",
        "das",
        "dass",
        "dem",
        "den",
        "der",
        "des",
        "die",
        "dir",
        "du",
        "ein",
        "eine",
        "einen",
        "einer",
        "es",
        "fur",
        "hallo",
        "hat",
        "ich",
        "ihr",
        "im",
        "in",
        "ist",
        "ja",
        "kann",
        "mein",
        "meine",
        "mich",
        "mir",
        "mit",
        "nach",
        "nicht",
        "noch",
        "nur",
        "oder",
        "sie",
        "sind",
        "so",
        "und",
        "uns",
        "von",
        "vom",
        "war",
        "was",
        "wie",
        "wir",
        "zu",
        "zum",
        "zur",
    ]
)


def normalise(text: str) -> str:
    """Lower case, accents off ("Müller" and "muller" match), ß as ss."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str | None) -> list[str]:
    """The searchable words of a text, in order, each once. An email
    address stays whole; a reference counts by its code ("CL-K32SR5DY" and
    "K32SR5DY" both find it)."""
    if not text:
        return []
    plain = normalise(text)
    found: list[str] = []
    for address in _EMAIL.findall(plain):
        found.append(address.strip("."))
    plain = _EMAIL.sub(" ", plain)
    found += _REFERENCE.findall(plain)
    plain = _REFERENCE.sub(" ", plain)
    found += [w for w in _WORD.findall(plain) if len(w) > 1 and w not in STOPWORDS]
    return [w for w in dict.fromkeys(found) if len(w) <= MAX_TERM_CHARACTERS]


def filter_term(name: str, value: str) -> str:
    return f"{name}:{normalise(value)}"


def ticket_terms(ticket: Any, texts: Iterable[str | None]) -> frozenset[str]:
    """Everything a ticket is found by: `ticket` is a domain Ticket, `texts`
    the bodies of the customer's messages in thread order."""
    terms: list[str] = []
    for text in (ticket.reference, ticket.customer_email, ticket.customer_name, ticket.subject, *texts):
        terms += words(text)
    terms = list(dict.fromkeys(terms))[:MAX_TERMS_PER_TICKET]
    values = {
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.assignee,
        "category": ticket.category,
    }
    terms += [filter_term(name, value) for name, value in values.items() if value]
    terms += [filter_term("tag", tag) for tag in ticket.tags]
    return frozenset(terms)


def query_words(q: str) -> tuple[str, ...]:
    """The words every result must have (filters are terms too: `filter_term`)."""
    asked = words(q)
    if not asked:
        raise InvalidInput(
            [FieldError("q", "needs a word to search for (very common words and single letters are not searched)")]
        )
    if len(asked) > MAX_QUERY_WORDS:
        raise InvalidInput([FieldError("q", f"may have at most {MAX_QUERY_WORDS} words")])
    return tuple(asked)


def affects(kind: str, event: str, direction: str | None, data: Mapping[str, Any]) -> bool:
    """Whether a thread entry can change what its ticket is found by: the
    customer's message, a change of a filtered field, the erasure, a ticket's
    start (an operator's first message too), a merge or a split."""
    return (
        (kind == "message" and direction == "in")
        or bool(data.get("changes"))
        or event in ("erased", "created", "merged", "split")
    )
