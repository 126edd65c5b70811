"""An email as MIME, its headers built only from `email.headerregistry`
objects (Address, Group) under a policy that refuses line breaks, and
written out by Careline's own folding: names and subjects are plain text,
never read as RFC 2047 encoded words.

Why not the standard library's folding: it parses the string form of every
header again, and Python 3.11 and 3.12 decode an encoded word found there
(`=?utf-8?q?Evil=0D=0ABcc:_x@evil.example?=` in a customer's name became a
real Bcc: line), while 3.13 still lets a decoded `<boss@shop.example>` out as
an address. Here a header's value is what Careline meant: a display name that
is not plain words goes out as encoded words Careline wrote, which a mail
client decodes back to exactly that text.

Standard library only: the tests run this module under every Python from
3.11 to 3.14 they find (tests/integration/test_header_injection.py)."""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from email.headerregistry import Address, AddressHeader, BaseHeader, Group, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy
from typing import Any, Protocol
from urllib.parse import quote

# What a header may be given: plain text, or (for the address headers) Address
# and Group objects. A string is never parsed as addresses.
HeaderValue = str | Address | Group | Sequence[Address | Group]

ADDRESS_HEADERS = ("from", "to", "cc", "bcc", "reply-to", "sender")
MESSAGE_ID_HEADERS = ("message-id", "in-reply-to", "references")
# Written by `to_mime` itself or by the MIME structure: an email's own headers may not set them.
WRITTEN_HERE = frozenset({"from", "to", "reply-to", "subject", "date", "message-id", "mime-version", "bcc"})
MAX_LINE = 78  # RFC 5322's SHOULD; no line ever nears its MUST of 998

_FIELD_NAME = re.compile(r"[!-9;-~]+")  # printable ASCII but the colon (RFC 5322 ftext)
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}")
_MESSAGE_ID = re.compile(r"<[!-;=?-~]+>")  # printable ASCII, no angle brackets inside
# Words that go out as they are: atoms (no "=" or "?", so never an encoded
# word), none longer than a line can carry comfortably.
_PLAIN_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/^_`{|}~-]{1,60}(?: [A-Za-z0-9!#$%&'*+/^_`{|}~-]{1,60})*")
_QUOTABLE = re.compile(r"[ !#-\[\]-~]{1,70}")  # printable ASCII but " and \\: a quoted string as it is
_PLAIN_TEXT = re.compile(r"[ -~]*")
_Q_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")  # RFC 2047 5(3)
_ENCODED_WORD_MAX = 75


class HeaderRefused(ValueError):
    """A header value Careline will not write: a line break or control
    character, a string where addresses belong, an address no mail system takes."""


class Email(Protocol):
    """What is sent: the views compose it."""

    @property
    def to_address(self) -> str: ...
    @property
    def to_name(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, HeaderValue]: ...
    @property
    def cc(self) -> Sequence[str]: ...  # copied addresses (plain, never parsed)


def mailbox(display_name: str, address: str) -> Address:
    """An Address built from its parts, never by parsing `address` (the
    standard library's parser decodes an encoded word in a local part)."""
    local, at, domain = address.rpartition("@")
    if not at:
        raise HeaderRefused(f"not an address: {address!r}")
    return Address(_checked(display_name, "a display name"), username=local, domain=domain)


