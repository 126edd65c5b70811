"""Text hygiene: what a valid name, subject, message and address is, and how
text from outside (an inbound email's headers and body) is made plain before
it is stored. One home for these rules: the request schemas' formats
(`domain/formats.py`), the inquiry, inbound mail and the rate limits use them.

Garbage never stored: characters nobody types that break or forge an email
header (Python's email package treats every `str.splitlines()` boundary as a
line break), spoof what a reader sees (bidi overrides), cannot be encoded at
all (a lone surrogate from JSON's "\\ud800", which DynamoDB and SES refuse
forever), or say nothing (a name of zero-width joiners only).
  Cc  control characters (NUL, ESC, VT, FF, 0x1C-0x1F, DEL, NEL and the C1 set)
  Cf  invisible format characters, except the two joiners that names and emoji
      need: ZWNJ (Persian, Indic scripts) and ZWJ (emoji sequences)
  Zl, Zp  Unicode line and paragraph separators
  Cs  lone surrogates
  U+FFFD  what a decoder writes for bytes it could not read: the text was
      damaged on its way (and a form post's bad bytes are refused, not replaced)
"""

from __future__ import annotations

import re
import unicodedata

_JOINERS = {"\u200c", "\u200d"}
_MULTILINE_ALLOWED = {"\t", "\n", "\r", "\u0085", "\u2028", "\u2029"}
REPLACEMENT = "\ufffd"  # what a decoder writes for bytes it could not read


def forbidden_characters(value: str, *, multiline: bool) -> list[str]:
    """The characters of `value` that a field of this kind refuses, in order,
    each once. One-line fields (anything that may reach a header) refuse every
    line break; multi-line text keeps tabs and line breaks."""
    if value.isprintable() and REPLACEMENT not in value:  # the common case, decided in C
        return []
    found: dict[str, None] = {}
    for character in value:
        if character == REPLACEMENT:
            found[character] = None
        if character in found or character.isprintable():
            continue  # only C* and Z* (other than the space) are not printable: look closer at those
        category = unicodedata.category(character)
        if category == "Zs" or character in _JOINERS:
            continue
        if multiline and character in _MULTILINE_ALLOWED:
            continue
        if category in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            found[character] = None
    return list(found)


def describe(character: str) -> str:
    """U+2028 (LINE SEPARATOR): how an error names a character it cannot show."""
    name = unicodedata.name(character, "") or {"Cc": "control character", "Cs": "lone surrogate"}.get(
        unicodedata.category(character), "invisible character"
    )
    return f"U+{ord(character):04X} ({name})"


def visible(value: str) -> bool:
    """Whether a person would see anything: a letter, digit, punctuation
    mark or symbol (an emoji is one), not only spaces, joiners or marks."""
    return any(unicodedata.category(c)[0] in "LNPS" for c in value)


def is_line(value: str) -> bool:
    """One line of text a person wrote: empty, or something visible and no
    character from the list above."""
    return not forbidden_characters(value, multiline=False) and (not value or visible(value))


def is_text(value: str) -> bool:
    """Text of one or more lines: as a line, but tabs and line breaks allowed."""
    return not forbidden_characters(value, multiline=True) and (not value or visible(value))


# Dot-atom local part and a dotted DNS domain: what SES accepts as a recipient.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")


def is_email(value: object) -> bool:
    """A plain ASCII address on one line. Not one with `=?` in it: mail
    software reads `=?utf-8?q?a?=@example.com` as an RFC 2047 encoded word,
    and SES refuses to send to it (every retry of its acknowledgement)."""
    if not isinstance(value, str) or len(value) > 254 or "=?" in value:
        return False
    local, _, _ = value.partition("@")
    # fullmatch: `$` would also match before a trailing newline.
    return len(local) <= 64 and _EMAIL.fullmatch(value) is not None


# Mailbox providers that ignore dots in the local part of their addresses
# (Gmail says so in its help; googlemail.com is the same mailboxes). Other
# providers' dots are significant: a.b@ and ab@ may be two people.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox(address: str) -> str:
    """One form per mailbox, for comparing addresses and keying rate limits:
    lower case, without a +tag (ann+shop@ is ann@), and for the providers in
    DOTLESS_DOMAINS without dots (a.n.n@gmail.com is ann@gmail.com). Never
    stored or written to: the customer's address stays as they gave it."""
    local, _, domain = address.strip().lower().rpartition("@")
    if not local:
        return domain
    local = local.partition("+")[0]
    if domain in DOTLESS_DOMAINS:
        local, domain = local.replace(".", ""), DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"


# Outside text: an inbound mail's name, subject and words, as its sender's
# software wrote them. Nobody can be asked to send it again, so it is made
# plain instead of refused: what the list above forbids goes, whitespace folds
# in a line.
_WHITESPACE = re.compile(r"\s+")
_LINE_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def plain_line(value: str) -> str:
    """One line: every run of whitespace (line breaks too) one space."""
    folded = _WHITESPACE.sub(" ", value)
    return "".join(c for c in folded if c not in _strip(folded, multiline=False)).strip()


def plain_text(value: str) -> str:
    """Lines: line breaks of every kind become \\n; tabs stay."""
    lines = _LINE_BREAKS.sub("\n", value)
    return "".join(c for c in lines if c not in _strip(lines, multiline=True))


def _strip(value: str, *, multiline: bool) -> set[str]:
    return set(forbidden_characters(value, multiline=multiline))
