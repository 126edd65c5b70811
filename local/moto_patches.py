"""The local emulator at a cost that does not grow with the data (moto 5.2),
so a `make run` stack holding weeks of tickets, or a load test, answers at once.

- Transactions: moto's TransactWriteItems deep-copies every table it touches
  before it starts, to roll back on a failure: with a few thousand tickets
  that is most of a second per transaction. moto's own transaction code
  stays; only its snapshot changes: the items the transaction names (and the
  length of the table's stream) are saved and, on a rollback, put back.
- Partition queries: moto answers a Query on a table's own key by sorting
  every item of the table; here it reads the partition.
- Answers: moto writes every DynamoDB attribute value it returns by walking
  the service model through it, though it keeps them in their wire form
  already (binary values as bytes); here they are written as kept. Its server lists its own package
  folder for every request; here once.

Local stage and tests only; tests/integration/test_emulator_transactions.py,
tests/integration/test_emulator_answers.py and tests/integration/test_demo.py
check each against moto's own answers."""

from __future__ import annotations

import base64
import contextvars
import copy as _copy
import threading
import types
from typing import Any

_touched: contextvars.ContextVar[dict[str, list[dict[str, Any]]]] = contextvars.ContextVar(
    "touched",
    default={},  # noqa: B039 (never mutated: each transaction sets its own)
)
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
            del self.table.stream_shard.items[self.stream_length :]


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


_PARTITION: contextvars.ContextVar[Any] = contextvars.ContextVar("partition", default=None)


def install() -> None:
    """Patch moto's DynamoDB backend once per process (idempotent)."""
    _transactions()
    _partition_queries()
    _attribute_values()
    _module_list()


def _wire(value: Any) -> Any:
    """An attribute value as JSON carries it: binary values (kept as bytes) in base64."""
    if isinstance(value, dict):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value


def _module_list() -> None:
    """moto's server lists its own package folder (some 200 stat calls) for
    every request it dispatches; the folder does not change while it runs."""
    from moto import backends

    with _installed:
        original = backends.list_of_moto_modules
        if getattr(original, "_careline", False):
            return
        listed = tuple(original())

        def list_of_moto_modules():
            return listed

        list_of_moto_modules._careline, list_of_moto_modules.moto = True, original
        backends.list_of_moto_modules = list_of_moto_modules


def _attribute_values() -> None:
    """moto keeps DynamoDB attribute values in their wire form ({"S": ...},
    {"M": {...}}), then walks the service model through every one of them to
    write an answer: most of the time a GetItem, Query or stream read takes.
    Here an attribute value is written as it is kept."""
    from moto.core.serialize import BaseJSONSerializer

    with _installed:
        original = BaseJSONSerializer._serialize
        if getattr(original, "_careline", False):
            return

        def _serialize(self, serialized, value, shape, key):
            if shape.name == "AttributeValue" and isinstance(value, dict):
                serialized[self.get_serialized_name(shape, key)] = _wire(value)
                return
            original(self, serialized, value, shape, key)

        _serialize._careline, _serialize.moto = True, original
        BaseJSONSerializer._serialize = _serialize


def _partition_queries() -> None:
    from moto.dynamodb.models.table import Table

    with _installed:
        original_query, original_items = Table.query, Table.all_items
        if getattr(original_query, "_careline", False):
            return

        def query(
            self,
            hash_key,
            range_comparison,
            range_objs,
            limit,
            exclusive_start_key,
            scan_index_forward,
            projection_expressions,
            index_name=None,
            *args,
            **kwargs,
        ):
            token = _PARTITION.set(None if index_name or hash_key is None else (self, hash_key))
            try:
                return original_query(
                    self,
                    hash_key,
                    range_comparison,
                    range_objs,
                    limit,
                    exclusive_start_key,
                    scan_index_forward,
                    projection_expressions,
                    index_name,
                    *args,
                    **kwargs,
                )
            finally:
                _PARTITION.reset(token)

        def all_items(self):
            partition = _PARTITION.get()
            if partition is None or partition[0] is not self:
                return original_items(self)
            found = self.items.get(partition[1])  # .get: the defaultdict must not grow an empty partition
            if found is None:
                return []
            return sorted(found.values(), key=lambda item: item.range_key) if self.range_key_attr else [found]

        query._careline = True
        Table.query, Table.all_items = query, all_items


def _transactions() -> None:
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
                ((_, op),) = item.items()
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