def to_mime(
    email: Email,
    *,
    sender: str,
    sender_name: str,
    reply_to: str,
    message_id: str,
    date: datetime,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """The message as SES sends it; `attachments`: (file name, content type,
    bytes). HeaderRefused (a ValueError) for what cannot be written safely."""
    message = EmailMessage(policy=POLICY)
    message["From"] = mailbox(sender_name, sender)
    message["To"] = mailbox(email.to_name, email.to_address)
    if email.cc:
        message["Cc"] = tuple(mailbox("", address) for address in email.cc)
    message["Reply-To"] = mailbox("", reply_to)
    message["Subject"] = email.subject
    message["Date"] = date
    message["Message-ID"] = message_id
    for name, value in email.headers.items():
        if not _FIELD_NAME.fullmatch(name) or name.lower() in WRITTEN_HERE or name.lower().startswith("content-"):
            raise HeaderRefused(f"an email may not set the header {name!r}")
        message[name] = value
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    for name, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        if maintype == "message":  # a forwarded email travels as a file, not as a nested message
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(data, maintype=maintype, subtype=subtype)
        *_, part = message.iter_attachments()
        part.replace_header("Content-Disposition", ("attachment", name))  # not set_param's: it decodes
    return message.as_bytes()


# The header classes. The registry mixes each with BaseHeader again (harmless:
# one class in the MRO); deriving from it here says what they are.


class _Addresses(AddressHeader, BaseHeader):
    """From, To, Cc, Reply-To: only Address and Group objects, each checked."""

    max_count = 1

    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        items = [value] if isinstance(value, (Address, Group)) else value
        if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
            raise HeaderRefused("an address header takes email.headerregistry Address or Group objects, not text")
        groups = []
        for item in items:
            if isinstance(item, Address):
                groups.append(Group(None, [item]))
            elif isinstance(item, Group):
                groups.append(item)
            else:
                raise HeaderRefused(f"not an Address or Group: {item!r}")
        for group in groups:
            if group.display_name is not None:
                _checked(group.display_name, "a group's name")
            for address in group.addresses:
                _check_address(address)
        if not groups:
            raise HeaderRefused("an address header needs an address")
        kwds["groups"] = groups
        kwds["decoded"] = ", ".join(str(group) for group in groups)
        kwds["parse_tree"] = None  # never parsed back from text: `fold` writes the objects

    def init(self, *args: Any, **kw: Any) -> None:  # AddressHeader's (it takes the groups), as both bases type it
        AddressHeader.init(self, *args, **kw)

    def fold(self, *, policy: Any) -> str:
        entries = []
        for group in self.groups:
            members = _listed([[*_phrase(a.display_name), f"<{a.username}@{a.domain}>"] for a in group.addresses])
            if group.display_name is None:
                entries.append(members)
            else:  # `name: member, member;`
                entry = _phrase(group.display_name) or ['""']
                entries.append([*entry[:-1], entry[-1] + ":", *members])
                entries[-1][-1] += ";"
        return _folded(self.name, _listed(entries), policy)


class _Text(UnstructuredHeader, BaseHeader):
    """Subject and any header not named otherwise: plain text as written."""

    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        if not isinstance(value, str):
            raise HeaderRefused(f"a text header takes a string, not {type(value).__name__}")
        kwds["decoded"] = _checked(value, "a header")
        kwds["parse_tree"] = None

    def fold(self, *, policy: Any) -> str:
        text = str(self)
        if _PLAIN_TEXT.fullmatch(text) and "=?" not in text and all(len(w) <= 70 for w in text.split(" ")):
            tokens = text.split(" ")  # folded at spaces: unfolding gives the same text back
        else:
            tokens = _encoded_words(text, first=MAX_LINE - len(self.name) - 2)
        return _folded(self.name, tokens, policy)


class _UniqueText(_Text):
    max_count = 1


class _MessageIds(UnstructuredHeader, BaseHeader):
    """Message-ID, In-Reply-To, References: <id> tokens only."""

    max_count = 1

    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        ids = value.split(" ") if isinstance(value, str) else None
        if not ids or not all(_MESSAGE_ID.fullmatch(i) for i in ids):
            raise HeaderRefused(f"not a list of message ids: {value!r}")
        kwds["decoded"] = " ".join(ids)
        kwds["parse_tree"] = None

    def fold(self, *, policy: Any) -> str:
        return _folded(self.name, str(self).split(" "), policy)


class _Disposition(UnstructuredHeader, BaseHeader):
    """Content-Disposition: `attachment` (or `inline`), and a file's name as
    written: quoted when plain, else RFC 2231's percent-encoding, never an
    encoded word (the standard library decodes one in a quoted file name,
    line breaks and all, and writes it out so)."""

    max_count = 1

    @classmethod
    def parse(cls, value: Any, kwds: dict[str, Any]) -> None:
        kind, filename = (value, None) if isinstance(value, str) else value
        if kind not in ("attachment", "inline") or not isinstance(filename, (str, type(None))):
            raise HeaderRefused(f"not a disposition: {value!r}")
        kwds["filename"] = None if filename is None else _checked(filename, "a file name")
        kwds["decoded"] = kind if filename is None else f"{kind}; filename={filename}"
        kwds["parse_tree"] = None

    def init(self, *args: Any, **kw: Any) -> None:
        self._filename = kw.pop("filename")
        super().init(*args, **kw)

    def fold(self, *, policy: Any) -> str:
        kind = str(self).partition(";")[0]
        name: str | None = self._filename
        if name is None:
            return _folded(self.name, [kind], policy)
        if _QUOTABLE.fullmatch(name) and "=?" not in name:
            return _folded(self.name, [f"{kind};", f'filename="{name}"'], policy)
        encoded = "utf-8''" + quote(name, safe="")
        sections = re.findall(r"(?:%[0-9A-F]{2}|[^%]){1,60}", encoded)  # split at whole %XX escapes
        if len(sections) == 1:
            return _folded(self.name, [f"{kind};", f"filename*={encoded}"], policy)
        params = [f"filename*{i}*={section}" for i, section in enumerate(sections)]
        return _folded(self.name, [f"{kind};", *[f"{p};" for p in params[:-1]], params[-1]], policy)


def _registry() -> HeaderRegistry:
    registry = HeaderRegistry(default_class=_Text)
    for name in ADDRESS_HEADERS:
        registry.map_to_type(name, _Addresses)
    for name in MESSAGE_ID_HEADERS:
        registry.map_to_type(name, _MessageIds)
    registry.map_to_type("subject", _UniqueText)
    registry.map_to_type("content-disposition", _Disposition)
    return registry


class _Policy(EmailPolicy):
    """SMTP's (CRLF line ends, Python's own check that a text value has no
    line break) with the header classes above, each refusing one in
    anything it is given; every refusal a HeaderRefused."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        try:
            stored: tuple[str, Any] = super().header_store_parse(name, value)
        except HeaderRefused:
            raise
        except ValueError as error:
            raise HeaderRefused(f"{name}: {error}") from error
        return stored


POLICY = _Policy(linesep="\r\n", header_factory=_registry())


# Writing.


def _checked(text: str, what: str) -> str:
    """The text, if it has nothing that ends a line or is no character."""
    if not text.isprintable():
        for character in text:
            if unicodedata.category(character) in ("Cc", "Cs", "Zl", "Zp"):
                raise HeaderRefused(f"{what} may not contain U+{ord(character):04X}")
    return text


def _check_address(address: Address) -> None:
    _checked(address.display_name, "a display name")
    if not _LOCAL_PART.fullmatch(address.username) or "=?" in address.username:
        raise HeaderRefused(f"not a plain local part: {address.username!r}")
    if not _DOMAIN.fullmatch(address.domain):
        raise HeaderRefused(f"not a plain domain: {address.domain!r}")


def _phrase(display_name: str) -> list[str]:
    """A display name's words as they go out: plain words as they are,
    anything else as encoded words."""
    if not display_name:
        return []
    if _PLAIN_PHRASE.fullmatch(display_name):
        return display_name.split(" ")
    if _QUOTABLE.fullmatch(display_name) and "=?" not in display_name:
        return [f'"{display_name}"']  # "Lee, Ann": readable as it is
    return _encoded_words(display_name)


def _encoded_words(text: str, first: int = _ENCODED_WORD_MAX) -> list[str]:
    """RFC 2047 encoded words of UTF-8, at most 75 characters each (the
    first fitting in `first`), each holding whole characters: Q encoding,
    or B where that needs fewer words. A decoder joins adjacent encoded
    words and ignores the space between them."""
    q = _split(text, first, "q", lambda c: "_" if c == " " else c if c in _Q_SAFE else _hex(c))
    b = _split(text, first, "b", lambda c: c)
    return b if len(b) < len(q) else q


def _hex(character: str) -> str:
    return "".join(f"={byte:02X}" for byte in character.encode("utf-8"))


def _split(text: str, first: int, encoding: str, piece: Callable[[str], str]) -> list[str]:
    words: list[str] = []
    current = ""

    def word(chunk: str) -> str:
        encoded = base64.b64encode(chunk.encode("utf-8")).decode() if encoding == "b" else chunk
        return f"=?utf-8?{encoding}?{encoded}?="

    for character in text:
        candidate = current + piece(character)
        room = min(first if not words else _ENCODED_WORD_MAX, _ENCODED_WORD_MAX)
        if current and len(word(candidate)) > room:
            words.append(word(current))
            candidate = piece(character)
        current = candidate
    if current:
        words.append(word(current))
    return words


def _listed(items: list[list[str]]) -> list[str]:
    """The items' tokens in a row, a comma after each item but the last."""
    tokens: list[str] = []
    for i, item in enumerate(items):
        tokens += item
        if i < len(items) - 1:
            tokens[-1] += ","
    return tokens


def _folded(name: str, tokens: Sequence[str], policy: Any) -> str:
    """`Name: token token` in lines of at most MAX_LINE characters where the
    tokens allow, each next line starting with a space (folding whitespace)."""
    lines, line = [], f"{name}:"
    for token in tokens:
        if len(line) + 1 + len(token) > MAX_LINE and line != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + token
    lines.append(line)
    linesep: str = policy.linesep
    return linesep.join(lines) + linesep
