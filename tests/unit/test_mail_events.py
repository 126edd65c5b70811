"""SES's bounces and complaints by the rules: a permanent bounce or a complaint
makes an address undeliverable, a transient bounce does not; the
configuration set publishes every kind on_mail_event marks."""

import pytest

from chalicelib.domain.mail_events import undeliverable
from tests.mails import complaint, permanent_bounce, ses_event


def test_permanent_bounces_and_complaints_stop_mail_transient_bounces_do_not():
    assert [(u.email, u.reason) for u in undeliverable(permanent_bounce("Ann@Example.com", "bob@example.com"))] == [
        ("ann@example.com", "bounce"),
        ("bob@example.com", "bounce"),
    ]
    assert [(u.email, u.reason) for u in undeliverable(complaint("Ann Lee <ann@example.com>"))] == [
        ("ann@example.com", "complaint")
    ]
    assert undeliverable(permanent_bounce("ann@example.com", bounce_type="Transient")) == []
    assert undeliverable(permanent_bounce("ann@example.com", bounce_type="Undetermined")) == []
    assert undeliverable(ses_event("Delivery", delivery={"recipients": ["ann@example.com"]})) == []


def test_the_identitys_own_notifications_name_the_kind_differently():
    notification = permanent_bounce("ann@example.com")
    notification["notificationType"] = notification.pop("eventType")
    assert [u.email for u in undeliverable(notification)] == ["ann@example.com"]


@pytest.mark.parametrize("kind", ["Bounce", "Complaint"])
def test_every_kind_on_mail_event_marks_is_one_the_configuration_set_publishes(kind):
    from infra import build

    destination = build.template("prod")["Resources"]["MailEvents"]["Properties"]["EventDestination"]
    assert kind.lower() in destination["MatchingEventTypes"]
