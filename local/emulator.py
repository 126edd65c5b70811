"""The local stage's AWS emulator: moto's server with its request handling
serialised. moto's backends are not thread-safe (a TransactWriteItems under
concurrent requests fails with "dictionary changed size during iteration" and
restores whole-table snapshots over other requests' writes), so one request
at a time goes into moto while the HTTP server still accepts connections
concurrently. Correctness first: the local stack is for people and tests.

moto's TransactWriteItems also deep-copies every table it names, once per
item, before it starts (to roll back on failure), and those copies pile up:
memory grows with the square of the items stored (a few hundred intakes take
gigabytes; 2,000 had the local stack killed for want of memory). This server
installs local/moto_patches.py, which snapshots only the items a
transaction names and reads a key query's partition alone.

Same start/stop interface as `moto.server.ThreadedMotoServer`. The process
that runs it can also send its own AWS calls straight to the same app
(`dispatch_in_process`): `make run` does, a third less work per call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from .moto_patches import install as install_moto_patches


class SerialisedApp:
    """A WSGI app that lets one request at a time into the wrapped app, and
    reads the whole answer before letting the next one in."""

    def __init__(self, app: Callable) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        with self._lock:
            answer = self._app(environ, start_response)
            try:
                return [b"".join(answer)]
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()


class SerialisedMotoServer:
    """moto's server on a background thread, one request at a time inside."""

    def __init__(self, ip_address: str = "127.0.0.1", port: int = 5000, verbose: bool = False) -> None:
        self._ip_address = ip_address
        self._port = port
        self._verbose = verbose
        self._server = None
        self._app: SerialisedApp | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None

    def _serve(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        try:
            install_moto_patches()
            self._app = SerialisedApp(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(
                self._ip_address, self._port, self._app, threaded=True, request_handler=MotoRequestHandler
            )
        except (OSError, SystemExit) as error:  # werkzeug exits when the port is taken: say so in start()
            self._failed = error
            self._ready.set()
            return
        self._ready.set()
        self._server.serve_forever()

    def start(self) -> None:
        if self._verbose:
            print(f"Starting the AWS emulator on {self._ip_address}:{self._port} (serialised)")
        self._thread = threading.Thread(target=self._serve, name="aws-emulator", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._failed is not None:
            raise OSError(f"the AWS emulator cannot listen on {self._ip_address}:{self._port}") from self._failed

    def get_host_and_port(self) -> tuple[str, int]:
        assert self._server is not None, "Make sure to call start() first"
        host, port = self._server.server_address[:2]
        return str(host), port

    def dispatch_in_process(self) -> None:
        """From now on, every botocore session this process makes hands the
        requests its clients address to this emulator straight to the app, in
        the calling thread: no socket and no server thread on the way, the
        same app, lock and state as the socket serves (the browser uploads
        there). Call it before the first client is made."""
        from botocore.handlers import BUILTIN_HANDLERS

        BUILTIN_HANDLERS.append(("before-send", self._send))

    def _send(self, request: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse
        from moto.core.botocore_stubber import MockRawResponse
        from werkzeug.test import EnvironBuilder

        url = urlsplit(request.url)
        app = self._app
        if app is None or (url.hostname, url.port) != (self._ip_address, self._port):
            return None  # not ours (or stopped): botocore sends it
        body = request.body
        if hasattr(body, "read"):
            body = body.read()
        elif body is not None and not isinstance(body, (bytes, str)):
            body = b"".join(body)  # a chunked upload's parts
        headers = [(k, v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()]
        environ = EnvironBuilder(
            method=request.method,
            base_url=f"{url.scheme}://{url.netloc}",
            path=url.path,
            query_string=url.query,
            headers=headers,
            data=body or b"",
        ).get_environ()
        answer: dict[str, Any] = {}

        def start_response(status: str, response_headers: list, exc_info: Any = None) -> None:
            answer["status"], answer["headers"] = int(status.split()[0]), dict(response_headers)

        content = b"".join(app(environ, start_response))
        return AWSResponse(request.url, answer["status"], answer["headers"], MockRawResponse(content))

    def stop(self) -> None:
        self._app = None
        self._ready.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
