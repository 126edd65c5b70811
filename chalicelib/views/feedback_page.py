"""The customer's rating page and its answers, in the customer's language.
Pure HTML from the catalogues; every value is escaped, nothing is loaded
from elsewhere (no script, style sheet or image)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from .emails import csat_label
from .i18n import Language

PAGE_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}"
    "fieldset{border:1px solid #c5cad1;border-radius:6px;margin:0 0 1rem;padding:.5rem 1rem}"
    "label{display:inline-block;margin:.25rem .75rem .25rem 0}textarea{width:100%;font:inherit}"
    "button{font:inherit;padding:.6rem 1.2rem;background:#1f5fcf;color:#fff;border:0;border-radius:4px}"
    ".error{color:#b00020;font-weight:600;margin:.25rem 0}"
    ":focus-visible{outline:3px solid #ffbf47}"
)
SCORES = tuple(str(n) for n in range(1, 6))
ERROR_KEYS = {"csat": "feedback_error_csat", "nps": "feedback_error_nps", "comment": "feedback_error_comment"}


def _page(lang: Language, title: str, main: str) -> str:
    return (
        f'<!doctype html><html lang="{lang.code}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{PAGE_STYLE}</style></head><body><main><h1>{escape(title)}</h1>{main}</main></body></html>"
    )


def rating_page(
    lang: Language,
    reference: str,
    answers: Mapping[str, object] | None,
    clicked: str | None = None,
    errors: Iterable[str] = (),
) -> str:
    """The form: `answers` are what the customer said before (or just sent,
    when `errors` names the fields to fix); a score `clicked` in the email wins."""
    answers = answers or {}
    invalid = set(errors)
    chosen = clicked if clicked in SCORES else str(answers.get("csat", ""))
    said_nps = str(answers.get("nps", ""))

    def problem(name: str) -> str:
        if name not in invalid:
            return ""
        return f'<p class="error" id="{name}-error">{escape(lang.t(ERROR_KEYS[name]))}</p>'

    def described(name: str) -> str:
        return f' aria-describedby="{name}-error"' if name in invalid else ""

    csat = "".join(
        f'<label><input type="radio" name="csat" value="{n}" required{" checked" if chosen == str(n) else ""}>'
        f" {n} · {escape(csat_label(n, lang))}</label>"
        for n in range(1, 6)
    )
    nps = "".join(
        f'<label><input type="radio" name="nps" value="{n}"{" checked" if said_nps == str(n) else ""}> {n}</label>'
        for n in range(11)
    )
    comment = answers.get("comment")
    main = (
        ('<p class="error" role="alert">' + escape(lang.t("feedback_check_title")) + "</p>" if invalid else "")
        + f"<p>{escape(lang.t('feedback_intro', reference=reference))}</p>"
        f'<form method="post"><fieldset{described("csat")}><legend>{escape(lang.t("feedback_csat_legend"))}'
        f"</legend>{problem('csat')}{csat}</fieldset>"
        f"<fieldset{described('nps')}><legend>{escape(lang.t('feedback_nps_legend'))}</legend>"
        f"{problem('nps')}{nps}</fieldset>"
        f'<p><label for="comment">{escape(lang.t("feedback_comment_label"))}</label>{problem("comment")}'
        f'<textarea id="comment" name="comment" rows="4" maxlength="5000"{described("comment")}>'
        f"{escape(comment if isinstance(comment, str) else '')}</textarea></p>"
        f'<button type="submit">{escape(lang.t("feedback_submit"))}</button></form>'
    )
    return _page(lang, lang.t("feedback_title"), main)


def thanks_page(lang: Language) -> str:
    return _page(lang, lang.t("feedback_thanks_title"), f"<p>{escape(lang.t('feedback_thanks'))}</p>")


def refusal_page(lang: Language, expired: bool) -> str:
    """An expired (410) or unknown (404) link: said kindly, nothing to fill in."""
    said = lang.t("feedback_expired" if expired else "feedback_unknown")
    return _page(
        lang, lang.t("feedback_refusal_title"), f"<p>{escape(said)}</p><p>{escape(lang.t('feedback_refusal_rest'))}</p>"
    )
