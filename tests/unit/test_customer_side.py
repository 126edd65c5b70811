"""The customer's side, as pure rules: a pending ticket's reminder and
automatic resolution, spam quarantined and released, the operator's reply
to a closed ticket, SES's verdicts, the status page's posts and its link,
and the status link at the foot of every customer email."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.config import ConfigError, load_stage_document, settings_from
from chalicelib.domain import ticket as tickets
from chalicelib.domain.errors import Conflict, InvalidInput, PayloadTooLarge
from chalicelib.domain.feedback import STATUS, ExpiredToken, UnknownToken, make_token, read_token, status_token
from chalicelib.domain.inbound import parse
from chalicelib.domain.inquiry import Details, Inquiry
from chalicelib.domain.status import MAX_UPLOAD_BYTES, check, read_post
from chalicelib.views import emails
from tests.mails import mail, raw

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)
KEY = b"k" * 32


@pytest.fixture
def rules(settings):
    return settings.ticket_rules


def opened(rules):
    return tickets.open_ticket(
        ticket_id="01KB1X00000000000000000000",
        reference="CL-7K3M9QX2",
        now=T0,
        rules=rules,
        priority="normal",
        inquiry=Inquiry(name="Ann Lee", email="ann@example.com", message="Where is my parcel?", channel="web"),
    )


def pending(rules, at=T0 + H):
    ticket = tickets.reply(opened(rules).after, actor=tickets.SYSTEM, text="Which size?", now=T0, rules=rules).after
    return tickets.update(ticket, actor=tickets.SYSTEM, fields={"status": "pending"}, now=at, rules=rules).after


# Pending: remind once, then resolve, counted from the moment it became pending.


def test_a_pending_ticket_wakes_to_remind_after_72_hours_then_to_resolve_after_168(rules):
    ticket = pending(rules)
    assert tickets.wake_of(ticket, rules) == tickets.Wake("remind", T0 + 73 * H)
    assert tickets.remind(ticket, now=T0 + 72 * H, rules=rules) is None  # not yet
    reminded = tickets.remind(ticket, now=T0 + 73 * H, rules=rules)
    assert reminded.effects.mail == (tickets.Mail("pending_reminder", "customer"),)
    assert reminded.entry.data == {"resolves_at": (T0 + 169 * H).isoformat()}
    assert tickets.wake_of(reminded.after, rules) == tickets.Wake("autoresolve", T0 + 169 * H)
    assert tickets.remind(reminded.after, now=T0 + 100 * H, rules=rules) is None  # once
    resolved = tickets.resolve_unanswered(reminded.after, now=T0 + 169 * H, rules=rules)
    assert resolved.after.status == "resolved" and resolved.effects.mail == (tickets.Mail("resolution", "customer"),)
    assert resolved.entry.data["reason"] == "no answer"


def test_a_reminder_that_fires_after_the_resolution_time_resolves_instead(rules):
    late = tickets.remind(pending(rules), now=T0 + 200 * H, rules=rules)
    assert late.after.status == "resolved" and late.effects.mail == (tickets.Mail("resolution", "customer"),)


def test_the_customers_answer_stops_both_and_a_new_wait_starts_afresh(rules):
    answered = tickets.customer_wrote(pending(rules), text="Size M", now=T0 + 10 * H, rules=rules).after
    assert (answered.status, answered.pending_since, answered.reminded_at) == ("open", None, None)
    assert tickets.wake_of(answered, rules).kind == "sla"
    again = tickets.update(answered, actor=tickets.SYSTEM, fields={"status": "pending"}, now=T0 + 20 * H, rules=rules)
    assert tickets.wake_of(again.after, rules) == tickets.Wake("remind", T0 + 92 * H)


def test_a_first_response_still_owed_while_pending_wakes_first(rules):
    waiting = tickets.update(
        opened(rules).after, actor=tickets.SYSTEM, fields={"status": "pending"}, now=T0, rules=rules
    )
    assert tickets.wake_of(waiting.after, rules).kind == "sla"  # the first response is due within 24 h: before 72


def test_the_stage_sets_the_hours_and_a_reminder_must_come_before_the_resolution():
    document = load_stage_document("local")
    assert (document["lifecycle"]["pending_reminder_hours"], document["lifecycle"]["pending_resolve_hours"]) == (
        72,
        168,
    )
    defaults = settings_from("local", {**document, "lifecycle": {}}, {})
    assert defaults.ticket_rules.pending_reminder_after == 72 * H
    assert defaults.ticket_rules.pending_resolve_after == 168 * H
    shorter = {**document, "lifecycle": {"pending_reminder_hours": 48, "pending_resolve_hours": 96}}
    assert settings_from("local", shorter, {}).ticket_rules.pending_resolve_after == 96 * H
    with pytest.raises(ConfigError, match="pending_reminder_hours: must be less than pending_resolve_hours"):
        settings_from("local", {**document, "lifecycle": {"pending_reminder_hours": 168}}, {})


# Spam


def test_quarantined_spam_is_stored_and_causes_nothing(rules):
    spam = tickets.quarantined(opened(rules), reason="spam_verdict", now=T0, rules=rules)
    assert (spam.after.status, spam.after.clocks, spam.after.version) == ("spam", {}, 1)
    assert spam.effects == tickets.Effects()  # no email, schedule, assignment, event, counter or contact data
    assert spam.entry.data["spam"] == "spam_verdict" and "first_response_due" not in spam.entry.data
    assert tickets.facts(spam.after) is None and tickets.wake_of(spam.after, rules) is None
    assert "spam" in tickets.HIDDEN_STATUSES and "spam" in tickets.STATUSES


def test_marking_spam_blocks_the_sender_uncounts_it_and_releasing_starts_over(rules):
    answered = tickets.reply(opened(rules).after, actor=tickets.SYSTEM, text="Hi", now=T0 + H, rules=rules).after
    marked = tickets.update(answered, actor=tickets.SYSTEM, fields={"status": "spam"}, now=T0 + 2 * H, rules=rules)
    assert marked.entry.event == "marked_spam" and marked.effects.block_sender is True and not marked.effects.mail
    assert marked.effects.counters[T0.strftime("%Y-%m-%d")]["volume:channel:web"] == -1
    with pytest.raises(InvalidInput):
        tickets.update(marked.after, actor=tickets.SYSTEM, fields={"status": "open"}, now=T0, rules=rules)
    with pytest.raises(Conflict):
        tickets.reply(marked.after, actor=tickets.SYSTEM, text="Hello?", now=T0, rules=rules)
    with pytest.raises(InvalidInput):
        tickets.update(answered, actor=tickets.SYSTEM, fields={"status": "new"}, now=T0, rules=rules)
    released = tickets.update(marked.after, actor=tickets.SYSTEM, fields={"status": "new"}, now=T0 + 5 * H, rules=rules)
    assert released.entry.event == "released" and released.effects.block_sender is False
    assert released.effects.mail == (tickets.Mail("acknowledgement", "customer"),) and released.effects.assign
    assert released.after.clocks["first_response"].due_at == T0 + 29 * H  # from the release
    assert released.entry.data["first_response_due"] == (T0 + 29 * H).isoformat()


def test_an_operators_reply_opens_a_closed_ticket(rules):
    closed = tickets.update(opened(rules).after, actor=tickets.SYSTEM, fields={"status": "closed"}, now=T0, rules=rules)
    replied = tickets.reply(closed.after, actor=tickets.SYSTEM, text="One more thing", now=T0 + H, rules=rules)
    assert replied.after.status == "open" and replied.after.resolved_at is None
    assert replied.after.clocks["resolution"].state == "running"


def test_solved_on_the_page_resolves_without_an_email_once(rules):
    solved = tickets.customer_solved(opened(rules).after, now=T0 + H, rules=rules)
    assert solved.after.status == "resolved" and solved.effects.mail == ()
    assert tickets.wake_of(solved.after, rules).kind == "followup"  # the follow-up still asks how it went
    assert tickets.customer_solved(solved.after, now=T0 + 2 * H, rules=rules) is None


# SES's verdicts


def test_a_fail_verdict_is_read_from_the_topmost_header_only():
    spam = raw(**{"X-SES-Spam-Verdict": "FAIL"})
    assert parse(spam).verdict == "spam_verdict"
    below = raw(**{"X-SES-Spam-Verdict": "PASS"}).replace(b"\r\n\r\n", b"\r\nX-SES-Spam-Verdict: FAIL\r\n\r\n", 1)
    assert parse(below).verdict is None  # the sender's own copy under SES's PASS
    assert parse(raw(**{"X-SES-Spam-Verdict": "GRAY", "X-SES-Virus-Verdict": "PROCESSING_FAILED"})).verdict is None
    assert parse(raw()).verdict is None  # no scan: no verdict


def test_a_virus_verdict_refuses_every_file():
    infected = b"X-SES-Virus-Verdict: FAIL\r\n" + mail(("a.pdf", "application/pdf", b"%PDF"))
    found = parse(infected)
    assert found.verdict == "virus_verdict" and [a.refused for a in found.attachments] == ["virus"]


# The status page's posts and links


def test_a_status_link_is_signed_for_its_purpose_and_expires():
    token = status_token("T1", T0, 30, KEY)
    assert read_token(token, KEY, T0 + 29 * 24 * H, STATUS) == "T1"
    with pytest.raises(UnknownToken):
        read_token(token, KEY, T0)  # a status link is no rating link
    with pytest.raises(UnknownToken):
        read_token(make_token("T1", T0 + H, KEY), KEY, T0, STATUS)  # nor the other way round
    with pytest.raises(ExpiredToken):
        read_token(token, KEY, T0 + 30 * 24 * H, STATUS)
    assert read_token(token, KEY, T0 + 400 * 24 * H, STATUS, expired_ok=True) == "T1"


def form_with(*parts, boundary="b0undary"):
    body = b""
    for head, data in parts:
        body += f"--{boundary}\r\n{head}\r\n\r\n".encode() + data + b"\r\n"
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_a_form_with_files_is_read_part_by_part():
    body, content_type = form_with(
        ('Content-Disposition: form-data; name="message"', "Grüße\r\n--not a boundary".encode()),
        (
            'Content-Disposition: form-data; name="files"; filename="mug.jpg"\r\nContent-Type: image/jpeg',
            b"\xff\xd8\x00\r\n",
        ),
        ('Content-Disposition: form-data; name="files"; filename=""\r\nContent-Type: application/octet-stream', b""),
    )
    fields, files = read_post(body, content_type)
    assert fields == {"message": "Grüße\r\n--not a boundary"}
    assert [(f.name, f.content_type, f.data) for f in files] == [("mug.jpg", "image/jpeg", b"\xff\xd8\x00\r\n")]
    post = check(fields, files)
    assert post.message == "Grüße\r\n--not a boundary" and [f.name for f in post.files] == ["mug.jpg"]


def test_what_a_post_must_be():
    assert check({"action": "solved"}, []).solved and check({"solved": True}, []).solved
    with pytest.raises(InvalidInput) as empty:
        check({"message": "  "}, [])
    assert [e.field for e in empty.value.errors] == ["message"]
    body, content_type = form_with(
        ('Content-Disposition: form-data; name="files"; filename="tool.exe"', b"MZ"),
    )
    with pytest.raises(InvalidInput) as refused:
        check(*read_post(body, content_type))
    assert [(e.field, e.message) for e in refused.value.errors] == [("files", "tool.exe: type")]
    with pytest.raises(InvalidInput):
        read_post(b"--x\r\n", "multipart/form-data")  # no boundary
    with pytest.raises(PayloadTooLarge):
        read_post(b"x" * (MAX_UPLOAD_BYTES + 300 * 1024), "multipart/form-data; boundary=x")


# Every customer email ends with the status link, in its language


def note(**changes):
    base = dict(
        brand="Demo Shop",
        reference="CL-7K3M9QX2",
        name="Ann Lee",
        email="ann@example.com",
        subject="Parcel",
        status_url="https://shop.example/api/status/T0KEN",
        thread_ids=(),
        timezone="Europe/Berlin",
        resolves_at=T0 + 168 * H,
    )
    return emails.NoteFacts(**(base | changes))


@pytest.mark.parametrize("locale,footer", [("en", "Your request online"), ("de", "Ihre Anfrage online")])
def test_every_customer_email_kind_ends_with_the_status_link_in_its_language(locale, footer):
    url = "https://shop.example/api/status/T0KEN"
    ack = emails.AcknowledgementFacts(
        "Demo Shop", "CL-1", "Ann", "a@x.example", "Hi", None, Details(), None, None, T0, "UTC", locale, status_url=url
    )
    letter = emails.ReplyFacts(
        "Demo Shop", "CL-1", "Ann", "a@x.example", None, "Hi", None, False, (), locale=locale, status_url=url
    )
    follow = emails.FollowUpFacts(
        "Demo Shop", "CL-1", "Ann", "a@x.example", None, "https://f", (), locale, status_url=url
    )
    sent = [
        emails.acknowledgement(ack),
        emails.operator_reply(letter),
        emails.resolution_notice(letter),
        emails.follow_up(follow),
        emails.pending_reminder(note(locale=locale)),
        emails.status_link(note(locale=locale)),
    ]
    for email in sent:
        assert email.text.rstrip().endswith(url) and footer in email.text.rsplit("\n\n", 1)[1], email.subject
        assert f'<a href="{url}">' in email.html and footer in email.html, email.subject
    operators = emails.assignment_notice("CL-1", "Ann", None, "kim@shop.example", "https://admin")
    assert "/status/" not in operators.text and "/status/" not in operators.html


def test_the_pending_reminder_says_when_in_the_customers_words():
    english = emails.pending_reminder(note())
    assert english.subject == "Waiting for your answer: Parcel [CL-7K3M9QX2]"
    assert "by Tuesday, 1 December 2026 at 10:00 (Berlin time), we will mark" in " ".join(english.text.split())
    german = emails.pending_reminder(note(locale="de-DE", subject=None))
    assert german.subject == "Wir warten auf Ihre Antwort [CL-7K3M9QX2]"
    assert "Wenn wir bis Dienstag, 1. Dezember 2026 um 10:00 (Ortszeit Berlin) nichts" in " ".join(german.text.split())
    assert german.headers["Auto-Submitted"] == "auto-replied"


def test_a_fresh_link_goes_to_a_live_ticket_only(rules):
    """An erased ticket asks for no fresh link; nor does spam."""
    ticket = opened(rules).after
    assert tickets.link_requested(replace(ticket, customer_email="x@erased.invalid"), now=T0, rules=rules) is None
    assert tickets.link_requested(replace(ticket, status="spam"), now=T0, rules=rules) is None
    assert tickets.link_requested(ticket, now=T0, rules=rules).effects.mail == (
        tickets.Mail("status_link", "customer"),
    )
