"""The local emulator at a cost that does not grow with the data (moto
5.2), so a `make run` stack holding weeks of tickets answers at once.

- moto rolls a failed transaction back from a deep copy of every table it
  touches, taken for each item of every transaction: with a few hundred
  tickets each write took seconds. Here only the items the transaction
  writes are copied, and put back (with the stream's records cut back) if
  it fails: it still leaves no item, change or stream record behind.
- moto answers a Query on a table's own key by sorting every item of the
  table and picking the partition's; here it reads the partition.

tests/test_demo.py checks both against moto's own answers."""
from __future__ import annotations

import contextvars
import copy
from typing import Any

_LIVE: contextvars.ContextVar[bool] = contextvars.ContextVar("live", default=False)
_PARTITION: contextvars.ContextVar[Any] = contextvars.ContextVar("partition", default=None)


def speed_up() -> None:
    _transactions()
    _partition_queries()


def _partition_queries() -> None:
    from moto.dynamodb.models.table import Table

    original_query, original_items = Table.query, Table.all_items
    if getattr(original_query, "_careline", False):
        return

    def query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key, scan_index_forward,
              projection_expressions, index_name=None, *args, **kwargs):
        token = _PARTITION.set(None if index_name or hash_key is None else (self, hash_key))
        try:
            return original_query(self, hash_key, range_comparison, range_objs, limit, exclusive_start_key,
                                  scan_index_forward, projection_expressions, index_name, *args, **kwargs)
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
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items
    if getattr(original, "_careline", False):
        return

    def transact_write_items(self, transact_items: list[dict[str, Any]]) -> None:
        # moto's own rollback swaps in the copies it takes; here the "copy" is
        # the live table, and the items the transaction writes are put back.
        saved: list[tuple[Any, Any, Any, Any]] = []
        streams: dict[str, tuple[Any, int]] = {}
        for entry in transact_items:
            op = next(iter(entry.values()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            key = op.get("Key") or {name: op["Item"][name] for name in (table.hash_key_attr, table.range_key_attr)
                                    if name and name in op.get("Item", {})}
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
            saved.append((table, hash_value, range_value, copy.deepcopy(_item(table, hash_value, range_value))))
            if table.stream_shard is not None:
                streams.setdefault(table.name, (table.stream_shard, len(table.stream_shard.items)))
        token = _LIVE.set(True)
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_value, range_value, before in reversed(saved):
                _restore(table, hash_value, range_value, before)
            for shard, length in streams.values():
                del shard.items[length:]
            raise
        finally:
            _LIVE.reset(token)

    def table_deepcopy(self, memo):
        if _LIVE.get():
            return self
        clone = object.__new__(type(self))  # any other copy: the full deep copy, as before
        memo[id(self)] = clone
        clone.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return clone

    from moto.dynamodb.models.dynamo_type import DynamoType

    transact_write_items._careline = True
    DynamoDBBackend.transact_write_items = transact_write_items
    Table.__deepcopy__ = table_deepcopy


def _item(table, hash_value, range_value) -> Any:
    partition = table.items.get(hash_value)  # .get: the defaultdict must not grow an empty partition
    if partition is None or not table.range_key_attr:
        return partition
    return partition.get(range_value)


def _restore(table, hash_value, range_value, before) -> None:
    if table.range_key_attr:
        partition = table.items.get(hash_value)
        if before is not None:
            table.items[hash_value][range_value] = before
        elif partition is not None:
            partition.pop(range_value, None)
            if not partition:
                table.items.pop(hash_value, None)
    elif before is not None:
        table.items[hash_value] = before
    else:
        table.items.pop(hash_value, None)
