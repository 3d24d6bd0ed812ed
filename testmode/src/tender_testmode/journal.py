"""Durable state: Stripe's objects survive a restart, as Stripe's do.

Two files in the state folder, both 0600 (they hold webhook signing secrets):

- ``snapshot.jsonl``: the whole state at the last compaction, written to a temporary file,
  fsynced and renamed into place, so a crash leaves the old snapshot or the new one.
- ``journal.jsonl``: appended after every request that changed something (one ``write`` of a
  few lines, no fsync: a killed process loses nothing, a power cut may lose the last lines).

A start reads the snapshot, replays the journal (later lines win), then compacts. The journal
is compacted again when it outgrows the snapshot, so the files stay bounded like the state.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from tender_testmode.cards import Decline, TestCard

if TYPE_CHECKING:
    from tender_testmode.engine import Emulator, IntentState

SNAPSHOT = "snapshot.jsonl"
JOURNAL = "journal.jsonl"
MIN_COMPACT_BYTES = 64 * 1024 * 1024
Line = dict[str, Any]


def _open_private(path: Path, flags: int) -> int:
    return os.open(path, flags | os.O_CLOEXEC, 0o600)


def _dumps(record: Line) -> str:
    return json.dumps(record, separators=(",", ":")) + "\n"


def card_to_json(card: TestCard) -> Line:
    return asdict(card)


def card_from_json(raw: Line) -> TestCard:
    fields = dict(raw)
    for key in ("decline", "decline_after_auth"):
        if fields.get(key) is not None:
            fields[key] = Decline(**fields[key])
    return TestCard(**fields)


class Journal:
    """Where one emulator keeps its state; :meth:`record` after each change."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._file: IO[str] | None = None
        self._journal_bytes = 0
        self._snapshot_bytes = 0
        self._lock: int | None = None

    # Start and stop

    def claim(self) -> None:
        """One test mode per folder: a second one would interleave its writes with ours."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = _open_private(self.folder / "lock", os.O_WRONLY | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RuntimeError(f"another test mode is using {self.folder}") from None
        self._lock = fd

    def load(self, em: Emulator) -> int:
        """Read the snapshot and the journal into ``em``; then compact. Returns lines read."""
        count = 0
        for name in (SNAPSHOT, JOURNAL):
            for line in self._lines(self.folder / name):
                apply(em, line)
                count += 1
        self.compact(em)
        return count

    def close(self, em: Emulator) -> None:
        """Compact and close (a clean stop leaves one snapshot and an empty journal)."""
        if self._file is not None:
            self.compact(em)
            self._file.close()
            self._file = None
        if self._lock is not None:
            os.close(self._lock)  # releases the claim
            self._lock = None

    def reset(self, em: Emulator) -> None:
        """Forget everything (``--reset`` and ``POST /_test/reset``)."""
        self.compact(em)

    # Writing

    def record(self, em: Emulator, touched: Iterable[tuple[str, str]]) -> None:
        """Append the current version of every object a request touched (or its deletion)."""
        lines = "".join(_dumps(line) for line in _object_lines(em, touched))
        self._append(em, lines)

    def record_idempotency(self, line: Line) -> None:
        if self._file is not None:
            self._write(_dumps({"idem": line}))

    def _append(self, em: Emulator, text: str) -> None:
        if not text or self._file is None:
            return
        self._write(text)
        if self._journal_bytes > max(MIN_COMPACT_BYTES, 2 * self._snapshot_bytes):
            self.compact(em)

    def _write(self, text: str) -> None:
        assert self._file is not None
        self._file.write(text)
        self._file.flush()
        self._journal_bytes += len(text)

    def compact(self, em: Emulator) -> None:
        """Write the whole state as a new snapshot (atomically) and start an empty journal."""
        if self._file is not None:
            self._file.close()
            self._file = None
        tmp = self.folder / (SNAPSHOT + ".tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        size = 0
        with os.fdopen(_open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL), "w") as out:
            for line in snapshot_lines(em):
                text = _dumps(line)
                out.write(text)
                size += len(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.folder / SNAPSHOT)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        self._file = os.fdopen(_open_private(self.folder / JOURNAL, flags), "w")
        self._journal_bytes = 0
        self._snapshot_bytes = size

    @staticmethod
    def _lines(path: Path) -> Iterator[Line]:
        try:
            handle = path.open()
        except FileNotFoundError:
            return
        with handle:
            for raw in handle:
                try:
                    yield json.loads(raw)
                except ValueError:  # a line cut short by a crash: the rest is older anyway
                    continue


def _object_lines(em: Emulator, touched: Iterable[tuple[str, str]]) -> Iterator[Line]:
    store = em.store
    for kind, obj_id in touched:
        obj = store[kind].get(obj_id)
        if obj is None:
            yield {"del": [kind, obj_id]}
            continue
        yield {"obj": obj}
        yield from _side_lines(em, kind, obj_id)


def _side_lines(em: Emulator, kind: str, obj_id: str) -> Iterator[Line]:
    if kind == "payment_method":
        card = em.cards.get(obj_id)
        if card is not None:
            yield {"card": [obj_id, card_to_json(card)]}
        if em.setup_for_off_session.get(obj_id):
            yield {"off_session": obj_id}
    elif kind == "payment_intent":
        state = em.intents.get(obj_id)
        if state is not None:
            yield {"intent": [obj_id, _intent_json(state)]}
    elif kind == "webhook_endpoint":
        secret = em.webhooks.secrets.get(obj_id)
        if secret is not None:
            yield {"secret": [obj_id, secret]}


def _intent_json(state: IntentState) -> Line:
    return {
        "authenticated": state.authenticated,
        "off_session": state.off_session,
        "return_url": state.return_url,
        "charges": list(state.charges),
    }


def snapshot_lines(em: Emulator) -> Iterator[Line]:
    for kind, objects in em.store.maps.items():
        for obj in reversed(list(objects.newest_first())):
            yield {"obj": obj}
            yield from _side_lines(em, kind, obj["id"])
    yield from ({"idem": line} for line in em.idempotency.dump())


def apply(em: Emulator, line: Line) -> None:
    """Apply one journal line to the emulator's state."""
    from tender_testmode.engine import IntentState

    if "obj" in line:
        em.store.add(line["obj"])
    elif "del" in line:
        kind, obj_id = line["del"]
        em.store[kind].pop(obj_id)
        em.webhooks.secrets.pop(obj_id, None)
    elif "card" in line:
        obj_id, raw = line["card"]
        em.cards.put(obj_id, card_from_json(raw))
    elif "off_session" in line:
        em.setup_for_off_session.put(line["off_session"], True)
    elif "intent" in line:
        obj_id, raw = line["intent"]
        em.intents.put(obj_id, IntentState(**raw))
    elif "secret" in line:
        obj_id, secret = line["secret"]
        em.webhooks.secrets[obj_id] = secret
    elif "idem" in line:
        em.idempotency.load(line["idem"])
