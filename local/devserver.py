"""`make run` (`python -m local.devserver`): the whole stack in one foreground process.

moto's server on AWS_PORT (the AWS of the local stage), the Chalice app in
stage `local` on PORT with the dev routes and the local services, and a background tick that, every second, feeds the
table's stream to `on_change` and fires due EventBridge schedules (the mail
retries and the reconciler run once per minute of the dev clock). Ctrl-C stops all of it.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_SESSION_TOKEN": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}
TICK_SECONDS = 1.0


def local_environment(port: int, aws_port: int) -> dict[str, str]:
    """Everything the app reads, pointed at the emulator: no real AWS endpoint is reachable."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"]["local"].get("environment_variables", {}))
    env.update(FAKE_AWS)
    env.update({"AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws_port}", "CARELINE_PUBLIC_URL": f"http://127.0.0.1:{port}"})
    return env


def local_server(app, config, port: int):
    """`chalice local`'s server, ready for a load test: a listen backlog for
    32 clients at once (its default of 5 resets connections) and 405 for a
    method no route has (its default is 501, a server error)."""
    from chalice.local import (
        ChaliceRequestHandler,
        CustomLocalChalice,
        LocalChalice,
        LocalDevServer,
        ThreadedHTTPServer,
    )

    class Server(ThreadedHTTPServer):
        request_queue_size = 128

    class Handler(ChaliceRequestHandler):
        def __getattr__(self, name: str):
            if name.startswith("do_"):
                return self._method_not_allowed
            raise AttributeError(name)

        def _method_not_allowed(self) -> None:
            self.send_response(405)
            self.send_header("Content-Length", "0")
            self.end_headers()

    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)  # as chalice.local.create_local_server does
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, "127.0.0.1", port, handler_cls=Handler, server_cls=Server)


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    aws_port = int(os.environ.get("AWS_PORT", "5000"))
    os.environ.update(local_environment(port, aws_port))
    for name in [k for k in os.environ if k.startswith("AWS_PROFILE") or k == "AWS_CONFIG_FILE"]:
        del os.environ[name]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("werkzeug", "botocore", "urllib3", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    sys.path.insert(0, str(ROOT))

    from local.emulator import SerialisedMotoServer

    emulator = SerialisedMotoServer(ip_address="127.0.0.1", port=aws_port, verbose=False)
    emulator.start()
    emulator.dispatch_in_process()  # this process's own calls skip the socket

    from chalice.cli.factory import CLIFactory

    from local.container import install
    from local.provision import provision, seed
    from local.routes import register
    from local.scheduler import run_due

    services = install()
    provision(services.settings)
    seed(services)  # the stage's demo agents and macros: assignment and answers work from the start
    config = CLIFactory(str(ROOT)).create_config_obj(chalice_stage_name="local")
    api = local_server(register(config.chalice_app), config, port)

    stopping = threading.Event()

    def tick() -> None:
        while not stopping.wait(TICK_SECONDS):
            try:
                for item in run_due(services):
                    logging.info("fired %s", item["schedule"])
            except Exception:
                logging.exception("local scheduler tick failed")

    threading.Thread(target=tick, name="local-scheduler", daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

    base = f"http://127.0.0.1:{port}"
    print(f"AWS emulator   http://127.0.0.1:{aws_port}", flush=True)
    print(f"API            {base}  (stage local)", flush=True)
    print(f"Admin page     {base}/admin", flush=True)
    print(f"Example shop   {base}/shop", flush=True)
    print(f"Dev mailbox    {base}/_dev/mail", flush=True)
    print(f'Dev clock      POST {base}/_dev/clock  {{"advance_minutes": N}}', flush=True)
    print(f"Dev webhooks   {base}/_dev/webhooks  (every event, signed; docs/events.md)", flush=True)
    print(f"Careline ready on {base}", flush=True)
    try:
        api.server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        stopping.set()
        api.server.server_close()
        emulator.stop()
        print("Careline stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
