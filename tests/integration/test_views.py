"""Saved views: each operator's own and the team's (admins keep those),
named combinations of the inbox's filters, listed with their counts."""

import pytest

from tests.calls import call


@pytest.fixture
def kim(operator):
    return operator("agent", "kim@shop.example")


@pytest.fixture
def lou(operator):
    return operator("agent", "lou@shop.example")


def views_of(client, headers):
    response = call(client, "GET", "/views", headers)
    assert response.status_code == 200
    return {(v["scope"], v["name"]): v for v in response.json_body["items"]}


def assign(client, headers, ticket, who):
    assert call(client, "PATCH", f"/tickets/{ticket['id']}", headers, {"assignee": who}).status_code == 200


def test_an_operators_own_view_counts_their_tickets_and_only_they_see_it(client, new_ticket, kim, lou, settle):
    for n in range(3):
        assign(client, kim, new_ticket(email=f"c{n}@example.com"), "kim@shop.example" if n else "lou@shop.example")
    settle()
    saved = call(client, "PUT", "/views/mine/my-open", kim, {"title": "My open", "filters": {"assignee": "me"}})
    assert saved.status_code == 200, saved.body
    assert saved.json_body["count"] == {"value": 2, "exact": True}
    mine = views_of(client, kim)[("mine", "my-open")]
    assert (mine["title"], mine["filters"], mine["count"]["value"]) == ("My open", {"assignee": "me"}, 2)
    assert views_of(client, lou) == {}


def test_the_teams_views_are_kept_by_admins_and_counted_for_whoever_opens_them(
    client, new_ticket, operator, kim, lou, settle
):
    assign(client, kim, new_ticket(), "lou@shop.example")
    settle()
    view = {"title": "Mine to do", "filters": {"assignee": "me", "status": "new"}}
    refused = call(client, "PUT", "/views/shared/mine-to-do", kim, view)
    assert (refused.status_code, refused.json_body["errors"][0]["field"]) == (403, "Authorization")
    admin = operator("admin", "lead@shop.example")
    assert call(client, "PUT", "/views/shared/mine-to-do", admin, view).status_code == 200
    # "me" is whoever opens it: Lou has the ticket, Kim has none.
    assert views_of(client, lou)[("shared", "mine-to-do")]["count"] == {"value": 1, "exact": True}
    assert views_of(client, kim)[("shared", "mine-to-do")]["count"] == {"value": 0, "exact": True}
    assert call(client, "DELETE", "/views/shared/mine-to-do", kim).status_code == 403
    assert call(client, "DELETE", "/views/shared/mine-to-do", admin).status_code == 204
    assert call(client, "DELETE", "/views/shared/mine-to-do", admin).status_code == 404
    assert views_of(client, lou) == {}


def test_a_view_takes_only_what_the_inbox_can_list(client, kim):
    bad = call(client, "PUT", "/views/mine/odd", kim, {"title": "Odd", "filters": {"status": "maybe"}})
    assert bad.status_code == 400 and bad.json_body["errors"][0]["field"] == "filters.status"
    unknown = call(client, "PUT", "/views/mine/odd", kim, {"title": "Odd", "filters": {"colour": "red"}})
    assert unknown.status_code == 400 and unknown.json_body["errors"][0]["field"].startswith("filters")
    assert call(client, "PUT", "/views/mine/Odd Name", kim, {"title": "Odd", "filters": {}}).status_code == 400
    assert call(client, "PUT", "/views/theirs/odd", kim, {"title": "Odd", "filters": {}}).status_code == 404
    assert call(client, "PUT", "/views/mine/odd", kim, {"filters": {}}).status_code == 400
    assert call(client, "DELETE", "/views/mine/odd", kim).status_code == 404


def test_saving_a_view_again_replaces_it(client, kim):
    first = {"title": "Urgent", "filters": {"priority": "urgent"}}
    assert call(client, "PUT", "/views/mine/urgent", kim, first).status_code == 200
    again = {"title": "Urgent and high", "filters": {"priority": "high"}}
    assert call(client, "PUT", "/views/mine/urgent", kim, again).status_code == 200
    listed = views_of(client, kim)
    assert list(listed) == [("mine", "urgent")] and listed[("mine", "urgent")]["filters"] == {"priority": "high"}
