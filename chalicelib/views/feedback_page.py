"""The customer's rating page and its answers, in the customer's language:
texts from the catalogues, laid out by `templates/pages/`. Nothing
is loaded from elsewhere (no script, style sheet or image); the page's own
style is allowed by its hash (`api.http.page_headers`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .emails import csat_label
from .i18n import Language
from .pages import Shop
from .render import render, trusted

PAGE_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}"
    ".brand{font-weight:600;color:#444;margin:0 0 1.5rem}a{color:#1f5fcf}"
    "fieldset{border:1px solid #c5cad1;border-radius:6px;margin:0 0 1rem;padding:.5rem 1rem}"
    "label{display:inline-block;margin:.25rem .75rem .25rem 0}textarea{width:100%;box-sizing:border-box;font:inherit}"
    "button{font:inherit;padding:.6rem 1.2rem;background:#1f5fcf;color:#fff;border:0;border-radius:4px}"
    ".error{color:#b00020;font-weight:600;margin:.25rem 0}"
    ":focus-visible{outline:3px solid #ffbf47}"
)
SCORES = tuple(str(n) for n in range(1, 6))
ERROR_KEYS = {"csat": "feedback_error_csat", "nps": "feedback_error_nps", "comment": "feedback_error_comment"}


def _page(template: str, lang: Language, title: str, shop: Shop, **values: object) -> str:
    return render(
        f"pages/{template}.html",
        lang_code=lang.code,
        title=title,
        brand=shop.brand,
        style=trusted(PAGE_STYLE),
        **values,
    )


def rating_page(
    lang: Language,
    shop: Shop,
    reference: str,
    answers: Mapping[str, object] | None,
    clicked: str | None = None,
    errors: Iterable[str] = (),
) -> str:
    """The form: `answers` are what the customer said before (or just sent,
    when `errors` names the fields to fix); a score `clicked` in the email wins."""
    answers = answers or {}
    chosen = clicked if clicked in SCORES else str(answers.get("csat", ""))
    said_nps = str(answers.get("nps", ""))
    comment = answers.get("comment")
    return _page(
        "rating",
        lang,
        lang.t("feedback_title"),
        shop,
        problems={name: lang.t(ERROR_KEYS[name]) for name in errors},
        check_title=lang.t("feedback_check_title"),
        intro=lang.t("feedback_intro", reference=reference),
        csat_legend=lang.t("feedback_csat_legend"),
        csat=[(n, csat_label(n, lang), chosen == str(n)) for n in range(1, 6)],
        nps_legend=lang.t("feedback_nps_legend"),
        nps=[(n, said_nps == str(n)) for n in range(11)],
        comment_label=lang.t("feedback_comment_label"),
        comment=comment if isinstance(comment, str) else "",
        submit=lang.t("feedback_submit"),
    )


def thanks_page(lang: Language, shop: Shop) -> str:
    return _page(
        "layout",
        lang,
        lang.t("feedback_thanks_title"),
        shop,
        paragraphs=[lang.t("feedback_thanks")],
        back=shop.back(lang),
    )


def refusal_page(lang: Language, shop: Shop, expired: bool) -> str:
    """An expired (410) or unknown (404) link: said kindly, nothing to fill in."""
    said = lang.t("feedback_expired" if expired else "feedback_unknown")
    return _page(
        "layout", lang, lang.t("feedback_refusal_title"), shop, paragraphs=[said, lang.t("feedback_refusal_rest")]
    )
