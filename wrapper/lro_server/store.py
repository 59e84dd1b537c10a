"""The SQLite store: one row per operation, plus request ids and simulation plans.

Each operation is kept as its full audited JSON (the `V1Operation` the audited view
returns, so reads need no assembly) beside the indexed columns that queries use:
`name` (primary key: gets are one B-tree lookup), `parent`, `creator`, `done`,
`deleted`, `seen`, and `seq`, a counter fixing the listing order so pages are read
by keyset (`seq > last`) instead of OFFSET scans.

Durability: every write is its own transaction, committed before the caller
answers, so an acknowledged write survives the server being killed (SIGKILL).
A file database runs in WAL mode with synchronous=NORMAL by default, SQLite's
recommended pairing: a commit is in the WAL file before the reply, but is not
fsynced one by one (about 10x faster), so an OS crash or power loss may roll back
the last few acknowledged writes (never corrupting the file). `synchronous="full"`
(`--synchronous full`) fsyncs the WAL at every commit: acknowledged writes then
survive power loss too, at the cost of one fsync per write.
Only the event-loop thread touches the store, which serializes writes: a
read-modify-write in the service cannot interleave with another one.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .names import parent_of
from .wire import JsonObject, dumps

# (principal, method, requestId): the AIP-155 idempotency key.
RequestKey = tuple[str, str, str]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS operations (
    name     TEXT PRIMARY KEY,
    seq      INTEGER NOT NULL UNIQUE,
    parent   TEXT NOT NULL,
    creator  TEXT NOT NULL,
    done     INTEGER NOT NULL,
    deleted  INTEGER NOT NULL,
    seen     INTEGER NOT NULL,
    body     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS operations_visible ON operations (deleted, seq);
CREATE INDEX IF NOT EXISTS operations_by_parent ON operations (parent, deleted, seq);
CREATE INDEX IF NOT EXISTS operations_unseen ON operations (creator, done, deleted, seen, seq);
CREATE TABLE IF NOT EXISTS request_ids (
    principal  TEXT NOT NULL,
    method     TEXT NOT NULL,
    request_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    PRIMARY KEY (principal, method, request_id)
);
CREATE TABLE IF NOT EXISTS simulations (name TEXT PRIMARY KEY, plan TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS secrets (key TEXT PRIMARY KEY, value BLOB NOT NULL);
"""

# SQLite's historical limit on bound parameters per statement is 999.
_IN_CHUNK = 500
SYNCHRONOUS_MODES = ("normal", "full")


@dataclass(frozen=True)
class Selection:
    """Which operations a list reads: a condition over the indexed columns and its parameters."""

    where: str
    params: tuple[Any, ...] = ()


class TooLarge(Exception):
    """The stored JSON of the operations asked for passes the byte budget given."""


