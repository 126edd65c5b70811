"""The project's log lines as a deployed function writes them (JSON), for
tests that assert what an operator would read."""

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def log_lines() -> Iterator[list[dict]]:
    from chalicelib.log import ROOT, JsonFormatter, logger

    logger(__name__)  # the project's logging, configured once
    lines: list[dict] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(json.loads(JsonFormatter().format(record)))
    logging.getLogger(ROOT).addHandler(handler)
    try:
        yield lines
    finally:
        logging.getLogger(ROOT).removeHandler(handler)
