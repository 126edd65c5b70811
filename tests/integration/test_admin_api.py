"""What the operator page needs of the API beyond the contract's first version,
over the API: the SLA-due order, the callback queue, reply previews, the
signed-in operator, the roster, events in words, metrics per day and per
agent (and as CSV), the served API description."""

from datetime import timedelta

from tests.calls import call


def test_sla_order_lists_open_tickets_most_overdue_first(client, operator, new_ticket, services, settle):
    normal = new_ticket(email="n@example.com")
    urgent = new_ticket(email="u@example.com", message="Charged twice", subject="Charged twice")
    low = new_ticket(email="l@example.com")
    waiting = new_ticket(email="w@example.com")
    agent = operator()
    call(client, "PATCH", f"/tickets/{low['id']}", agent, {"priority": "low"})
    call(client, "PATCH", f"/tickets/{urgent['id']}", agent, {"priority": "urgent"})
    call(client, "PATCH", f"/tickets/{waiting['id']}", agent, {"status": "pending"})  # its first response is still owed
    services.clock.advance(timedelta(hours=2))  # the urgent one's first response (1 h) is overdue now
    call(client, "PATCH", f"/tickets/{normal['id']}", agent, {"status": "resolved"})
    page = call(client, "GET", "/tickets?sort=sla", agent).json_body
    assert [t["id"] for t in page["items"]] == [urgent["id"], waiting["id"], low["id"]]
    assert [t["sla_badge"]["state"] for t in page["items"]] == ["breached", "ok", "ok"]
    dues = [t["sla_badge"]["due_at"] for t in page["items"]]
    assert dues == sorted(dues)
    # Filters narrow the SLA order; a status without running targets lists nothing.
    for query, expected in (
        ("status=new", [urgent["id"], low["id"]]),
        ("status=pending", [waiting["id"]]),
        ("priority=low", [low["id"]]),
        ("status=resolved", []),
    ):
        narrowed = call(client, "GET", f"/tickets?sort=sla&{query}", agent).json_body
        assert [t["id"] for t in narrowed["items"]] == expected, query
        assert narrowed["count"] == {"value": len(expected), "exact": True} and narrowed["next_cursor"] is None


def test_callback_queue_holds_open_requests_until_a_call_reaches_the_customer(client, operator, new_ticket):
    asked = new_ticket(phone="+49 30 1", callback={"phone": "+49 30 1", "window": "after 5pm"})
    new_ticket(email="plain@example.com")
    agent = operator()
    queue = call(client, "GET", "/tickets?callback=requested", agent).json_body["items"]
    assert [(t["id"], t["callback"]["window"]) for t in queue] == [(asked["id"], "after 5pm")]
    call(client, "POST", f"/tickets/{asked['id']}/calls", agent, {"outcome": "reached", "summary": "Sorted."})
    assert call(client, "GET", "/tickets?callback=requested", agent).json_body["items"] == []


def test_preview_fills_placeholders_and_shows_the_email_without_sending(client, operator, new_ticket, mailbox):
    admin = operator("admin", "lead@shop.example")
    call(
        client,
        "PUT",
        "/macros/on-its-way",
        admin,
        {"title": "On its way", "body": "Hi {{first_name}}, order {{order_id}} left today."},
    )
    ticket = new_ticket(order_id="A-1001")
    kim = operator(email="kim@shop.example")
    before = call(client, "GET", f"/tickets/{ticket['id']}", kim).json_body
    preview = call(
        client,
        "POST",
        f"/tickets/{ticket['id']}/preview",
        kim,
        {"macro": "on-its-way", "offer": {"type": "coupon", "description": "10% off", "code": "SORRY10"}},
    )
    assert preview.status_code == 200
    shown = preview.json_body
    assert shown["body"] == "Hi Ann, order A-1001 left today."
    assert shown["subject"] == f"Re: Parcel [{ticket['reference']}]"
    assert "Hi Ann, order A-1001 left today." in shown["text"] and "SORRY10" in shown["text"]
    assert "Kim" in shown["text"] and "{{" not in shown["text"]
    assert len(mailbox()) == 1  # the acknowledgement only: a preview sends nothing and writes nothing
    assert call(client, "GET", f"/tickets/{ticket['id']}", kim).json_body == before
    missing = call(
        client, "POST", f"/tickets/{new_ticket(email='x@example.com')['id']}/preview", kim, {"macro": "on-its-way"}
    )
    assert missing.status_code == 400 and "order_id" in missing.json_body["errors"][0]["message"]