class Store:
    def __init__(self, path: str, *, synchronous: str = "normal") -> None:
        mode = synchronous.lower()
        if mode not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}")
        # Autocommit mode: transactions are opened explicitly, so nothing stays uncommitted.
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute(f"PRAGMA synchronous = {mode.upper()}")
        self._db.executescript(_SCHEMA)
        (last,) = self._db.execute("SELECT COALESCE(MAX(seq), 0) FROM operations").fetchone()
        self._last_seq: int = last
        # COUNT(*) is linear in the matches: remember each count until the next write, so
        # paging through a large store costs one count per query, not one per page.
        self._writes = 0
        self._counts: dict[tuple[str, tuple[object, ...]], tuple[int, int]] = {}

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        self._writes += 1  # invalidates the remembered counts, even if this one rolls back
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- operations -----------------------------------------------------------------------

    def get(self, name: str) -> JsonObject | None:
        row = self._db.execute("SELECT body FROM operations WHERE name = ?", (name,)).fetchone()
        return None if row is None else _load(row[0])

    def get_many(self, names: Sequence[str], max_bytes: int | None = None) -> dict[str, JsonObject]:
        """The operations found among `names` (each once), by name.

        With `max_bytes`: `TooLarge` as soon as their stored JSON passes it; rows are read
        one by one, so those past the budget are never loaded.
        """
        found: dict[str, JsonObject] = {}
        unique = list(dict.fromkeys(names))
        size = 0
        for start in range(0, len(unique), _IN_CHUNK):
            chunk = unique[start : start + _IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT name, body FROM operations WHERE name IN ({marks})"
            rows = self._db.execute(query, chunk)
            try:
                for name, body in rows:
                    size += len(body)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge()
                    found[name] = _load(body)
            finally:
                rows.close()
        return found

    def insert(self, op: JsonObject, request_key: RequestKey | None = None) -> None:
        self.insert_many([op], request_key=request_key)

    def insert_many(
        self,
        ops: Sequence[JsonObject],
        plans: Sequence[tuple[str, JsonObject]] = (),
        *,
        request_key: RequestKey | None = None,
    ) -> None:
        """New operations (and simulation plans) in one transaction: all or none."""
        first = self._last_seq
        rows = [
            (
                op["name"],
                first + i + 1,
                parent_of(op["name"]),
                op.get("creator", ""),
                *_flags(op),
                _text(op),
            )
            for i, op in enumerate(ops)
        ]
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO operations (name, seq, parent, creator, done, deleted, seen, body)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            db.executemany(
                "INSERT OR REPLACE INTO simulations VALUES (?, ?)",
                [(name, _text(plan)) for name, plan in plans],
            )
            if ops:
                self._remember(db, request_key, ops[0]["name"])
        self._last_seq = first + len(ops)

    def update(self, ops: Sequence[JsonObject], request_key: RequestKey | None = None) -> None:
        """Write changed operations, all or none, with the request id that caused it."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE operations SET done = ?, deleted = ?, seen = ?, body = ? WHERE name = ?",
                [(*_flags(op), _text(op), op["name"]) for op in ops],
            )
            if ops:
                self._remember(db, request_key, ops[0]["name"])

    def page(
        self, selection: Selection, after_seq: int, limit: int, max_bytes: int
    ) -> tuple[list[tuple[int, JsonObject]], bool]:
        """Up to `limit` operations after `after_seq`, and whether more follow.

        The page also stops before the operation that would take the stored JSON of the
        page past `max_bytes` (it always holds one, however large), so a page's size is
        bounded whatever the page size asked for. Rows are read one by one: those past
        the cut are never loaded.
        """
        rows = self._db.execute(
            f"SELECT seq, body FROM operations WHERE ({selection.where}) AND seq > ?"
            " ORDER BY seq LIMIT ?",
            (*selection.params, after_seq, limit + 1),
        )
        page: list[tuple[int, JsonObject]] = []
        size = 0
        try:
            for seq, body in rows:
                size += len(body)
                if len(page) == limit or (page and size > max_bytes):
                    return page, True
                page.append((seq, _load(body)))
        finally:
            rows.close()
        return page, False

    def count(self, selection: Selection) -> int:
        key = (selection.where, tuple(selection.params))
        remembered = self._counts.get(key)
        if remembered is not None and remembered[0] == self._writes:
            return remembered[1]
        query = f"SELECT COUNT(*) FROM operations WHERE {selection.where}"
        (total,) = self._db.execute(query, selection.params).fetchone()
        if len(self._counts) > 1024:  # bounded: distinct filters are user input
            self._counts.clear()
        self._counts[key] = (self._writes, int(total))
        return int(total)

    # --- request ids (AIP-155) ------------------------------------------------------------

    def recall(self, key: RequestKey) -> str | None:
        row = self._db.execute(
            "SELECT name FROM request_ids WHERE principal = ? AND method = ? AND request_id = ?",
            key,
        ).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def _remember(db: sqlite3.Connection, key: RequestKey | None, name: str) -> None:
        # Written in the same transaction as the operation: a retry after a crash
        # either finds both or neither.
        if key is not None:
            db.execute("INSERT OR IGNORE INTO request_ids VALUES (?, ?, ?, ?)", (*key, name))

    # --- simulation plans -----------------------------------------------------------------

    def drop_plans(self, names: Sequence[str]) -> None:
        with self._transaction() as db:
            db.executemany("DELETE FROM simulations WHERE name = ?", [(name,) for name in names])

    def plans(self) -> list[JsonObject]:
        return [_load(plan) for (plan,) in self._db.execute("SELECT plan FROM simulations")]

    # --- secrets --------------------------------------------------------------------------

    def secret(self, key: str) -> bytes:
        """A random key created once per database (e.g. to sign page tokens across restarts)."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO secrets VALUES (?, ?)", (key, secrets.token_bytes(32))
            )
            (value,) = db.execute("SELECT value FROM secrets WHERE key = ?", (key,)).fetchone()
        return bytes(value)


def _flags(op: JsonObject) -> tuple[int, int, int]:
    return int(bool(op.get("done"))), int("deleteTime" in op), int("seenByCreatorTime" in op)


def _text(value: JsonObject) -> str:
    return dumps(value).decode("ascii")


def _load(text: str) -> JsonObject:
    value: JsonObject = json.loads(text)
    return value
