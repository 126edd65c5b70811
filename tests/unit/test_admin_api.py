"""What the operator page needs of the API beyond the contract's first version,
in the pure rules: the SLA-due order and the callback queue as listing
plans, events in words, metrics per day and per agent (and as CSV)."""

import csv
import io
from collections import Counter
from types import SimpleNamespace
from unittest.mock import patch

import pytest

from chalicelib.domain import listing, metrics
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.sketch import bucket
from chalicelib.views import story
from chalicelib.views.metrics import csv_text

# Listing plans


def test_sla_order_reads_the_due_shards_ascending_and_filters_narrow_it():
    chosen = listing.plan({}, (), "sla")
    streams = chosen.include[0].streams
    assert [s.key for s in streams] == [f"due#{n}" for n in range(listing.SHARDS)]
    assert {s.index for s in streams} == {"by_due"} and chosen.order == listing.SLA and chosen.own_index
    narrowed = listing.plan({"status": "open"}, (), "sla")
    assert narrowed.include[0] == chosen.include[0] and not narrowed.own_index
    with pytest.raises(InvalidInput):
        listing.plan({}, (), "oldest")


def test_callback_queue_is_the_sparse_index_oldest_first():
    chosen = listing.plan({"callback": "requested"})
    assert [(s.index, s.key) for s in chosen.include[0].streams] == [("by_callback", "callback")]
    assert chosen.order == listing.OLDEST


def test_ascending_merge_takes_the_earliest_of_the_shards():
    shards = {
        "due#0": ["2026-11-24T10:00:00Z#B", "2026-11-24T12:00:00Z#D"],
        "due#1": ["2026-11-24T09:00:00Z#A"],
        "due#2": ["2026-11-24T11:00:00Z#C"],
        "due#3": [],
    }
    found = {i: SimpleNamespace(id=i, status="open", is_open=True, tags=frozenset(), clocks={}) for i in "ABCD"}

    def wave(reads, fetch, terms):
        chunks = [
            listing.Chunk(tuple(v for v in shards[r.stream.key] if r.after is None or v > r.after)[: r.limit])
            for r in reads
        ]
        return listing.Answer(tuple(chunks), {i: found[i] for i in fetch})

    with patch.object(listing, "most_urgent", lambda ticket: ("first_response", None)):
        page = listing.page(listing.plan({}, (), "sla"), {}, None, 10, wave)
    assert [t.id for t in page.tickets] == ["A", "B", "C", "D"] and page.after is None


# Events in words


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


# Metrics per day and per agent


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
    text = csv_text(
        [{"email": "a@b.c", "name": "=HYPERLINK(1)", "handled": 2}], ("email", "name", "handled", "csat_score")
    )
    assert text == "email,name,handled,csat_score\r\na@b.c,'=HYPERLINK(1),2,\r\n"


@pytest.mark.parametrize(
    "name",
    [" =1+1", "\n=1+1", "\r\n@SUM(A1)", "\u3000-1", "＝HYPERLINK(1)", "＋1", "－1", "＠SUM(A1)", "\x00=1", "\t1"],
)
def test_a_formula_behind_spaces_line_breaks_or_in_full_width_is_defused(name):
    # Issue 24: a leading space, a newline or a full-width ＝ got past the guard.
    rows = list(csv.reader(io.StringIO(csv_text([{"name": name}], ("name",)))))
    assert rows == [["name"], ["'" + name]]


@pytest.mark.parametrize("name", ["Kim Meyer", "1-2-3", "a=b", "", "   "])
def test_ordinary_text_stays_as_it_is(name):
    assert list(csv.reader(io.StringIO(csv_text([{"name": name}], ("name",))))) == [["name"], [name]]
