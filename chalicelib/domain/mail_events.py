"""SES's bounce and complaint events, as a configuration set publishes them
to SNS: which addresses must not be mailed again, and why. A permanent
bounce (no such mailbox) and a complaint (the recipient marked our mail as
spam) stop mail to the address; a transient bounce (a full mailbox, a
server that said "later") does not: SES has retried it already and the
next email may well arrive."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

BOUNCE, COMPLAINT = "bounce", "complaint"


@dataclass(frozen=True)
class Undeliverable:
    email: str
    reason: str  # BOUNCE | COMPLAINT
    detail: str  # what SES said, for the log


def undeliverable(event: Mapping[str, Any]) -> list[Undeliverable]:
    """The addresses an SES event says to stop mailing (none for other events).
    Event publishing names the kind `eventType`; the identity's own
    notifications call it `notificationType`."""
    kind = event.get("eventType") or event.get("notificationType")
    if kind == "Bounce":
        bounce = event.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []
        kind_of = "/".join(filter(None, (bounce.get("bounceType"), bounce.get("bounceSubType"))))
        return [
            Undeliverable(
                address, BOUNCE, ": ".join(filter(None, (kind_of, r.get("diagnosticCode") or r.get("status"))))
            )
            for r in bounce.get("bouncedRecipients") or ()
            if (address := _address(r))
        ]
    if kind == "Complaint":
        complaint = event.get("complaint") or {}
        detail = complaint.get("complaintFeedbackType") or complaint.get("complaintSubType") or "complaint"
        return [
            Undeliverable(address, COMPLAINT, detail)
            for r in complaint.get("complainedRecipients") or ()
            if (address := _address(r))
        ]
    return []


def _address(recipient: Any) -> str | None:
    """The bare address (SES may send "Name <address>")."""
    from email.utils import parseaddr

    raw = recipient.get("emailAddress") if isinstance(recipient, Mapping) else None
    address = parseaddr(raw)[1].strip().lower() if isinstance(raw, str) else ""
    return address if "@" in address else None
