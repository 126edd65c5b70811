"""The public API's HTML pages, for a browser's plain form post (no
JavaScript): the thank-you page, and the contact form again with every value
kept and each problem beside its field (400), or with a notice saying when to
send it again (429, 503). Laid out by `templates/pages/`, every
value escaped; `http.html_page` adds the security headers, whose
Content-Security-Policy allows exactly the stylesheet below by its hash."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from ..domain.errors import FieldError
from ..domain.inquiry import DETAILS
from .i18n import Language, resolve
from .render import render, trusted

if TYPE_CHECKING:
    from ..config import Settings

PAGE_CSS = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:38rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}"
    ".brand{font-weight:600;color:#444;margin:0 0 1.5rem}h1{font-size:1.6rem;line-height:1.25}"
    "form{display:grid;gap:.3rem}label{font-weight:600;margin-top:.6rem}"
    "input,select,textarea{font:inherit;padding:.45rem;border:1px solid #8a93a0;border-radius:4px}"
    "[aria-invalid=true]{border:2px solid #b00020}.error{color:#b00020;margin:0}"
    ".problems{border:2px solid #b00020;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}"
    ".problems h2{font-size:1.1rem;margin:.25rem 0}.problems a{color:#b00020}"
    ".notice{background:#fff4e0;border-left:4px solid #c77700;padding:.6rem 1rem}"
    "button{font:inherit;margin-top:1rem;padding:.6rem 1.2rem;background:#1f5fcf;color:#fff;border:0;border-radius:4px;"
    "justify-self:start}:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}"
    ".hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}a{color:#1f5fcf}"
)

# The shipped storefront form's fields, always shown, in its order.
_FORM_FIELDS = (
    ("name", "Your name", "text", "name"),
    ("email", "Email", "email", "email"),
    ("subject", "Subject", "text", ""),
    ("order_id", "Order number (if any)", "text", ""),
    ("message", "How can we help?", "textarea", ""),
    ("callback[phone]", "Call me back at (optional)", "tel", "tel"),
    ("contact_time", "When is best to reach you? (optional)", "text", ""),
)
# Further contract fields: kept as hidden inputs, or shown when they have a problem.
_MORE_FIELDS = (
    ("callback[window]", "When to call you", "text"),
    ("category", "Topic", "text"),
    ("channel", "Channel", "text"),
)
_REQUIRED = {"name", "email", "message"}


@cache
def _more_fields() -> tuple[tuple[str, str, str], ...]:
    """_MORE_FIELDS, then the customer's details (domain/inquiry.py) the form does not show, under their labels."""
    shown = {name for name, *_ in _FORM_FIELDS}
    english = resolve(None)
    details = [(f.name, english.t(f.label) if f.label else f.name, f.input) for f in DETAILS if f.name not in shown]
    return _MORE_FIELDS + tuple(details)


@dataclass(frozen=True)
class Shop:
    """Whose pages these are: the shop's name on each, and a way back to its site."""

    brand: str
    url: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> Shop:
        """The stage's shop (its `brand` and `shop_url`)."""
        return cls(settings.brand, settings.shop_url)

    def back(self, lang: Language | None = None) -> dict[str, str] | None:
        """The link back to the shop ("Back to Careline Demo Shop"), in the page's language."""
        if not self.url:
            return None
        return {
            "url": self.url,
            "text": lang.t("page_back_to_shop", brand=self.brand) if lang else f"Back to {self.brand}",
        }


def readable(moment: datetime, timezone: str) -> str:
    """Every date and time these pages show goes through here (one place to localise)."""
    from .emails import readable_time

    return readable_time(moment, timezone)


def _page(template: str, title: str, brand: str | None, **values: object) -> str:
    return render(f"pages/{template}.html", lang_code="en", title=title, brand=brand, style=trusted(PAGE_CSS), **values)


def message_page(title: str, paragraphs: list[str], brand: str | None = None) -> str:
    return _page("layout", title, brand, paragraphs=paragraphs)


def thank_you_page(shop: Shop, reference: str, due: datetime, timezone: str) -> str:
    return _page(
        "thank_you",
        "Thank you, we have your request",
        shop.brand,
        reference=reference,
        due=readable(due, timezone),
        back=shop.back(),
    )


def retry_notice(seconds: int, now: datetime, timezone: str) -> str:
    minutes = max(1, -(-seconds // 60))
    return (
        f"You have sent us several messages in a short time. Please send this one again in about "
        f"{minutes} minute{'s' if minutes != 1 else ''}, after {readable(now + timedelta(seconds=seconds), timezone)}. "
        "Your message is kept below."
    )


def form_page(
    brand: str,
    title: str,
    fields: object,
    errors: Sequence[FieldError] = (),
    notices: Sequence[str] = (),
    categories: tuple[str, ...] = (),
    form_key: str = "",
) -> str:
    """The contact form again: every value kept, each problem beside its field
    and listed (with links to the fields) at the top; `form_key`, the form's
    one-time key, in a hidden field."""
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(_form_name(error.field), []).append(error.message)
    labels = {name: label for name, label, *_ in _FORM_FIELDS + _more_fields()}
    order = list(labels)  # the form's order, then whatever concerns no field of it
    # Each problem links to its field; one that concerns no field of the form names what it concerns.
    problems: list[dict[str, str | None]] = [
        {"anchor": _id(name), "label": labels[name], "message": e.message}
        if name in labels
        else {"anchor": None, "label": e.field, "message": e.message}
        for e, name in sorted(
            ((e, _form_name(e.field)) for e in errors),
            key=lambda pair: order.index(pair[1]) if pair[1] in labels else len(order),
        )
    ]
    controls = [
        _control(name, label, kind, autocomplete, _value(fields, name), by_field.get(name, []))
        for name, label, kind, autocomplete in _FORM_FIELDS
    ]
    for name, label, kind in _more_fields():
        value = _value(fields, name)
        if name in by_field:
            controls.append(
                _control(name, label, kind, "", value, by_field[name], categories if name == "category" else ())
            )
        elif value:
            controls.append({"hidden": True, "name": name, "value": value})
    if form_key:
        controls.append({"hidden": True, "name": "form_key", "value": form_key})
    return _page("form", title, brand, notices=notices, problems=problems, controls=controls)


def _control(
    name: str, label: str, kind: str, autocomplete: str, value: str, problems: list[str], choices: tuple[str, ...] = ()
) -> dict[str, object]:
    return {
        "hidden": False,
        "id": _id(name),
        "name": name,
        "label": label,
        "kind": kind,
        "required": name in _REQUIRED,
        "autocomplete": autocomplete,
        "value": value,
        "problems": " ".join(problems),
        "choices": choices,
    }


def _form_name(field: str) -> str:
    """callback.phone (an error's field) is callback[phone] in a form."""
    head, _, rest = field.partition(".")
    return f"{head}[{rest}]" if rest else head


def _id(name: str) -> str:
    return "f-" + name.replace("[", "-").replace("]", "")


def _value(fields: object, name: str) -> str:
    """What the customer sent for a form field, as text ("" for anything else)."""
    head, _, rest = name.partition("[")
    value = fields.get(head) if isinstance(fields, dict) else None
    if rest:
        value = value.get(rest.rstrip("]")) if isinstance(value, dict) else None
    return value if isinstance(value, str) else ""
