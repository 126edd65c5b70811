"""The inquiry's fields are declared once (chalicelib/domain/inquiry.py
FIELDS): the request schema file is generated from the declaration, every
label it names exists in every language, and a ticket stored before its
details became one map still reads back whole."""

import json
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.store.items import to_item, to_ticket
from chalicelib.adapters.tables import TicketTable
from chalicelib.domain import ticket as tickets
from chalicelib.domain.inquiry import DETAILS, FIELDS, Details, Field, Inquiry, validate_inquiry
from chalicelib.domain.ticket import Actor
from chalicelib.views.i18n import catalogue, languages
from infra import openapi
from tests.conftest import ROOT


def test_the_schema_file_is_the_one_the_field_definition_generates():
    committed = (ROOT / "chalicelib" / "schemas" / "inquiry.schema.json").read_text()
    assert committed == openapi.inquiry_schema(), "stale: run `.venv/bin/python -m infra.openapi`"
    assert list(json.loads(committed)["properties"]) == [f.name for f in FIELDS]


@pytest.mark.parametrize("language", sorted(languages()))
def test_every_label_the_fields_name_is_in_every_catalogue(language):
    assert {f.label for f in FIELDS if f.label} <= set(catalogue(language))


def test_every_detail_has_an_example_the_schema_takes():
    # The OpenAPI document shows it; the integration tests post it.
    for f in DETAILS:
        assert f.example, f.name
        inquiry = validate_inquiry({"name": "Ann", "email": "ann@example.com", "message": "Hi", f.name: f.example}, ())
        assert inquiry.details[f.name] == f.example


def test_a_field_people_are_shown_cannot_go_without_a_label():
    with pytest.raises(ValueError, match="needs a label"):
        Field("contact_time", {"type": "string"}, operators=True)


def test_a_detail_the_definition_does_not_declare_is_a_mistake_not_a_silent_none():
    with pytest.raises(KeyError, match="no detail"):
        Details({"order_id": "A-1"})["order"]


def test_the_canonical_request_keeps_its_flat_shape_so_idempotency_keys_survive_a_deploy():
    # A key taken before this version hashed the request by these names.
    inquiry = validate_inquiry(
        {
            "name": "Ann Lee",
            "email": "ann@example.com",
            "message": "Where is my parcel?",
            "order_id": "A-1",
            "phone": "+49 30 1",
            "locale": "de",
            "callback": {"window": "mornings"},
        },
        (),
    )
    assert inquiry.canonical() == {
        "name": "Ann Lee",
        "email": "ann@example.com",
        "message": "Where is my parcel?",
        "channel": "web",
        "order_id": "A-1",
        "phone": "+49 30 1",
        "locale": "de",
        "callback": {"phone": "+49 30 1", "window": "mornings"},
    }


def _opened(settings, **details):
    return tickets.open_ticket(
        ticket_id="01KB1X00000000000000000000",
        reference="CL-7Q2M9XKD",
        now=datetime(2026, 11, 24, 9, tzinfo=UTC),
        rules=settings.ticket_rules,
        priority="normal",
        inquiry=Inquiry(name="Ann Lee", email="ann@example.com", message="Hello", details=Details(details)),
    ).after


def test_a_ticket_stored_before_details_were_one_map_reads_them_and_is_written_back_with_the_map(settings):
    ticket = _opened(settings)
    stored = to_item(ticket, settings.ticket_rules).serialize()
    stored |= {"ph": {"S": "+49 30 1"}, "oid": {"S": "A-1"}, "loc": {"S": "de-DE"}, "tz": {"S": "Europe/Berlin"}}
    read = to_ticket(TicketTable.from_raw_data(stored))
    assert dict(read.details.values) == {
        "phone": "+49 30 1",
        "order_id": "A-1",
        "locale": "de-DE",
        "timezone": "Europe/Berlin",
    }
    rewritten = to_item(read, settings.ticket_rules).serialize()
    assert not {"ph", "oid", "loc", "tz"} & set(rewritten)
    assert to_ticket(TicketTable.from_raw_data(rewritten)).details == read.details


def test_erasure_removes_every_personal_detail(settings):
    ticket = _opened(settings, **{f.name: f.example for f in DETAILS})
    erased = tickets.erase(
        ticket,
        actor=Actor("operator", "lead@shop.example"),
        alias="erased-1@erased.invalid",
        now=ticket.created_at,
        rules=settings.ticket_rules,
        customer_entries=(),
    ).after
    personal = {f.name for f in DETAILS if f.personal}
    assert personal <= set(ticket.details.values) and not personal & set(erased.details.values)
    assert set(erased.details.values) == {f.name for f in DETAILS if not f.personal}
