"""The audit trail's vocabulary: what is recorded (who, when, what), in
words for the admins who read it. A customer is named in it only by the
pseudonym their erasure gives them (ticket.erased_alias), so erasing a
customer leaves nothing of them here."""

from __future__ import annotations

# kind -> what the actor did, as the page says it ("Kim Meyer exported a customer's data")
KINDS = {
    "customer.exported": "exported a customer's data",
    "customer.erased": "erased a customer's personal data",
    "agent.added": "added an agent to the roster",
    "agent.changed": "changed an agent's roster entry",
    "agent.removed": "took an agent off the roster",
    "operator.roles_changed": "saw an operator's roles change at sign-in",
    "macro.saved": "saved a macro",
    "macro.deleted": "deleted a macro",
    "view.saved": "saved a view",
    "view.deleted": "deleted a view",
    "ticket.merged": "merged tickets",
    "ticket.split": "split a ticket",
    "ticket.marked_spam": "marked a ticket as spam",
    "ticket.unmarked_spam": "took a ticket out of spam",
}
