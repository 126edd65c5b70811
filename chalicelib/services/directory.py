"""Agents (availability for automatic assignment) and macros (shared
answers); every change to either, and every change of an operator's roles
seen at sign-in, in the audit trail."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from ..adapters.store.directory import DirectoryStore
from ..adapters.store.tickets import TicketStore
from ..adapters.tables import Directory
from ..clock import Clock, iso
from ..domain.errors import FieldError, Forbidden, InvalidInput
from ..domain.macros import check_placeholders
from ..domain.text import is_email
from ..domain.ticket import SYSTEM, Actor
from ..domain.validation import check
from ..views.emails import agent_display_name
from .audit import AuditTrail

MACRO_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# How long a warm function trusts that an operator is still on the team:
# without it every operator call would wait for one more DynamoDB read first.
# A removal made in another container takes effect within this time.
ADMITTED_FOR = timedelta(seconds=60)


class DirectoryService:
    def __init__(self, directory: DirectoryStore, store: TicketStore, clock: Clock, audit: AuditTrail) -> None:
        self._directory = directory
        self._store = store  # the agents' open tickets
        self._clock = clock
        self._admitted: dict[str, datetime] = {}  # operator -> when last found not removed
        self._audit = audit

    def agents(self) -> list[dict[str, Any]]:
        return [_agent(a, self._store.open_tickets_of(a.name)) for a in self._directory.roster()]

    def admit(self, email: str, roles: frozenset[str]) -> None:
        """May this operator work? Not an agent an admin removed from the
        roster (their token outlives the removal: Cognito signed it); an admin
        always may (the role is Cognito's), and may add them back."""
        if "admin" in roles:
            return
        now = self._clock.now()
        checked = self._admitted.get(email)
        if checked is not None and timedelta(0) <= now - checked < ADMITTED_FOR:
            return
        if self._directory.removed(email):
            raise Forbidden("you were removed from the team; an admin can add you back", field="Authorization")
        self._admitted[email] = now

    def set_agent(self, email: str, body: object, actor: Actor = SYSTEM, *, by_admin: bool = False) -> dict[str, Any]:
        """An agent's availability (and name); set by an admin, it also takes
        a removed agent back."""
        if not is_email(email):
            raise InvalidInput([FieldError("email", "must be a valid email address")])
        check("agent", body)
        assert isinstance(body, dict)
        if by_admin:
            self._directory.readmit(email.lower())
        before = self._directory.agent(email.lower())
        agent = self._directory.put_agent(email.lower(), body["available"], body.get("name"), self._clock.now())
        # Answered from the write itself: the roster read may not show it yet.
        after = self._directory.agent(agent.name) or agent
        was = _roster_entry(before) if before else None
        now = _roster_entry(after)
        if was != now:
            kind = "agent.added" if was is None else "agent.changed"
            self._audit.record(actor, kind, agent.name, {"before": was, "after": now} if was else {"after": now})
        return _agent(after, self._store.open_tickets_of(agent.name))

    def remove_agent(self, email: str, actor: Actor = SYSTEM) -> None:
        """Off the roster: no more automatic assignments, and no more work
        here until an admin adds them back (`admit`); their tickets stay theirs."""
        before = self._directory.agent(email.lower())
        self._directory.delete_agent(email.lower(), self._clock.now(), actor.email)
        self._admitted.pop(email.lower(), None)
        if before is not None:
            self._audit.record(actor, "agent.removed", email.lower(), {"before": _roster_entry(before)})

    def me(self, email: str, roles: frozenset[str]) -> dict[str, Any]:
        """The signed-in operator: roles, roster entry (if any), signing name.
        Roles are granted outside Careline (Cognito's groups): a sign-in that
        shows them changed is recorded, with who had what before."""
        seen = self._directory.roles_seen(email)
        if seen != roles:
            self._directory.remember_roles(email, roles, self._clock.now())
            before = sorted(seen) if seen is not None else []
            self._audit.record(SYSTEM, "operator.roles_changed", email, {"before": before, "after": sorted(roles)})
        agent = self._directory.agent(email)
        return {
            "email": email,
            "roles": sorted(roles),
            "on_roster": agent is not None,
            "name": agent.display_name if agent else None,
            "display_name": display_name(self._directory, email),
            "available": bool(agent and agent.available),
        }

    def macros(self) -> list[dict[str, Any]]:
        return [_macro(m) for m in self._directory.macros()]

    def put_macro(self, name: str, body: object, actor: Actor) -> dict[str, Any]:
        if not MACRO_NAME.match(name):
            raise InvalidInput([FieldError("name", "must be lower-case letters, digits and dashes")])
        check("macro", body)
        assert isinstance(body, dict)
        check_placeholders(body["body"], "body")
        texts = body.get("texts") or {}
        for code, text in texts.items():
            check_placeholders(text, f"texts.{code}")
        macro = Directory(
            "macro",
            name,
            title=body["title"],
            body=body["body"],
            texts=texts or None,
            updated_at=self._clock.now(),
            updated_by=actor.email,
        )
        self._directory.put_macro(macro)
        self._audit.record(actor, "macro.saved", name, {"title": body["title"]})
        return _macro(macro)

    def delete_macro(self, name: str, actor: Actor = SYSTEM) -> None:
        self._directory.delete_macro(name)
        self._audit.record(actor, "macro.deleted", name)


def display_name(directory: DirectoryStore, email: str) -> str:
    """How an agent signs: their roster name, else one made from their address."""
    agent = directory.agent(email)
    return agent_display_name(agent.display_name if agent else None, email)


def _agent(agent: Directory, open_tickets: int) -> dict[str, Any]:
    return {
        "email": agent.name,
        "name": agent.display_name,
        "available": bool(agent.available),
        "open_tickets": open_tickets,
    }


def _roster_entry(agent: Directory) -> dict[str, Any]:
    """What the audit trail keeps of a roster entry."""
    return {"name": agent.display_name, "available": bool(agent.available)}


def _macro(macro: Directory) -> dict[str, Any]:
    return {
        "name": macro.name,
        "title": macro.title,
        "body": macro.body,
        "texts": macro_texts(macro),
        "updated_at": iso(macro.updated_at) if macro.updated_at else None,
        "updated_by": macro.updated_by,
    }


def macro_texts(macro: Directory) -> dict[str, str]:
    """The macro's text per language code, beside its body (the shop's language)."""
    return dict(macro.texts or {})
