"""Index queries at a cost that follows the partition, not the table, in
the in-process emulator: moto 5.2 answers a Query on a global secondary
index by sorting every item of the table and then testing each one, about
0.7 s a query at 20,000 tickets (and a Query of the table itself sorts
every item of it first: the search table's 390,000 postings). Here it tests
only the items whose index hash key is the one asked for (the same test moto
makes, made first), or takes the one partition asked for, and moto's own
code does the rest, so answers, Count and LastEvaluatedKey are
moto's. Benchmarks only (what the emulator answers, not what it costs, is
measured); tests/integration/test_bench.py compares answers with and
without it."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

_ASKED: contextvars.ContextVar[Any] = contextvars.ContextVar("asked", default=None)


@dataclass(frozen=True)
class _Partition:
    hash_key: Any


@contextmanager
def fast_index_queries() -> Iterator[None]:
    from unittest import mock

    from moto.dynamodb.models.table import Table

    original_query, original_items = Table.query, Table.all_items

    def query(self, *args, hash_key_conditions=None, index_name=None, **kwargs):
        positional_index = len(args) > 7
        name = args[7] if positional_index else index_name
        if name and hash_key_conditions:
            asked = (self, hash_key_conditions)
        elif not name and args and args[0] is not None:
            asked = (self, _Partition(args[0]))  # a Query of the table itself
        else:
            asked = None
        token = _ASKED.set(asked)
        try:
            if positional_index:
                return original_query(self, *args, hash_key_conditions=hash_key_conditions, **kwargs)
            return original_query(self, *args, hash_key_conditions=hash_key_conditions, index_name=index_name, **kwargs)
        finally:
            _ASKED.reset(token)

    def all_items(self):
        asked = _ASKED.get()
        if asked is None or asked[0] is not self:
            return original_items(self)
        conditions = asked[1]
        if isinstance(conditions, _Partition):
            partition = self.items.get(conditions.hash_key)
            if partition is None:
                return []
            return list(partition.values()) if self.range_key_attr else [partition]
        collections = self.items.values() if self.range_key_attr else [{None: i} for i in self.items.values()]
        return [
            item
            for collection in collections
            for item in collection.values()
            if all(_equal(item.attrs.get(name), value) for name, value in conditions)
        ]

    with mock.patch.object(Table, "query", query), mock.patch.object(Table, "all_items", all_items):
        yield


def _equal(found: Any, value: Any) -> bool:
    return found is not None and found == value
