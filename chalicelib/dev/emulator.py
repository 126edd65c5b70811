"""The local stage's AWS emulator: moto's server with its request handling
serialised. moto's backends are not thread-safe (a TransactWriteItems under
concurrent requests fails with "dictionary changed size during iteration" and
restores whole-table snapshots over other requests' writes), so one request
at a time goes into moto while the HTTP server still accepts connections
concurrently. Correctness first: the local stack is for people and tests.

moto's TransactWriteItems also deep-copies every table it names, once per
item, before it starts (to roll back on failure), and those copies pile up:
memory grows with the square of the items stored (a few hundred intakes take
gigabytes; 2,000 had the local stack killed for want of memory). Inside this
server, where requests are one at a time, a transaction instead checks every
condition first and writes only when all hold, so nothing needs undoing;
should a write itself fail halfway, the items it touched are put back.

Same start/stop interface as `moto.server.ThreadedMotoServer`.
"""
from __future__ import annotations

import copy
import threading
from typing import Any, Callable, Iterable

_serialised = threading.local()  # set while this server's lock is held: only then the light transactions apply


class SerialisedApp:
    """A WSGI app that lets one request at a time into the wrapped app, and
    reads the whole answer before letting the next one in."""

    def __init__(self, app: Callable) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        with self._lock:
            _serialised.active = True
            try:
                answer = self._app(environ, start_response)
                try:
                    return [b"".join(answer)]
                finally:
                    close = getattr(answer, "close", None)
                    if close is not None:
                        close()
            finally:
                _serialised.active = False


def _install_light_transactions() -> None:
    """Replace moto's TransactWriteItems for requests inside a serialised server (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "light", False):
        return

    def transact_write_items(backend, transact_items: list[dict[str, Any]]) -> None:
        if not getattr(_serialised, "active", False):
            return original(backend, transact_items)
        return _light_transaction(backend, transact_items, original)

    transact_write_items.light = True
    DynamoDBBackend.transact_write_items = transact_write_items


def _light_transaction(backend, transact_items: list[dict[str, Any]], original: Callable) -> None:
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (ConditionalCheckFailed, MockValidationException,
                                          MultipleTransactionsException, TransactionCanceledException,
                                          TooManyTransactionsException, TransactWriteSingleOpException)

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    planned, errors, seen = [], [], set()
    for item in transact_items:  # every condition against the state before the transaction
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"} or op.get("TableName") not in backend.tables:
            return original(backend, transact_items)  # moto's own answer for what this does not cover
        table = backend.get_table(op["TableName"])
        if op_type == "Put":
            attrs = op["Item"]
            key = {table.hash_key_attr: attrs[table.hash_key_attr]}
            if table.range_key_attr is not None:
                key[table.range_key_attr] = attrs[table.range_key_attr]
        else:
            key = op["Key"]
        identity = (op["TableName"], str(dict(sorted(key.items()))))
        if identity in seen:
            raise MultipleTransactionsException()
        seen.add(identity)
        current = backend.get_item(op["TableName"], key)
        failed = None
        if op.get("ConditionExpression") is not None:
            condition = get_filter_expression(op["ConditionExpression"], op.get("ExpressionAttributeNames"),
                                              op.get("ExpressionAttributeValues"))
            if not condition.expr(current):
                old = (current.to_json()["Attributes"] if current is not None and
                       op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" else None)
                failed = ("ConditionalCheckFailed", ConditionalCheckFailed(item=old).message, old)
        errors.append(failed or (None, None, None))
        planned.append((op_type, op, key, copy.deepcopy(current)))
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    done = []
    try:
        for op_type, op, key, before in planned:
            names, values = op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            if op_type == "Put":
                backend.put_item(op["TableName"], op["Item"], expression_attribute_names=names,
                                 expression_attribute_values=values)
            elif op_type == "Delete":
                backend.delete_item(op["TableName"], key, expression_attribute_names=names,
                                    expression_attribute_values=values)
            elif op_type == "Update":
                backend.update_item(op["TableName"], key, update_expression=op["UpdateExpression"],
                                    expression_attribute_names=names, expression_attribute_values=values)
            done.append((op["TableName"], key, before))
    except Exception as error:  # a write that moto refuses (an invalid update expression): undo the others
        for table_name, key, before in reversed(done):
            if before is None:
                backend.delete_item(table_name, key)
            else:
                backend.put_item(table_name, before.to_json()["Attributes"])
        if isinstance(error, MockValidationException):
            raise  # as moto answers it: a ValidationException, not a cancellation
        raise TransactionCanceledException(
            [(type(error).__name__, str(error), None) if i == len(done) else (None, None, None)
             for i in range(len(planned))]) from error


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
        from moto.moto_server.werkzeug_app import (DomainDispatcherApplication, MotoRequestHandler,
                                                   create_backend_app)
        from werkzeug.serving import make_server

        try:
            _install_light_transactions()
            app = SerialisedApp(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(self._ip_address, self._port, app, threaded=True,
                                       request_handler=MotoRequestHandler)
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
