"""The rules of a team's work on one customer (issue 22), pure: followers,
merge and split transitions, tickets operators open, the Cc header."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default

import pytest

from chalicelib.adapters.mailer import to_mime
from chalicelib.adapters.store.items import effects_document, effects_of
from chalicelib.domain import ticket as tickets
from chalicelib.domain.errors import Conflict
from chalicelib.domain.inbound import parse
from chalicelib.domain.inquiry import Details, Inquiry
from chalicelib.domain.ticket import MAX_FOLLOWERS, Actor, Entry
from chalicelib.views import emails, story
from tests.mails import raw

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
KIM = Actor("operator", "kim@shop.example")
OWN = ("support@careline.example", "Careline <noreply@careline.example>")


def opened(settings, ticket_id="01KB1X00000000000000000001", email="ann@example.com", at=NOW, cc=(), **details):
    return tickets.open_ticket(
        ticket_id=ticket_id,
        reference="CL-" + ticket_id[-8:],
        now=at,
        rules=settings.ticket_rules,
        priority="normal",
        inquiry=Inquiry(name="Ann Lee", email=email, message="Where is my parcel?", details=Details(details)),
        cc=cc,
    ).after


# Followers


def test_followers_are_lower_case_once_each_never_the_customer_and_at_most_ten():
    added = ["Tom@Example.com", "tom@example.com", "ANN@example.com", *(f"f{n}@example.com" for n in range(20))]
    kept = tickets.followers(("eve@example.com",), added, "ann@example.com")
    assert kept[:2] == ("eve@example.com", "tom@example.com")
    assert "ann@example.com" not in kept and len(kept) == MAX_FOLLOWERS


def test_an_operator_cannot_make_the_customer_or_our_own_addresses_followers():
    problems = tickets.follower_problems(
        ["ann@example.com", "Support+x@Careline.example", "tom@example.com"], customer="ann@example.com", own=OWN
    )
    assert [(p.field, "customer" in p.message) for p in problems] == [("cc.0", True), ("cc.1", False)]


def test_inbound_cc_keeps_the_copied_people_only():
    mail = parse(
        raw(
            sender="Ann Lee <ann@example.com>",
            Cc="Support <support+help@careline.example>, ann@EXAMPLE.com, Tom <Tom@Example.com>, tom@example.com, bad@",
        ),
        own_addresses=OWN,
    )
    assert mail.cc == ("tom@example.com",)


def test_an_operator_sets_and_clears_followers_in_one_change(settings):
    ticket = opened(settings)
    change = tickets.update(
        ticket, actor=KIM, fields={"cc": ["tom@example.com", "eve@example.com"]}, now=NOW, rules=settings.ticket_rules
    )
    assert change.after.cc == ("tom@example.com", "eve@example.com")
    assert story.describe("updated", KIM.label, change.entry.data, {}) == (
        "Kim added tom@example.com and eve@example.com as followers"
    )
    cleared = tickets.update(change.after, actor=KIM, fields={"cc": []}, now=NOW, rules=settings.ticket_rules)
    assert cleared.after.cc == () and "removed the followers" in story.describe(
        "updated", KIM.label, cleared.entry.data, {}
    )


def test_a_customer_mail_that_copies_someone_adds_a_follower(settings):
    ticket = opened(settings, cc=("tom@example.com",))
    change = tickets.customer_wrote(
        ticket, text="Also my sister", now=NOW, rules=settings.ticket_rules, cc=("sue@example.com", "tom@example.com")
    )
    assert change.after.cc == ("tom@example.com", "sue@example.com")


# The Cc header


def test_operator_replies_carry_the_followers_in_cc_and_other_emails_do_not():
    facts = emails.ReplyFacts(
        brand="Shop",
        reference="CL-K32SR5DY",
        name="Ann Lee",
        email="ann@example.com",
        subject="Parcel",
        body="It is on its way.",
        operator="kim@shop.example",
        resolved=False,
        thread_ids=(),
        cc=("tom@example.com", "sue@example.com"),
    )
    reply = emails.operator_reply(facts)
    assert list(reply.cc) == ["tom@example.com", "sue@example.com"]
    assert emails.resolution_notice(facts).cc == ()
    message = message_from_bytes(
        to_mime(
            reply,
            sender="s@careline.example",
            sender_name="Shop",
            reply_to="r@careline.example",
            message_id="<1@careline.example>",
            date=NOW,
        ),
        policy=default,
    )
    assert [a.addr_spec for a in message["Cc"].addresses] == ["tom@example.com", "sue@example.com"]
    assert str(message["To"]) == "Ann Lee <ann@example.com>"


# Merge


def test_merge_refusals(settings):
    target, source = opened(settings, "01KB1X00000000000000000001"), opened(settings, "01KB1X00000000000000000002")
    assert tickets.merge_refusal(source, target) is None
    assert "itself" in tickets.merge_refusal(source, source)
    assert "merged into another" in tickets.merge_refusal(source, replace(target, merged_into="X"))
    assert "already" in tickets.merge_refusal(replace(source, merged_into="Y"), target)
    assert tickets.merge_refusal(replace(source, merged_into=target.id), target) is None  # the same merge again
    assert "customer" in tickets.merge_refusal(opened(settings, "01KB1X00000000000000000003", email="bo@x.org"), target)
    assert tickets.merge_refusal(source, replace(target, merged_from=(source.id,))) is None  # half-way: go on
    assert "cannot take it in" in tickets.merge_refusal(replace(source, merged_from=(target.id,)), target)  # no cycle


def test_the_target_takes_in_the_source_and_owes_its_customer_an_answer(settings):
    rules = settings.ticket_rules
    target = opened(settings)
    answered = tickets.reply(target, actor=KIM, text="Asked the courier.", now=NOW, rules=rules).after
    pending = tickets.update(answered, actor=KIM, fields={"status": "pending"}, now=NOW, rules=rules).after
    source = replace(opened(settings, "01KB1X00000000000000000002", cc=("tom@example.com",)), tags=frozenset({"vip"}))
    change = tickets.absorb(pending, source, actor=KIM, now=NOW + timedelta(minutes=5), rules=rules)
    after = change.after
    assert after.merged_from == (source.id,) and after.tags == {"vip"} and after.cc == ("tom@example.com",)
    assert after.status == "open" and after.clocks["next_response"].state == "running"  # the source's customer waits
    assert after.customer_messages == 2 and after.operator_replies == 1
    assert change.claims == (f"merge#{source.id}",)
    assert change.effects.counterpart == {"kind": "merge", "source": source.id, "target": pending.id}
    assert change.effects.mail == ()  # nothing to the customer
    assert tickets.absorb(after, source, actor=KIM, now=NOW, rules=rules) is None  # taken in already


def test_the_source_closes_owing_nothing_with_no_follow_up_ever(settings):
    rules = settings.ticket_rules
    target, source = opened(settings), opened(settings, "01KB1X00000000000000000002")
    change = tickets.merge_away(source, target, actor=KIM, now=NOW + timedelta(minutes=5), rules=rules)
    after = change.after
    assert (after.status, after.merged_into) == ("closed", target.id)
    assert {c.state for c in after.clocks.values()} == {"cancelled"}
    assert tickets.wake_of(after, rules) is None and change.effects.disarm and change.effects.arm is None
    assert change.effects.mail == ()
    assert [p.type for p in change.effects.publish] == ["ticket.merged", "ticket.status_changed"]
    assert change.effects.publish[0].detail["merged_into"] == target.id
    assert not change.effects.counters.get("2026-11-24", {}).get("fcr:no")  # not counted as resolved
    assert tickets.merge_away(after, target, actor=KIM, now=NOW, rules=rules) is None
    resolved = tickets.update(source, actor=KIM, fields={"status": "resolved"}, now=NOW, rules=rules).after
    assert tickets.wake_of(tickets.merge_away(resolved, target, actor=KIM, now=NOW, rules=rules).after, rules) is None
    with pytest.raises(Conflict):
        tickets.reply(after, actor=KIM, text="Hi", now=NOW, rules=rules)
    with pytest.raises(Conflict):
        tickets.update(after, actor=KIM, fields={"status": "open"}, now=NOW, rules=rules)


def test_a_merge_change_s_counterpart_survives_the_stream_and_older_documents_have_none(settings):
    target, source = opened(settings), opened(settings, "01KB1X00000000000000000002")
    change = tickets.absorb(target, source, actor=KIM, now=NOW, rules=settings.ticket_rules)
    assert effects_of(effects_document(change.effects)).counterpart == change.effects.counterpart
    assert effects_of({"mail": [["reply", "customer"]]}).counterpart is None


# Split


def test_a_split_message_opens_the_same_customer_s_new_ticket(settings):
    rules = settings.ticket_rules
    ticket = replace(
        opened(settings, phone="+49 30 1", order_id="A-1", locale="de"),
        tags=frozenset({"vip"}),
        assignee="lou@shop.example",
        operator_replies=2,
    )
    message = Entry(
        "message",
        "customer_wrote",
        "customer",
        body="Can I return the mug?",
        direction="in",
        data={"attachments": [{"name": "mug.jpg", "sha256": "ab" * 32, "type": "image/jpeg", "size": 3}]},
    )
    change = tickets.split_off(
        ticket,
        message,
        home="01KB1X0000000000000000000M",
        sk="2026-11-24T09:05:00.000000Z#000003",
        ticket_id="01KB1X00000000000000000009",
        reference="CL-NEW00001",
        actor=KIM,
        now=NOW,
        rules=rules,
        subject="Return",
    )
    new = change.after
    assert (new.customer_email, new.details) == ("ann@example.com", ticket.details)
    assert new.details["order_id"] == "A-1"
    assert (new.status, new.subject, new.assignee, new.tags, new.operator_replies) == (
        "open",
        "Return",
        KIM.email,
        frozenset(),
        0,
    )
    assert change.effects.mail == () and not change.effects.assign  # no acknowledgement; the operator owns it
    assert change.claims == ("split#01KB1X0000000000000000000M#2026-11-24T09:05:00.000000Z#000003",)
    file = change.entry.data["attachments"][0]
    assert file["key"] == f"01KB1X0000000000000000000M/{'ab' * 32}/mug.jpg"  # where the mail put it
    assert change.effects.publish[0].detail["split_from"] == ticket.id
    out = tickets.split_out(ticket, message, home=ticket.id, sk="s", to=new, actor=KIM, now=NOW, rules=rules)
    assert out.moves == (tickets.Moved(ticket.id, "s", new.id),)
    assert out.after.customer_messages == ticket.customer_messages - 1
    assert out.effects.publish[0].detail["split_to"] == new.id


# Outbound


def test_an_operator_s_first_message_is_emailed_without_acknowledgement_and_waits_on_the_customer(settings):
    rules = settings.ticket_rules
    change = tickets.open_outbound(
        ticket_id="01KB1X00000000000000000001",
        reference="CL-OUT00001",
        now=NOW,
        rules=rules,
        actor=KIM,
        email="Bob@Example.com",
        name="Bob",
        subject="Your order is late",
        text="Sorry, the courier is late.",
    )
    ticket = change.after
    assert [m.kind for m in change.effects.mail] == ["reply"]
    assert (ticket.status, ticket.customer_email, ticket.assignee, ticket.first_responder) == (
        "pending",
        "bob@example.com",
        KIM.email,
        KIM.email,
    )
    assert "first_response" not in ticket.clocks and ticket.clocks["resolution"].state == "paused"
    answered = tickets.customer_wrote(ticket, text="Fine", now=NOW + timedelta(hours=1), rules=rules).after
    assert answered.status == "open" and answered.clocks["next_response"].state == "running"
    assert story.describe("created", KIM.label, change.entry.data, {}) == "Kim wrote to the customer first"
    first = emails.operator_reply(
        emails.ReplyFacts(
            brand="Shop",
            reference="CL-OUT00001",
            name="Bob",
            email="bob@example.com",
            subject="Your order is late",
            body="Sorry.",
            operator=KIM.email,
            resolved=False,
            thread_ids=(),
            first=True,
        )
    )
    assert first.subject == "Your order is late [CL-OUT00001]"
