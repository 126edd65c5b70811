"""Declarative priority rules: the most urgent matching rule wins."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase

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
        text = f"{inquiry.subject or ''}\n{inquiry.message}".lower()
        if not any(re.search(rf"\b{re.escape(k)}\b", text) for k in rule.keywords):
            return False
    return True


def assign_priority(inquiry: Inquiry, rules: tuple[Rule, ...], vip_customers: tuple[str, ...]) -> str:
    vip = is_vip(inquiry.email, vip_customers)
    matched = [r.priority for r in rules if matches(r, inquiry, vip)]
    return max(matched or [DEFAULT_PRIORITY], key=PRIORITIES.index)
