"""The effects document a change's entry stores ("fx") and the stream
consumer acts on: every effect a transition causes comes back as it was
written, and a document already in the stream (written by an earlier
version) still decodes to the same effects."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chalicelib.adapters.store.items import effects_document, effects_of
from chalicelib.domain import ticket as tickets
from chalicelib.domain.inquiry import Inquiry
from chalicelib.domain.ticket import Actor, Effects, Mail, Published, Schedule

OPERATOR = Actor("operator", "kim@shop.example")


def changes(settings, now):
    rules = settings.ticket_rules
    opened = tickets.open_ticket(
        ticket_id="01KB1X00000000000000000000",
        reference="CL-7Q2M-9XKD",
        now=now,
        rules=rules,
        priority="normal",
        inquiry=Inquiry(name="Ann Lee", email="ann@example.com", message="Where is my parcel?", channel="web"),
    )
    resolved = tickets.reply(
        opened.after, actor=OPERATOR, text="On its way.", now=now + timedelta(hours=1), rules=rules, resolve=True
    )
    erased = tickets.erase(
        resolved.after,
        actor=OPERATOR,
        alias="erased-1@erased.invalid",
        now=now + timedelta(hours=2),
        rules=rules,
        customer_entries=(),
    )
    return opened, resolved, erased


def test_every_effect_of_a_transition_comes_back_as_written(settings):
    now = datetime(2026, 11, 24, 9, 0, 0, 123456, tzinfo=UTC)  # a schedule keeps whole seconds, as Scheduler does
    for change in changes(settings, now):
        written = change.effects
        arm = written.arm and replace(written.arm, at=written.arm.at.replace(microsecond=0))
        expected = replace(written, arm=arm)
        assert effects_of(effects_document(written)) == expected
    opened, _, erased = (change.effects for change in changes(settings, now))
    assert opened.mail and opened.arm and opened.counters and opened.publish  # the cases are not empty
    assert opened.assign and opened.remember_customer and erased.purge_files


def test_a_document_already_in_the_stream_decodes_and_is_written_the_same_way():
    stored = {  # every key, as the store has written them since the stream consumer exists
        "mail": [["acknowledgement", "customer"], ["assigned", "kim@shop.example"]],
        "arm": {
            "name": "cl-01KB1X00000000000000000000-fr-w",
            "at": "2026-11-24T09:45:00Z",
            "payload": {"type": "sla", "ticket_id": "01KB1X00000000000000000000", "metric": "first_response"},
        },
        "disarm": "cl-01KB1X00000000000000000000-close",
        "counters": {"2026-11-24": {"volume:channel:web": 1, "time:first_response": 45}},
        "publish": [{"type": "ticket.created", "detail": {"id": "01KB1X00000000000000000000"}}],
        "assign": True,
        "customer": True,
        "purge_files": True,
    }
    effects = effects_of(stored)
    assert effects == Effects(
        mail=(Mail("acknowledgement", "customer"), Mail("assigned", "kim@shop.example")),
        arm=Schedule(
            "cl-01KB1X00000000000000000000-fr-w",
            datetime(2026, 11, 24, 9, 45, tzinfo=UTC),
            stored["arm"]["payload"],
        ),
        disarm="cl-01KB1X00000000000000000000-close",
        counters={"2026-11-24": {"volume:channel:web": 1, "time:first_response": 45}},
        publish=(Published("ticket.created", {"id": "01KB1X00000000000000000000"}),),
        assign=True,
        remember_customer=True,
        purge_files=True,
    )
    assert effects_document(effects) == stored


def test_an_entry_without_effects_has_none():
    assert effects_of(None) == effects_of({}) == Effects()
    assert effects_document(Effects()) == {}
