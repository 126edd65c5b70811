"""Declarative priority rules: the most urgent matching rule wins.

Keywords are given per language (a customer's words in any of them count,
whatever language they write in) and match whole words, any case; a `*` at
a keyword's end or start lets the word go on or begin before it, as German
needs for its endings and compounds ("beschädig*" finds "beschädigte",
"*erstatt*" finds "Rückerstattung")."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache

from .inquiry import Inquiry
from .ticket import PRIORITIES

DEFAULT_PRIORITY = "normal"


@dataclass(frozen=True)
class Rule:
    """Every condition a rule names must hold for its priority to apply."""

    priority: str
    keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    callback: bool = False
    vip: bool = False


def is_vip(email: str, vip_customers: tuple[str, ...]) -> bool:
    address = email.lower()
    return any(fnmatchcase(address, pattern) for pattern in vip_customers)


def matches(rule: Rule, inquiry: Inquiry, vip: bool) -> bool:
    """Every condition a rule names must hold."""
    if rule.vip and not vip:
        return False
    if rule.callback and inquiry.callback is None:
        return False
    if rule.categories and inquiry.category not in rule.categories:
        return False
    if rule.channels and inquiry.channel not in rule.channels:
        return False
    if rule.keywords:
        text = _comparable(f"{inquiry.subject or ''}\n{inquiry.message}")
        if not any(_keyword(k).search(text) for k in rule.keywords):
            return False
    return True


def keyword_list(keywords: Sequence[str] | Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    """A rule's keywords, given as a list or a list per language, as one list."""
    words = [w for ws in keywords.values() for w in ws] if isinstance(keywords, Mapping) else list(keywords)
    return tuple(dict.fromkeys(_comparable(w) for w in words))


def _comparable(text: str) -> str:
    """Composed (an "ä" typed as a + ¨ is "ä") and in lower case."""
    return unicodedata.normalize("NFC", text).lower()


@lru_cache(maxsize=512)
def _keyword(keyword: str) -> re.Pattern[str]:
    core = re.escape(keyword.strip("*"))
    return re.compile(("" if keyword.startswith("*") else r"\b") + core + ("" if keyword.endswith("*") else r"\b"))


def assign_priority(inquiry: Inquiry, rules: tuple[Rule, ...], vip_customers: tuple[str, ...]) -> str:
    vip = is_vip(inquiry.email, vip_customers)
    matched = [r.priority for r in rules if matches(r, inquiry, vip)]
    return max(matched or [DEFAULT_PRIORITY], key=PRIORITIES.index)
