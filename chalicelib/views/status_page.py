"""The customer's status page in their language and time zone, as the
emails write to them: the shop's name, the request's status in words, when
a reply is due, the conversation with its files, a form to write (with
files) and one to say it is solved; and the pages for a link that expired
(with the form that asks for a fresh one) or never was ours. Laid out by
`templates/pages/status.html`; every value escaped; nothing loaded from
elsewhere, no script: it works without JavaScript."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ..clock import iso
from ..domain.errors import FieldError
from ..domain.inbound import Attachment, screen
from ..domain.status import MAX_MESSAGE_CHARACTERS, MAX_UPLOAD_BYTES
from .emails import refused_attachments
from .i18n import Language
from .pages import PAGE_CSS, Shop
from .render import render, trusted

STATUS_STYLE = PAGE_CSS + (
    "h2{font-size:1.2rem;margin:2rem 0 .5rem}.state{border-left:4px solid #1f5fcf;padding:.25rem 1rem;margin:1rem 0}"
    ".state p{margin:.35rem 0}.thread{list-style:none;padding:0;margin:0}"
    ".msg{border:1px solid #c5cad1;border-radius:6px;padding:.5rem .9rem;margin:.75rem 0}"
    ".msg.mine{background:#f3f6fb}.meta{margin:0;color:#444;font-size:.95rem}"
    ".body{white-space:pre-wrap;overflow-wrap:anywhere;margin:.4rem 0}.files{margin:.25rem 0;padding-left:1.2rem}"
    "textarea,input[type=file]{width:100%;box-sizing:border-box}.secondary{background:#fff;color:#1f5fcf;"
    "border:2px solid #1f5fcf}.back{margin-top:2rem}"
)
NOTICES = {"sent": "status_sent", "solved": "status_solved_done", "continued": "status_continued"}
# Each status in words, and what it means for the customer.
STATES = {
    "new": ("status_new", "status_new_text"),
    "open": ("status_open", "status_open_text"),
    "pending": ("status_pending", "status_pending_text"),
    "resolved": ("status_resolved", "status_resolved_text"),
    "closed": ("status_closed", "status_closed_text"),
}


def _page(template: str, lang: Language, shop: Shop, title: str, **values: object) -> str:
    return render(
        f"pages/{template}.html",
        lang_code=lang.code,
        title=title,
        brand=shop.brand,
        style=trusted(STATUS_STYLE),
        back=shop.back(lang),
        **values,
    )


def status_page(
    lang: Language,
    shop: Shop,
    view: Any,  # services.status.StatusView
    token: str,
    now: datetime,
    timezone: str,
    *,
    done: str | None = None,
    errors: Sequence[FieldError] = (),
    uploads: Sequence[Attachment] = (),
    message: str = "",
) -> str:
    """The page; `done` says what the customer just did (a notice above);
    `errors` (with the files they sent, `uploads`) are what to fix, `message` what they wrote."""
    ticket = view.ticket
    word, meaning = STATES[ticket.status]
    state = [lang.t(meaning)]
    if view.reply_due is not None:
        late = view.reply_due <= now
        state.append(lang.t("status_late") if late else lang.t("status_due", when=lang.when(view.reply_due, timezone)))
    if view.resolves_at is not None:
        state.append(lang.t("status_pending_resolves", when=lang.when(view.resolves_at, timezone)))
    return _page(
        "status",
        lang,
        shop,
        lang.t("status_title", reference=ticket.reference),
        notice=lang.t(NOTICES[done]) if done in NOTICES else None,
        subject=(lang.t("label_subject"), ticket.subject) if ticket.subject else None,
        state={"word": lang.t(word), "lines": state},
        thread_title=lang.t("status_thread"),
        messages=[_message(m, lang, shop, token, timezone) for m in view.messages],
        write_title=lang.t("status_write"),
        check_title=lang.t("status_check"),
        problems=_problems(errors, uploads, lang),
        message_label=lang.t("status_message_label"),
        message=message,
        max_characters=MAX_MESSAGE_CHARACTERS,
        files_label=lang.t("status_files_label", mb=MAX_UPLOAD_BYTES // 2**20),
        send=lang.t("status_send"),
        solved={
            "title": lang.t("status_solved_title"),
            "text": lang.t("status_solved_text"),
            "button": lang.t("status_solved_button"),
        }
        if ticket.is_open
        else None,
    )


def expired_page(lang: Language, shop: Shop, action: str, sent: bool = False) -> str:
    """410: the link is past its time; a button (posting to `action`) emails
    a fresh one; once pressed, the same neutral words whether or not the link was ours."""
    return _page(
        "status_expired",
        lang,
        shop,
        lang.t("status_expired_title"),
        sent=lang.t("status_link_sent") if sent else None,
        paragraphs=[lang.t("status_expired_text"), lang.t("status_expired_where")],
        action=action,
        button=lang.t("status_expired_button"),
    )


def unknown_page(lang: Language, shop: Shop) -> str:
    """404: forged, edited, or no longer there."""
    return _page("layout", lang, shop, lang.t("status_unknown_title"), paragraphs=[lang.t("status_unknown_text")])


def _message(message: Any, lang: Language, shop: Shop, token: str, timezone: str) -> dict[str, Any]:
    who = (
        lang.t("status_from_you")
        if message.mine
        else (lang.t("status_from_us", name=message.author, brand=shop.brand) if message.author else shop.brand)
    )
    return {
        "mine": message.mine,
        "who": who,
        "iso": iso(message.at),
        "when": lang.when(message.at, timezone),
        "body": message.body,
        "files": [_file(f, lang, token) for f in message.files],
    }


def _file(listed: Mapping[str, Any], lang: Language, token: str) -> dict[str, Any]:
    """A kept file links to its download (a link of minutes, made when
    clicked; relative, so it works wherever the API is mounted); a refused one is named."""
    if listed.get("refused"):
        return {"name": lang.t("status_file_not_kept", name=listed["name"]), "href": None, "size": None}
    size = _size(int(listed.get("size") or 0))
    return {"name": listed["name"], "href": f"{token}/files/{listed['sha256']}", "size": size}


def _size(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{max(1, round(size / 1024))} KB"


def _problems(errors: Sequence[FieldError], uploads: Sequence[Attachment], lang: Language) -> dict[str, str]:
    """Each problem in words beside its control: the message (missing, too
    long), or the files (each refused one by name and why, or too large)."""
    problems: dict[str, str] = {}
    said = refused_attachments(tuple((f.name, str(f.refused)) for f in screen(uploads) if f.refused), lang)
    for error in errors:
        if error.field == "message":
            problems["message"] = lang.t("status_error_empty" if "required" in error.message else "status_error_long")
        else:  # the files (or a body too large for them)
            problems["files"] = said or lang.t("status_error_too_large", mb=MAX_UPLOAD_BYTES // 2**20)
    return problems
