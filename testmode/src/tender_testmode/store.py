"""Bounded in-memory state: one insertion-ordered dict per resource kind."""

from __future__ import annotations

import random
import string
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from tender_testmode.errors import resource_missing

Obj = dict[str, Any]
T = TypeVar("T")

_ALPHABET = string.ascii_letters + string.digits
_rng = random.Random()

KINDS: dict[str, str] = {
    "customer": "cus",
    "payment_method": "pm",
    "payment_intent": "pi",
    "setup_intent": "seti",
    "charge": "ch",
    "refund": "re",
    "event": "evt",
    "webhook_endpoint": "we",
}


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "_" + "".join(_rng.choices(_ALPHABET, k=length))


def now() -> int:
    return int(time.time())


class Bounded(Generic[T]):
    """Insertion-ordered id -> value map that evicts the oldest entry past ``cap``."""

    __slots__ = ("_data", "cap", "evicted")

    def __init__(self, cap: int) -> None:
        self._data: OrderedDict[str, T] = OrderedDict()
        self.cap = cap
        self.evicted = 0

    def put(self, obj_id: str, obj: T) -> None:
        data = self._data
        data[obj_id] = obj
        while len(data) > self.cap:
            data.popitem(last=False)
            self.evicted += 1

    def get(self, obj_id: str) -> T | None:
        return self._data.get(obj_id)

    def pop(self, obj_id: str) -> T | None:
        return self._data.pop(obj_id, None)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, obj_id: object) -> bool:
        return obj_id in self._data

    def newest_first(self) -> Iterator[T]:
        return reversed(self._data.values())

    def clear(self) -> None:
        self._data.clear()


class Touched:
    """The (kind, id) of every object read or written while a change is being recorded."""

    __slots__ = ("ids",)

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], None] | None = None


class BoundedMap(Bounded[Obj]):
    """One resource kind; notes what a request touches so the journal can save it."""

    __slots__ = ("kind", "touched")

    def __init__(self, cap: int, kind: str, touched: Touched) -> None:
        super().__init__(cap)
        self.kind = kind
        self.touched = touched

    def put(self, obj_id: str, obj: Obj) -> None:
        if self.touched.ids is not None:
            self.touched.ids[(self.kind, obj_id)] = None
        super().put(obj_id, obj)

    def get(self, obj_id: str) -> Obj | None:
        if self.touched.ids is not None:
            self.touched.ids[(self.kind, obj_id)] = None
        return self._data.get(obj_id)

    def pop(self, obj_id: str) -> Obj | None:
        if self.touched.ids is not None:
            self.touched.ids[(self.kind, obj_id)] = None
        return self._data.pop(obj_id, None)


class Store:
    def __init__(self, max_objects: int) -> None:
        self.max_objects = max_objects
        self.touched = Touched()
        self.maps: dict[str, BoundedMap] = {
            kind: BoundedMap(max_objects, kind, self.touched) for kind in KINDS
        }

    def __getitem__(self, kind: str) -> BoundedMap:
        return self.maps[kind]

    def add(self, obj: Obj) -> Obj:
        self.maps[obj["object"]].put(obj["id"], obj)
        return obj

    def require(self, kind: str, obj_id: str, param: str = "id") -> Obj:
        obj = self.maps[kind].get(obj_id)  # noted as touched (the caller may change it)
        if obj is None:
            raise resource_missing(kind, obj_id, param)
        return obj

    def clear(self) -> None:
        for m in self.maps.values():
            m.clear()

    def counts(self) -> dict[str, int]:
        return {kind: len(m) for kind, m in self.maps.items()}
