"""The local emulator's transactions at the cost of what they touch.

moto 5.2's TransactWriteItems deep-copies every table it touches before it
starts, to roll back on a failure: with a few thousand tickets that is most
of a second per transaction, and a load test never ends. This keeps moto's
own transaction code and swaps only its snapshot: the items the transaction
names (and the length of the table's stream) are saved and, on a rollback,
put back as they were. Local stage and tests only; checked by
tests/test_emulator_transactions.py against moto's own semantics."""
from __future__ import annotations

import contextvars
import copy as _copy
import threading
import types
from typing import Any

_touched: contextvars.ContextVar[dict[str, list[dict[str, Any]]]] = contextvars.ContextVar("touched", default={})
_installed = threading.Lock()


class _Snapshot:
    """What one table looked like where a transaction writes."""

    def __init__(self, table: Any, keys: list[dict[str, Any]]) -> None:
        from moto.dynamodb.models.dynamo_type import DynamoType

        self.table = table
        self.saved = []
        for key in keys:
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            self.saved.append((hash_value, range_value, _copy.deepcopy(table.get_item(hash_value, range_value))))
        self.stream_length = len(table.stream_shard.items) if table.stream_shard is not None else None

    def restore(self) -> None:
        for hash_value, range_value, item in self.saved:
            if range_value is None:
                if item is None:
                    self.table.items.pop(hash_value, None)
                else:
                    self.table.items[hash_value] = item
                continue
            collection = self.table.items.get(hash_value)
            if item is None:
                if collection is not None:
                    collection.pop(range_value, None)
            else:
                self.table.items[hash_value][range_value] = item
        if self.stream_length is not None:
            del self.table.stream_shard.items[self.stream_length:]


class _Tables(dict):
    """The backend's tables; a snapshot put back is restored in place."""

    def __setitem__(self, name: str, value: Any) -> None:
        if isinstance(value, _Snapshot):
            value.restore()
            return
        super().__setitem__(name, value)


class _CopyModule(types.ModuleType):
    """moto's `copy` inside its DynamoDB backend: a table snapshot is the
    touched items only; everything else as the real module does."""

    def __init__(self) -> None:
        super().__init__("copy")

    def __getattr__(self, name: str) -> Any:
        return getattr(_copy, name)

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        if isinstance(value, Table):
            return _Snapshot(value, _touched.get().get(value.name, []))
        return _copy.deepcopy(value, memo)


def install() -> None:
    """Patch the DynamoDB backend class once per process (idempotent)."""
    from moto.dynamodb import models

    with _installed:
        if getattr(models.DynamoDBBackend, "_careline_light_transactions", False):
            return
        original = models.DynamoDBBackend.transact_write_items
        models.copy = _CopyModule()

        def transact_write_items(self, transact_items: list[dict[str, Any]]) -> None:
            if not isinstance(self.tables, _Tables):
                self.tables = _Tables(self.tables)
            touched: dict[str, list[dict[str, Any]]] = {}
            for item in transact_items:
                (_, op), = item.items()
                name = op.get("TableName")
                if name not in self.tables:
                    continue
                table = self.tables[name]
                if "Key" in op:
                    key = op["Key"]
                else:
                    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
                    key = {n: op["Item"][n] for n in names if n in op.get("Item", {})}
                touched.setdefault(name, []).append(key)
            token = _touched.set(touched)
            try:
                return original(self, transact_items)
            finally:
                _touched.reset(token)

        models.DynamoDBBackend.transact_write_items = transact_write_items
        models.DynamoDBBackend._careline_light_transactions = True
