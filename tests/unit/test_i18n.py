"""Languages: one catalogue file per language, complete and consistent; a
customer's tag picks the language, anything else gets the shop's."""

import json
import re
from datetime import UTC, datetime

import pytest

from chalicelib.views import i18n
from chalicelib.views.i18n import catalogue, languages, negotiate, placeholders, resolve
from tests.conftest import ROOT

SOURCE = "\n".join(p.read_text() for p in (ROOT / "chalicelib").rglob("*.py"))


def test_english_and_german_ship_and_a_language_is_one_file():
    assert {"en", "de"} <= languages()
    assert sorted(p.name for p in i18n.LOCALES_DIR.iterdir()) == sorted(f"{code}.json" for code in languages())


@pytest.mark.parametrize("code", sorted(languages()))
def test_every_catalogue_has_exactly_the_reference_keys_and_placeholders(code):
    reference, this = catalogue(i18n.REFERENCE_LANGUAGE), catalogue(code)
    assert set(this) - set(reference) == set(), "keys nobody uses"
    assert set(reference) - set(this) == set(), "keys this language misses"
    for key, text in this.items():
        assert type(text) is type(reference[key]) and text, key
        if isinstance(text, str):
            assert placeholders(text) == placeholders(reference[key]), key
        else:
            assert all(isinstance(word, str) and word.strip() for word in text), key


def test_every_reference_key_is_used_by_the_code():
    unused = [
        key for key in catalogue(i18n.REFERENCE_LANGUAGE) if f'"{key}"' not in SOURCE and f"'{key}'" not in SOURCE
    ]
    assert unused == []


def test_catalogues_are_valid_utf8_json_without_duplicate_keys():
    def no_duplicates(pairs):
        keys = [k for k, _ in pairs]
        assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]
        return dict(pairs)

    for path in i18n.LOCALES_DIR.glob("*.json"):
        json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_duplicates)


@pytest.mark.parametrize(
    "tag,shop,expected",
    [
        ("de-DE", "en-GB", ("de", "de_DE")),
        ("de", "en-GB", ("de", "de")),
        ("de-at", "en-GB", ("de", "de_AT")),
        ("de_CH", "en-GB", ("de", "de_CH")),
        ("de-Latn-DE", "en-GB", ("de", "de_DE")),
        ("en-US", "de-DE", ("en", "en_US")),
        ("en", "en-GB", ("en", "en_GB")),
        ("de", "de-AT", ("de", "de_AT")),
        ("fr-FR", "de-DE", ("de", "de_DE")),
        (None, "de-DE", ("de", "de_DE")),
        ("", "en-GB", ("en", "en_GB")),
        ("x", "en-GB", ("en", "en_GB")),
        ("<script>", "en-GB", ("en", "en_GB")),
        ("de-DE", "fr-FR", ("de", "de_DE")),
        (None, "fr-FR", ("en", "en_GB")),
    ],
)
def test_a_tag_picks_a_language_with_a_catalogue_else_the_shops(tag, shop, expected):
    language = resolve(tag, shop)
    assert (language.code, language.locale) == expected


def test_a_region_cldr_does_not_know_still_writes_its_language():
    moment = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert resolve("de-XX").when(moment, "Europe/Berlin").startswith("Mittwoch, 25. November 2026 um 10:00")


@pytest.mark.parametrize(
    "header,code",
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("fr-FR,fr;q=0.9,de;q=0.5", "de"),
        ("en;q=0.2,de;q=0.9", "de"),
        ("fr", "en"),
        (None, "en"),
        ("de;q=0", "en"),
        ("de;q=abc,en", "en"),
    ],
)
def test_a_browsers_accept_language_picks_the_best_spoken_language(header, code):
    assert negotiate(header).code == code


@pytest.mark.parametrize(
    "minutes,en,de",
    [
        (0, "0 min", "0 Min."),
        (59.9, "59 min", "59 Min."),
        (60, "1 h", "1 Std."),
        (132, "2 h 12 min", "2 Std. 12 Min."),
        (1440, "1 d", "1 Tg."),
        (2652, "1 d 20 h", "1 Tg. 20 Std."),
    ],
)
def test_durations_read_as_a_person_would_say_them(minutes, en, de):
    assert (resolve("en").duration(minutes), resolve("de").duration(minutes)) == (en, de)


def test_no_catalogue_text_holds_markup():
    """Texts are plain; HTML is made by escaping them, so a translator cannot break a page."""
    for code in languages():
        for key, text in catalogue(code).items():
            for item in [text] if isinstance(text, str) else text:
                assert not re.search(r"[<>&]", item), (code, key)
