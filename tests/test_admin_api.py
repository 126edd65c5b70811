"""What the operator page needs of the API beyond the contract's first
version: the SLA-due order, the callback queue, reply previews, the signed-in
operator, the roster, events in words, metrics per day and per agent (and
as CSV), the served API description."""

import json
from collections import Counter
from datetime import timedelta

import pytest

from chalicelib.domain import listing, metrics, story
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.sketch import bucket


def call(client, method, path, headers, body=None):
    return client.http.request(method, path, headers=headers, body=json.dumps(body) if body is not None else b"")


# Listing plans (pure)


def test_sla_order_reads_the_due_shards_ascending_and_takes_no_filters():
    chosen = listing.plan({}, "sla")
    assert [s.key for s in chosen.streams] == [f"due#{n}" for n in range(listing.SHARDS)]
    assert {s.index for s in chosen.streams} == {"by_due"} and not chosen.newest_first
    with pytest.raises(InvalidInput) as refused:
        listing.plan({"status": "open"}, "sla")
    assert refused.value.errors[0].field == "sort" and "status+priority" in refused.value.errors[0].message
    with pytest.raises(InvalidInput):
        listing.plan({}, "oldest")


def test_callback_queue_is_the_sparse_index_oldest_first():
    chosen = listing.plan({"callback": "requested"})
    assert [(s.index, s.key) for s in chosen.streams] == [("by_callback", "callback")] and not chosen.newest_first


def test_ascending_merge_takes_the_earliest_of_the_shards():
    shards = [
        ["2026-11-24T10:00:00Z#B", "2026-11-24T12:00:00Z#D"],
        ["2026-11-24T09:00:00Z#A"],
        ["2026-11-24T11:00:00Z#C"],
        [],
    ]

    def fetch(i, after, limit):
        return ([v for v in shards[i] if after is None or v > after][:limit], True)

    values, state, _ = listing.page(listing.plan({}, "sla"), listing.State.start(4), 10, fetch)
    assert [listing.ticket_id(v) for v in values] == ["A", "B", "C", "D"] and state.finished


# Events in words (pure)


@pytest.mark.parametrize(
    "event,author,data,text",
    [
        (
            "updated",
            "kim@shop.example",
            {"changes": {"priority": ["normal", "high"]}},
            "Kim Meyer changed priority from normal to high",
        ),
        (
            "updated",
            "lou@shop.example",
            {"changes": {"assignee": ["kim@shop.example", "lou@shop.example"], "tags": [["a"], ["b", "c"]]}},
            "Lou reassigned it from Kim Meyer to Lou, added the tags b and c and removed the tag a",
        ),
        (
            "assigned",
            "system",
            {"changes": {"assignee": [None, "kim@shop.example"]}},
            "Careline assigned it to Kim Meyer",
        ),
        (
            "sla_warning",
            "system",
            {"metric": "first_response", "notified": "kim@shop.example"},
            "The first response is nearly due: Careline warned Kim Meyer",
        ),
        (
            "sla_breach",
            "system",
            {"metric": "resolution", "notified": "lead@shop.example", "changes": {"priority": ["normal", "high"]}},
            "The resolution target was missed: Careline told Lead and changed priority from normal to high",
        ),
        (
            "replied",
            "kim@shop.example",
            {"changes": {"status": ["new", "open"]}},
            "Kim Meyer replied to the customer and changed status from new to open",
        ),
        (
            "customer_wrote",
            "customer",
            {"changes": {"status": ["resolved", "open"]}},
            "The customer wrote again, which changed status from resolved to open",
        ),
        (
            "feedback",
            "customer",
            {"csat": 4, "nps": 9, "comment": True},
            "The customer rated the support 4 of 5, NPS 9 with a comment",
        ),
        ("created", "customer", {"channel": "email"}, "The customer wrote in by email"),
        (
            "erased",
            "lead@shop.example",
            {"reason": "customer's request"},
            "Lead erased the customer's personal data (customer's request)",
        ),
        ("updated", "system", {"changes": {"category": [None, "returns"]}}, "Careline set category to returns"),
    ],
)
def test_events_read_as_sentences(event, author, data, text):
    assert story.describe(event, author, data, {"kim@shop.example": "Kim Meyer"}) == text


# Metrics per day and per agent (pure)


def test_daily_rows_carry_volume_medians_csat_and_attainment_and_none_for_empty_days():
    days = {
        "2026-11-02": Counter(
            {
                "volume:channel:web": 3,
                f"time:first_response:{bucket(30)}": 2,
                f"time:first_response:{bucket(120)}": 1,
                "csat:5": 1,
                "csat:2": 1,
                "sla:first_response:achieved": 3,
                "sla:resolution:breached": 1,
            }
        ),
        "2026-11-01": Counter(),
    }
    first, second = metrics.daily(days)
    assert first == {
        "date": "2026-11-01",
        "volume": 0,
        "first_responses": 0,
        "first_response_median_minutes": None,
        "resolved": 0,
        "csat_responses": 0,
        "csat_score": None,
        "sla_achieved": 0,
        "sla_breached": 0,
        "sla_attainment_rate": None,
    }
    assert (second["volume"], second["csat_score"], second["sla_attainment_rate"]) == (3, 50.0, 75.0)
    assert second["first_response_median_minutes"] == pytest.approx(30, rel=0.01)  # the sketch's accuracy


def test_agent_rows_from_their_own_counters():
    [kim] = metrics.agents(
        {
            "kim@shop.example": Counter(
                {
                    "agent:kim@shop.example:resolved": 4,
                    f"agent:kim@shop.example:time:first_response:{bucket(15)}": 3,
                    "agent:kim@shop.example:csat:5": 2,
                    "agent:kim@shop.example:csat:3": 1,
                }
            )
        }
    )
    assert kim == {
        "email": "kim@shop.example",
        "handled": 4,
        "first_responses": 3,
        "first_response_median_minutes": pytest.approx(15, rel=0.01),
        "csat_responses": 3,
        "csat_score": 66.7,
    }


def test_csv_has_a_header_empty_cells_for_none_and_defuses_formulas():
    text = metrics.csv_text(
        [{"email": "a@b.c", "name": "=HYPERLINK(1)", "handled": 2}], ("email", "name", "handled", "csat_score")
    )
    assert text == "email,name,handled,csat_score\r\na@b.c,'=HYPERLINK(1),2,\r\n"


# Over the API


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
    assert call(client, "GET", "/tickets?sort=sla&status=open", agent).status_code == 400


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
