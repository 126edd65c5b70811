"""One logger, set up once: JSON lines with the level, the Lambda function,
the request id, the ticket id and the event type on every line.

The standard library's logging with a small JSON formatter: botocore
imports `logging` anyway, so structured logs cost no import at cold start
(Powertools' Logger would add its own). Context travels in contextvars, so
a handler binds it once (`bound(...)`) and every line below inherits it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# The fields every line carries (None when not known yet).
FIELDS = ("function", "request_id", "ticket_id", "event")
_context: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("careline_log_context", default={})  # noqa: B039 (never mutated: each change sets a new dict)
_configured = False
# Not "careline": Chalice names its own app logger after the app and sets it to
# ERROR in deployed stages, which would silence every line below it.
ROOT = "careline_app"


def context() -> dict[str, Any]:
    return _context.get()


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Add fields to every log line written inside the block."""
    token = _context.set(_context.get() | {k: v for k, v in fields.items() if v is not None})
    try:
        yield
    finally:
        _context.reset(token)


def current_function() -> str | None:
    """The Lambda function handling this work ("api", "on_change", ...)."""
    return _context.get().get("function")


# Every LogRecord has these; anything else on a record came from `extra`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"level": record.levelname, "logger": record.name, "message": record.getMessage()}
        ambient = _context.get()
        for name in FIELDS:
            line[name] = getattr(record, name, None) or ambient.get(name)
        for name, value in ambient.items():
            line.setdefault(name, value)
        for name, value in record.__dict__.items():  # what the call passed in `extra`
            if name not in _RECORD_ATTRIBUTES:
                line.setdefault(name, value)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def logger(name: str) -> logging.Logger:
    """The project's logger for a module; configures the root handler once."""
    global _configured
    if not _configured:
        _configured = True
        root = logging.getLogger(ROOT)
        if not root.handlers:
            handler = logging.StreamHandler(sys.stdout)
            handler.setFormatter(JsonFormatter())
            root.addHandler(handler)
            root.setLevel(logging.INFO)
            root.propagate = False
    return logging.getLogger(f"{ROOT}.{name.removeprefix('chalicelib.')}")
