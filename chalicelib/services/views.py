"""Saved views: named combinations of the inbox's filters, each operator's
own and the team's (kept by admins), listed in the page's navigation with
how many tickets each holds now. A view is only ever the listing's own
filters: it is checked by listing it, and counted the same way, so it can
never ask for what the inbox cannot show."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from ..adapters.store.directory import SHARED_VIEWS, DirectoryStore, own_views
from ..adapters.tables import Directory
from ..clock import Clock, iso
from ..domain.errors import CarelineError, FieldError, Forbidden, InvalidInput, NotFound
from ..domain.listing import FILTERS
from ..domain.ticket import Actor
from ..domain.validation import check
from .audit import AuditTrail

VIEW_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
SCOPES = ("mine", "shared")
COUNTED = 50  # a view's count reads at most one page this long: beyond it the navigation says "50+"

# The listing: GET /tickets's own function (filters, limit, cursor, q=, sort=) -> its page.
Listing = Callable[..., dict[str, Any]]


class SavedViews:
    def __init__(self, directory: DirectoryStore, listing: Listing, clock: Clock, audit: AuditTrail) -> None:
        self._directory = directory
        self._listing = listing
        self._clock = clock
        self._audit = audit

    def views(self, email: str) -> list[dict[str, Any]]:
        """The team's views and the operator's own, each with its count now."""
        return [_view(v) | {"count": self._count(v.filters or {}, email)} for v in self._directory.views(email)]

    def put(self, scope: str, name: str, body: object, actor: Actor, admin: bool) -> dict[str, Any]:
        kind = self._kind(scope, name, actor, admin)
        check("view", body)
        assert isinstance(body, dict)
        filters = {k: v.strip() for k, v in body["filters"].items() if v.strip()}
        try:  # the listing itself says whether it can show this combination
            self._list(filters, actor.email, 1)
        except InvalidInput as refused:
            raise InvalidInput([_within_filters(e) for e in refused.errors]) from None
        view = Directory(
            kind,
            name,
            title=body["title"].strip(),
            filters=filters,
            updated_at=self._clock.now(),
            updated_by=actor.email,
        )
        self._directory.put_view(view)
        self._audit.record(actor, "view.saved", f"{scope}/{name}", {"title": view.title, "filters": filters})
        return _view(view) | {"count": self._count(filters, actor.email)}

    def delete(self, scope: str, name: str, actor: Actor, admin: bool) -> None:
        if not self._directory.delete_view(self._kind(scope, name, actor, admin), name):
            raise NotFound(f"no view {scope}/{name}", field="name")
        self._audit.record(actor, "view.deleted", f"{scope}/{name}")

    def _kind(self, scope: str, name: str, actor: Actor, admin: bool) -> str:
        if scope not in SCOPES:
            raise NotFound(f"no views {scope!r}: mine or shared", field="scope")
        if not VIEW_NAME.match(name):
            raise InvalidInput([FieldError("name", "must be lower-case letters, digits and dashes")])
        if scope == "shared" and not admin:
            raise Forbidden("only admins keep the team's views")
        return SHARED_VIEWS if scope == "shared" else own_views(actor.email)

    def _list(self, filters: Mapping[str, str], email: str, limit: int) -> dict[str, Any]:
        given = {k: (email if k == "assignee" and v == "me" else v) for k, v in filters.items() if k in FILTERS}
        return self._listing(given, limit, None, q=filters.get("q"), sort=filters.get("sort") or "newest")

    def _count(self, filters: Mapping[str, str], email: str) -> dict[str, Any] | None:
        """How many tickets the view holds: the listing's own count when it
        knows one, else one page of COUNTED read (exact when it was the last)."""
        try:
            return count_of(self._list(filters, email, COUNTED))
        except CarelineError:  # a view the listing no longer takes shows no number, and says nothing false
            return None


def count_of(page: Mapping[str, Any]) -> dict[str, Any]:
    """A listing page's count: its own, where the listing reads one, else
    what the page holds (exact when no page follows; at least that otherwise)."""
    known = page.get("count")
    if isinstance(known, dict):
        return known
    return {"value": len(page["items"]), "exact": page.get("next_cursor") is None}


def _within_filters(error: FieldError) -> FieldError:
    """The listing's complaint, named as the view's field (`filters.status`)."""
    return error if error.field.startswith("filters") else FieldError(f"filters.{error.field}", error.message)


def _view(view: Directory) -> dict[str, Any]:
    shared = view.kind == SHARED_VIEWS
    return {
        "scope": "shared" if shared else "mine",
        "name": view.name,
        "title": view.title,
        "filters": dict(view.filters or {}),
        "updated_at": iso(view.updated_at) if view.updated_at else None,
        "updated_by": view.updated_by,
    }
