"""A ticket's events in words, for the people reading its history:
"Kim changed priority from normal to high", never `sla_warning`. Pure:
`names` maps operators' addresses to their display names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .emails import agent_display_name

METRICS = {"first_response": "first response", "next_response": "next response", "resolution": "resolution"}
CHANNELS = {"web": "the web form", "email": "email", "chat": "chat", "phone": "phone", "social": "social media"}
OUTCOMES = {"reached": "reached the customer", "no_answer": "got no answer", "voicemail": "left a voicemail"}
SPAM = {"spam_verdict": "SES's spam check", "virus_verdict": "SES's virus scan", "blocked_sender": "a blocked sender"}


def who(author: str | None, names: Mapping[str, str]) -> str:
    if not author or author == "system":
        return "Careline"
    if author == "customer":
        return "The customer"
    return names.get(author) or agent_display_name(None, author)


def _joined(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def changed(changes: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """One phrase per changed field: "changed priority from normal to high"."""
    phrases = []
    for field, (old, new) in changes.items():
        if field == "assignee":
            if old and new:
                phrases.append(f"reassigned it from {who(old, names)} to {who(new, names)}")
            elif new:
                phrases.append(f"assigned it to {who(new, names)}")
            else:
                phrases.append(f"unassigned it from {who(old, names)}")
        elif field == "cc":
            added, removed = [a for a in new if a not in old], [a for a in old if a not in new]
            if added:
                phrases.append(f"added {_joined(added)} as follower{'s' if len(added) > 1 else ''}")
            if removed:
                phrases.append(f"removed the follower{'s' if len(removed) > 1 else ''} {_joined(removed)}")
        elif field == "tags":
            added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
            if added:
                phrases.append(f"added the tag{'s' if len(added) > 1 else ''} {_joined(added)}")
            if removed:
                phrases.append(f"removed the tag{'s' if len(removed) > 1 else ''} {_joined(removed)}")
        elif old is None:
            phrases.append(f"set {field} to {new}")
        elif new is None:
            phrases.append(f"cleared {field} (was {old})")
        else:
            phrases.append(f"changed {field} from {old} to {new}")
    return phrases


def describe(event: str, author: str | None, data: Mapping[str, Any], names: Mapping[str, str]) -> str:
    actor = who(author, names)
    phrases = changed(data.get("changes") or {}, names)
    also = f" and {_joined(phrases)}" if phrases else ""
    metric = METRICS.get(data.get("metric") or "", "reply")
    if event == "created" and data.get("split_from"):
        source = data["split_from"]
        return f"{who(source.get('by'), names)} split this message off {source.get('reference') or 'another ticket'}"
    if event == "created" and data.get("outbound"):
        return f"{actor} wrote to the customer first"
    if event == "created":
        wrote = f"The customer wrote in by {CHANNELS.get(data.get('channel') or 'web', 'the web form')}"
        return f"{wrote}: quarantined as spam ({SPAM.get(data['spam'], data['spam'])})" if data.get("spam") else wrote
    if event == "merged":
        return f"{actor} merged {data.get('reference') or 'a ticket'} into this one{also}"
    if event == "merged_into":
        return f"{actor} merged this ticket into {data.get('reference') or 'another'}, which carries on"
    if event == "split":
        return f"{actor} moved a message of the customer's to a new ticket, {data.get('reference') or ''}".rstrip(", ")
    if event == "replied":
        return f"{actor} replied to the customer{also}"
    if event == "customer_wrote":
        writer = f"{data['from']}, a follower," if data.get("from") else "The customer"
        where = " on their status page" if data.get("channel") == "web" else ""
        return f"{writer} wrote again{where}{', which ' + _joined(phrases) if phrases else ''}"
    if event == "customer_solved":
        return "The customer said on their page that the problem is solved, which resolved it"
    if event == "marked_spam":
        return f"{actor} marked it as spam: the sender's mail and forms are quarantined from now on"
    if event == "released":
        return f"{actor} released it (not spam): acknowledged now, its SLA counting from now"
    if event == "pending_reminder":
        return "Careline reminded the customer that we are waiting for their answer"
    if event == "status_link":
        return "The customer asked for a fresh link to their status page: Careline emailed it"
    if event == "call":
        return f"{actor} called and {OUTCOMES.get(data.get('outcome') or '', 'logged a call')}{also}"
    if event == "sla_warning":
        notified = data.get("notified")
        return (
            f"The {metric} is nearly due: Careline warned {who(notified, names)}"
            if notified
            else f"The {metric} came too close to its due time for a warning"
        )
    if event == "sla_breach":
        return f"The {metric} target was missed: Careline told {who(data.get('notified'), names)}{also}"
    if event == "follow_up":
        return "Careline asked the customer whether anything is still open, and for a rating"
    if event == "feedback":
        parts = [f"{data['csat']} of 5"] if "csat" in data else []
        parts += [f"NPS {data['nps']}"] if "nps" in data else []
        if not parts:
            return "The customer left a comment"
        return f"The customer rated the support {', '.join(parts)}{' with a comment' if data.get('comment') else ''}"
    if event == "erased":
        return f"{actor} erased the customer's personal data ({data.get('reason') or 'on request'})"
    if event == "continued":
        return f"The customer wrote again after it closed: continued in {data.get('reference') or 'a new ticket'}"
    if phrases and data.get("reason") == "no answer":
        return f"Nobody answered while we waited on the customer: {actor} {_joined(phrases)}"
    if phrases:
        return f"{actor} {_joined(phrases)}"
    return f"{actor}: {event.replace('_', ' ')}"
