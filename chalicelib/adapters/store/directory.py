"""The directory: the agent roster, the agents removed from it, the macros
and the saved views, in the `directory` table."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DeleteError, DoesNotExist
from pynamodb.expressions.update import Action

from ..tables import Directory


class DirectoryStore:
    def roster(self) -> list[Directory]:
        return list(Directory.query("agent"))

    def put_agent(self, email: str, available: bool, display_name: str | None, now: datetime) -> Directory:
        agent = Directory("agent", email)
        actions: list[Action] = [Directory.available.set(available), Directory.updated_at.set(now)]
        if display_name:
            actions.append(Directory.display_name.set(display_name))
        agent.update(actions=actions)
        return agent

    def delete_agent(self, email: str, now: datetime, by: str) -> None:
        """Off the roster, and remembered as removed (by whom, when) first:
        a removal that stops half-way leaves the agent shut out, not back in."""
        Directory("removed", email, updated_at=now, updated_by=by).save()
        Directory("agent", email).delete()

    def removed(self, email: str) -> bool:
        try:
            Directory.get("removed", email, consistent_read=True, attributes_to_get=["name"])
        except DoesNotExist:
            return False
        return True

    def readmit(self, email: str) -> None:
        Directory("removed", email).delete()

    def agent(self, email: str) -> Directory | None:
        try:
            return Directory.get("agent", email, consistent_read=True)
        except DoesNotExist:
            return None

    def macros(self) -> list[Directory]:
        return list(Directory.query("macro"))

    def get_macro(self, name: str) -> Directory | None:
        try:
            return Directory.get("macro", name)
        except DoesNotExist:
            return None

    def put_macro(self, macro: Directory) -> None:
        macro.save()

    def delete_macro(self, name: str) -> None:
        Directory("macro", name).delete()

    def roles_seen(self, email: str) -> frozenset[str] | None:
        """An operator's roles as last seen at sign-in; None before their first."""
        try:
            return frozenset(Directory.get("operator", email).roles or ())
        except DoesNotExist:
            return None

    def remember_roles(self, email: str, roles: frozenset[str], now: datetime) -> None:
        Directory("operator", email, roles=set(roles), updated_at=now).save()

    def views(self, email: str) -> list[Directory]:
        """The team's views, then the operator's own: two Queries."""
        return list(Directory.query(SHARED_VIEWS)) + list(Directory.query(own_views(email)))

    def put_view(self, view: Directory) -> None:
        view.save()

    def delete_view(self, kind: str, name: str) -> bool:
        """Whether there was such a view."""
        try:
            Directory(kind, name).delete(condition=Directory.kind.exists())
        except DeleteError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True


SHARED_VIEWS = "view"


def own_views(email: str) -> str:
    return f"view#{email.lower()}"
