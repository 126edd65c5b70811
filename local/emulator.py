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

Same start/stop interface as `moto.server.ThreadedMotoServer`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

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
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None

    def _serve(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        try:
            install_moto_patches()
            app = SerialisedApp(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(
                self._ip_address, self._port, app, threaded=True, request_handler=MotoRequestHandler
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

    def stop(self) -> None:
        self._ready.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