def test_me_and_the_roster_an_admin_keeps(client, operator):
    kim = operator(email="kim@shop.example")
    assert call(client, "GET", "/me", kim).json_body == {
        "email": "kim@shop.example",
        "roles": ["agent"],
        "on_roster": False,
        "name": None,
        "display_name": "Kim",
        "available": False,
    }
    call(client, "PUT", "/agents/me", kim, {"available": True})
    admin = operator("admin", "lead@shop.example")
    call(client, "PUT", "/agents/kim@shop.example", admin, {"available": True, "name": "Kim Meyer"})
    assert call(client, "GET", "/me", kim).json_body["display_name"] == "Kim Meyer"
    assert call(client, "DELETE", "/agents/kim@shop.example", kim).status_code == 403
    assert call(client, "DELETE", "/agents/kim@shop.example", admin).status_code == 204
    assert call(client, "GET", "/agents", admin).json_body["items"] == []


def test_ticket_events_are_told_in_words_with_display_names(client, operator, new_ticket):
    admin = operator("admin", "lead@shop.example")
    call(client, "PUT", "/agents/kim@shop.example", admin, {"available": False, "name": "Kim Meyer"})
    ticket = new_ticket()
    view = call(
        client, "PATCH", f"/tickets/{ticket['id']}", operator(email="kim@shop.example"), {"priority": "high"}
    ).json_body
    assert [e["text"] for e in view["events"]] == [
        "The customer wrote in by the web form",
        "Kim Meyer changed priority from normal to high",
    ]


def test_metrics_by_day_by_agent_and_as_csv(client, operator, new_ticket, services, settle):
    admin = operator("admin", "lead@shop.example")
    call(client, "PUT", "/agents/kim@shop.example", admin, {"available": True, "name": "Kim Meyer"})
    ticket = new_ticket()
    services.clock.advance(timedelta(minutes=20))
    call(
        client,
        "POST",
        f"/tickets/{ticket['id']}/replies",
        operator(email="kim@shop.example"),
        {"body": "Done.", "resolve": True},
    )
    settle()
    report = call(client, "GET", "/metrics?since=2026-11-23&until=2026-11-24", admin).json_body
    assert [d["date"] for d in report["daily"]] == ["2026-11-23", "2026-11-24"]
    assert (report["daily"][1]["volume"], report["daily"][1]["first_response_median_minutes"]) == (1, 20.0)
    assert report["agents"] == [
        {
            "email": "kim@shop.example",
            "name": "Kim Meyer",
            "handled": 1,
            "first_responses": 1,
            "first_response_median_minutes": 20.0,
            "csat_responses": 0,
            "csat_score": None,
        }
    ]
    csv = call(client, "GET", "/metrics?since=2026-11-23&until=2026-11-24&format=csv", admin)
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert csv.headers["Content-Disposition"] == 'attachment; filename="careline-metrics-daily.csv"'
    lines = csv.body.decode().splitlines()
    assert lines[0].startswith("date,volume,first_responses") and lines[2].startswith("2026-11-24,1,1,20.0,1,")
    agents = call(client, "GET", "/metrics?format=csv&table=agents", admin).body.decode().splitlines()
    assert agents[1].startswith("kim@shop.example,Kim Meyer,1,1,20.0")
    assert call(client, "GET", "/metrics?format=xml", admin).status_code == 400


def test_the_running_stage_serves_its_api_description(client):
    response = client.http.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # it changes while one works on the API
    document = response.json_body
    assert document["openapi"] == "3.1.0" and "/tickets/{ticket_id}/preview" in document["paths"]
    assert "/_dev/clock" in document["paths"]  # the local stage's own document


def test_a_removed_agent_can_do_nothing_until_an_admin_adds_them_back(client, operator, new_ticket):
    # Issue 24: a removed agent's token still worked, and PUT /agents/me put them back.
    kim, admin = operator(email="kim@shop.example"), operator("admin", "lead@shop.example")
    ticket = new_ticket()
    assert call(client, "PUT", "/agents/me", kim, {"available": True}).status_code == 200
    assert call(client, "DELETE", "/agents/kim@shop.example", admin).status_code == 204
    for method, path, body in [
        ("PUT", "/agents/me", {"available": True}),
        ("GET", "/me", None),
        ("GET", "/tickets", None),
        ("POST", f"/tickets/{ticket['id']}/notes", {"body": "still here"}),
    ]:
        refused = call(client, method, path, kim, body)
        assert refused.status_code == 403, (method, path)
        assert "removed from the team" in refused.json_body["errors"][0]["message"]
    assert call(client, "GET", "/agents", admin).json_body["items"] == []
    assert call(client, "PUT", "/agents/kim@shop.example", admin, {"available": False}).status_code == 200
    assert call(client, "GET", "/tickets", kim).status_code == 200


def test_an_admin_taken_off_the_roster_is_still_an_admin(client, operator):
    lead = operator("admin", "lead@shop.example")
    call(client, "PUT", "/agents/me", lead, {"available": True})
    assert call(client, "DELETE", "/agents/lead@shop.example", lead).status_code == 204
    assert call(client, "GET", "/me", lead).json_body["on_roster"] is False
    assert call(client, "PUT", "/agents/me", lead, {"available": True}).status_code == 200
