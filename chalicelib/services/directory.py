"""Agents (availability for automatic assignment) and macros (shared answers)."""
from __future__ import annotations

import re

from ..adapters.store import TicketStore
from ..adapters.tables import Directory
from ..auth import Principal
from ..clock import Clock, iso
from ..domain.errors import FieldError, InvalidInput
from ..domain.formats import is_email
from ..domain.macros import check_placeholders
from ..domain.validation import check
from .assignment import Assignment

MACRO_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class DirectoryService:
    def __init__(self, store: TicketStore, clock: Clock, assignment: Assignment) -> None:
        self._store = store
        self._clock = clock
        self._assignment = assignment

    def agents(self) -> list[dict]:
        return [{"email": a.name, "name": a.display_name, "available": bool(a.available),
                 "open_tickets": int(a.open_tickets or 0),
                 "last_assigned_at": iso(a.last_assigned_at) if a.last_assigned_at else None}
                for a in self._store.roster()]

    def set_agent(self, email: str, body: object) -> dict:
        if not is_email(email):
            raise InvalidInput([FieldError("email", "must be a valid email address")])
        check("agent", body)
        self._store.put_agent(email.lower(), body["available"], body.get("name"), self._clock.now())
        self._assignment.forget()
        return next(a for a in self.agents() if a["email"] == email.lower())

    def macros(self) -> list[dict]:
        return [_macro(m) for m in self._store.macros()]

    def put_macro(self, name: str, body: object, actor: Principal) -> dict:
        if not MACRO_NAME.match(name):
            raise InvalidInput([FieldError("name", "must be lower-case letters, digits and dashes")])
        check("macro", body)
        check_placeholders(body["body"], "body")
        macro = Directory("macro", name, title=body["title"], body=body["body"], updated_at=self._clock.now(),
                          updated_by=actor.email)
        self._store.put_macro(macro)
        return _macro(macro)

    def delete_macro(self, name: str) -> None:
        self._store.delete_macro(name)


def _macro(macro: Directory) -> dict:
    return {"name": macro.name, "title": macro.title, "body": macro.body,
            "updated_at": iso(macro.updated_at) if macro.updated_at else None, "updated_by": macro.updated_by}
