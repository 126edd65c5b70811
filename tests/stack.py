"""Starting the `make run` stack for end-to-end tests, on free ports."""

import ipaddress
import os
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loopback_only(base: str) -> str:
    """The base URL, if it is on this machine's loopback; load and fuzz traffic goes nowhere else."""
    host = urlsplit(base).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"refusing to send test traffic to {base}: only loopback addresses are allowed")
    return base.rstrip("/")


READY = "Careline ready on "  # local/devserver.py's line once the stack answers


@contextmanager
def running_stack(env: dict[str, str] | None = None):
    """`make run` as a newcomer starts it (plus `env`, e.g. CARELINE_RATE_LIMITS=off);
    yields its base URL and process."""
    port, aws_port = free_port(), free_port()
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CARELINE_"))}
    env |= {"PORT": str(port), "AWS_PORT": str(aws_port)} | extra
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    # The devserver's own line: a first run's install echoes "Requirement already satisfied".
    lines, deadline = [], time.monotonic() + 120
    for line in process.stdout:
        lines.append(line)
        if line.startswith(READY) or time.monotonic() > deadline:
            break
    assert any(line.startswith(READY) for line in lines), "".join(lines)
    # Keep reading its output: a full pipe would block the stack's logging, and with it the stack.
    recent: deque[str] = deque(lines, maxlen=500)
    threading.Thread(target=recent.extend, args=(process.stdout,), daemon=True).start()
    try:
        yield {"base": f"http://127.0.0.1:{port}", "process": process, "ports": (port, aws_port), "output": recent}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def own_stack(env: dict[str, str] | None = None):
    """A test module's own `make run` stack as its `stack` fixture (`stack = own_stack()`),
    for tests that stop it or need settings the run's shared one has not."""

    @pytest.fixture(scope="module")
    def stack():
        """This module's own `make run` stack: its base URL, process and output."""
        with running_stack(env) as running:
            yield running

    return stack


_shared: dict | None = None
_shared_context = None


def shared_stack() -> dict:
    """One `make run` stack for every browser test of the run (started on
    first use, stopped when the run ends): starting one takes most of a test's time."""
    global _shared, _shared_context
    if _shared is None:
        import atexit

        _shared_context = running_stack()
        _shared = _shared_context.__enter__()
        atexit.register(_shared_context.__exit__, None, None, None)
    return _shared
