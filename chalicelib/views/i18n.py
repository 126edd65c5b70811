"""The language a customer is written to, and dates, times and durations
in it. Texts come from one catalogue per language (`chalicelib/views/locales/<code>.json`);
dates and times from CLDR through Babel.

Catalogues are JSON, not gettext: keys are names (`ack_intro`), not English
source text, so a missing or stray key is a plain set difference a test can
check, and there is no compile step between a translator's file and the
Lambda package. Adding a language is adding one file. Babel is imported only
while formatting a date: never when the app loads, never on the intake path."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..domain.macros import name_parts

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
# English with day-month dates and 24-hour times: unambiguous to any reader.
DEFAULT_LOCALE = "en-GB"
MAX_TAG = 35  # the inquiry's `locale` field takes at most this
REFERENCE_LANGUAGE = "en"  # the catalogue every other one must match key for key
_TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")
SALUTATION_KEYS = {"ms": "salutation_ms", "mr": "salutation_mr"}  # domain/inquiry.py's salutation values
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@cache
def languages() -> frozenset[str]:
    return frozenset(path.stem for path in LOCALES_DIR.glob("*.json"))


@cache
def catalogue(code: str) -> dict[str, Any]:
    texts: dict[str, Any] = json.loads((LOCALES_DIR / f"{code}.json").read_text(encoding="utf-8"))
    return texts


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


@dataclass(frozen=True)
class Language:
    code: str  # the catalogue: "de"
    locale: str  # what dates are formatted for (CLDR): "de_AT"

    def t(self, key: str, **values: object) -> str:
        """The catalogue's text, placeholders filled. Plain text: HTML escapes the result."""
        text: str = catalogue(self.code)[key]
        return text.format(**values)

    def words(self, key: str) -> tuple[str, ...]:
        return tuple(catalogue(self.code)[key])

    def when(self, moment: datetime, timezone: str, utc: bool = False) -> str:
        """Local to the zone given, written the locale's way. For customers
        "Wednesday, 25 November 2026 at 10:00 (Berlin time)": their zone named
        by its city in their language, never a UTC instant; for operators
        (`utc`) "… (CET, Europe/Berlin; 2026-11-25T09:00:00Z)"."""
        from babel import dates  # lazily: only rendering pays for it

        local = moment.astimezone(ZoneInfo(timezone))
        locale = _cldr(self.locale)
        said = self.t(
            "date_at_time",
            date=dates.format_date(local, "full", locale=locale),
            time=dates.format_time(local, "short", locale=locale),
        )
        if not utc:
            return f"{said} ({self._zone_city(timezone, locale) or local.strftime('%Z')})"
        zone = dates.get_timezone_name(local, width="short", locale=locale)
        if not zone.isalpha() or len(zone) > 5:
            # CLDR has no abbreviation for this zone in this locale ("+0100",
            # "Eastern Standard Time"): the tz database's (CET, EST) reads better.
            zone = local.strftime("%Z")
        return f"{said} ({zone}, {timezone}; {moment.astimezone(ZoneInfo('UTC')):%Y-%m-%dT%H:%M:%SZ})"

    def _zone_city(self, timezone: str, locale: str) -> str | None:
        """ "Berlin time", "Ortszeit New York": the zone's city in this language (CLDR), if it has one."""
        from babel import dates

        if timezone == "UTC" or timezone.startswith("Etc/"):
            return None
        city = dates.get_timezone_location(ZoneInfo(timezone), locale=locale, return_city=True)
        return self.t("zone_time", city=city.rpartition("/")[2]) if city else None

    def greeting(self, name: str, *, salutation: str | None = None, tone: str = "formal") -> str:
        """ "Hello Ann,"; in German by the shop's tone: formal "Guten Tag Frau
        Schmidt," ("Guten Tag Jürgen Schmidt," without a salutation), or
        informal "Hallo Jürgen,". The catalogue's `formal_address` says whom a
        formal greeting names: the first name (English) or the full name."""
        first, surname = name_parts(name)
        if tone == "informal" or self.t("formal_address") == "first_name":
            return self.t("greeting_informal" if tone == "informal" else "greeting", addressee=first)
        if salutation in SALUTATION_KEYS and surname:
            title = self.t(SALUTATION_KEYS[salutation])
            return self.t("greeting", addressee=self.t("salutation_addressee", salutation=title, surname=surname))
        return self.t("greeting", addressee=name)

    def duration(self, minutes: float) -> str:
        """ "45 min", "2 h 12 min", "1 d 20 h": as precise as a person needs."""
        whole = int(minutes)
        days, rest = divmod(whole, 1440)
        hours, mins = divmod(rest, 60)
        if days:
            return (
                self.t("duration_days", days=days, hours=hours) if hours else self.t("duration_whole_days", days=days)
            )
        if hours:
            return (
                self.t("duration_hours", hours=hours, minutes=mins)
                if mins
                else self.t("duration_whole_hours", hours=hours)
            )
        return self.t("duration_minutes", minutes=mins)


def resolve(tag: str | None, shop_locale: str = DEFAULT_LOCALE) -> Language:
    """The customer's BCP 47 tag (`de-DE`, `de`, `en_GB`) when a catalogue
    speaks its language, else the shop's. A bare language that is the shop's
    own takes the shop's region (`en` in an en-GB shop writes 25 November)."""
    default = _parse(DEFAULT_LOCALE)
    assert default is not None  # a well-formed constant
    shop = _parse(shop_locale) or default
    parsed = _parse(tag)
    if parsed is None or parsed[0] not in languages():
        parsed = shop if shop[0] in languages() else default
    code, region = parsed
    if region is None and code == shop[0]:
        region = shop[1]
    return Language(code, f"{code}_{region}" if region else code)


def negotiate(accept_language: str | None, shop_locale: str = DEFAULT_LOCALE) -> Language:
    """A browser's Accept-Language (for pages that know no customer yet): the
    first tag, by preference, that a catalogue speaks."""
    return resolve(customer_tag(accept_language), shop_locale)


def customer_tag(accept_language: str | None) -> str | None:
    """The customer's language from an Accept-Language or Content-Language
    header: their most preferred tag that a catalogue speaks, else their most
    preferred well-formed tag (kept: operators see it), else None."""
    ranked = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        try:
            quality = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            quality = 0.0
        parsed = _parse(tag.strip())
        if quality > 0 and parsed is not None and len(tag.strip()) <= MAX_TAG:
            ranked.append((parsed[0] not in languages(), -quality, position, tag.strip()))
    return min(ranked)[-1] if ranked else None


def _parse(tag: str | None) -> tuple[str, str | None] | None:
    """(language, region or None) of a well-formed tag, else None."""
    if not tag or not _TAG.match(tag.strip()):
        return None
    language, *rest = re.split(r"[-_]", tag.strip())
    region = next(
        (part.upper() for part in rest if (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit())),
        None,
    )
    return language.lower(), region


@lru_cache(maxsize=64)
def _cldr(locale: str) -> str:
    """The locale itself when CLDR knows it (de_AT), else its language (de_XX → de)."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError):
        return locale.partition("_")[0]
    return locale
