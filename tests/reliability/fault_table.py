"""The fault matrix: what every public client call does under every fault the reference
server can inject. This table is the documentation; ``test_fault_matrix.py`` proves it and
``python tests/reliability/fault_table.py`` renders it into ``docs/reliability.md``.

How to read it: each FAULT says how it is armed on the server (``srv.faults.add(...)``)
and what a call does by default; ``EXCEPTIONS`` lists the calls that behave otherwise and
why. An outcome is ``ok`` (the call returned normally, with the right effect applied
exactly once) or the name of the ``lro`` error it raises, plus the number of HTTP
attempts the server saw (``srv.requests`` delta).

Every case runs twice, with ``lro.Client`` and with ``lro.AsyncClient`` (same outcome,
same attempts). The clients under test use ``Retry(initial=0.01, maximum=0.05,
max_attempts=4)`` and a 2 s per-request timeout (0.3 s for the ``delay`` fault).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The retry budget of the matrix's clients.
MAX_ATTEMPTS = 4
#: Per-request timeout of the matrix's clients, and the shorter one for ``delay``.
TIMEOUT = 2.0
SHORT_TIMEOUT = 0.3
DELAY_SECONDS = 0.9
#: Response-size limit of the matrix's clients, and the size of the ``oversized`` body.
MAX_RESPONSE_BYTES = 1024 * 1024
OVERSIZED_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    """``result`` is ``"ok"`` or an ``lro`` error class name; ``attempts`` is the number of
    requests that reached the server; ``note`` says why, ``bug`` names a known defect (the
    test is then a strict xfail until it is fixed)."""

    result: str
    attempts: int
    note: str = ""
    bug: str = ""

    @property
    def ok(self) -> bool:
        return self.result == "ok"

    def cell(self) -> str:
        text = "ok" if self.ok else self.result
        return f"{text} x{self.attempts}"


def ok(attempts: int, note: str = "", bug: str = "") -> Outcome:
    return Outcome("ok", attempts, note, bug)


def fails(error: str, attempts: int, note: str = "", bug: str = "") -> Outcome:
    return Outcome(error, attempts, note, bug)


@dataclass(frozen=True)
class Fault:
    id: str
    title: str
    rule: dict[str, Any]  # keyword arguments of srv.faults.add()
    expect: Outcome  # what every call does unless EXCEPTIONS says otherwise
    why: str
    handled: bool = False  # the server executes the faulted request anyway
    options: dict[str, Any] = field(default_factory=dict)  # extra Client options

    @property
    def count(self) -> int:
        return int(self.rule.get("count", 1))


@dataclass(frozen=True)
class CallSpec:
    id: str
    title: str
    writes: bool  # changes the store
    request_id: bool = False  # carries an AIP-155 requestId the server dedupes


CALLS: list[CallSpec] = [
    CallSpec("get", "`client.get(name)`", False),
    CallSpec("list_operations", "`list(client.list_operations())`", False),
    CallSpec("cancel", "`client.cancel(name)`", True),
    CallSpec("delete", "`client.delete(name)`", True),
    CallSpec("wait_once", "`client.wait_once(name, 2.0)`", False),
    CallSpec("create", "`client.create(metadata)`", True, True),
    CallSpec("update", "`client.update(name, metadata)`", True),
    CallSpec("finalize", "`client.finalize(name, response=...)`", True, True),
    CallSpec("abort", "`client.abort(name)`", True, True),
    CallSpec("get_many", "`client.get_many([a, b])`", False),
    CallSpec("mark_seen", "`client.mark_seen(name)`", True),
    CallSpec("unseen", "`list(client.unseen())`", False),
    CallSpec("audit.get", "`client.audit.get(name)`", False),
    CallSpec("audit.list_operations", "`list(client.audit.list_operations())`", False),
]

FAULTS: list[Fault] = [
    Fault(
        "unavailable",
        "503 UNAVAILABLE twice",
        {"kind": "unavailable", "count": 2},
        ok(3),
        "UNAVAILABLE is retried for every call: reads, cancel, delete, update and mark-seen "
        "are idempotent; create, finalize and abort carry a requestId the server dedupes.",
    ),
    Fault(
        "unavailable_storm",
        "503 UNAVAILABLE ten times",
        {"kind": "unavailable", "count": 10},
        fails("Unavailable", MAX_ATTEMPTS),
        "Retries stop at max_attempts; the last error is raised, typed.",
    ),
    Fault(
        "rate_limit",
        "429 + `Retry-After: 1`",
        {"kind": "rate_limit", "retry_after_seconds": 1},
        ok(2),
        "RESOURCE_EXHAUSTED is retried when the server says when; the 1 s is clamped to the "
        "policy's maximum (0.05 s).",
    ),
    Fault(
        "rate_limit_bare",
        "429 without Retry-After",
        {"kind": "error", "status": 429, "code": 8},
        fails("ResourceExhausted", 1),
        "RESOURCE_EXHAUSTED without a delay from the server is not retried (AIP-194).",
    ),
    Fault(
        "retry_info",
        "503 + RetryInfo 0.02s",
        {"kind": "retry_info", "retry_delay": "0.02s"},
        ok(2),
        "The RetryInfo delay is honoured, then the call is retried.",
    ),
    Fault(
        "retry_info_429",
        "429 RESOURCE_EXHAUSTED + RetryInfo",
        {"kind": "retry_info", "code": 8, "retry_delay": "0.02s"},
        ok(2),
        "RESOURCE_EXHAUSTED with a RetryInfo detail is retried after that delay.",
    ),
    Fault(
        "delay",
        f"server stalls {DELAY_SECONDS} s (timeout {SHORT_TIMEOUT} s)",
        {"kind": "delay", "delay_seconds": DELAY_SECONDS},
        ok(2),
        "The read times out (TransportTimeout) and the call is retried; the stalled original "
        "is still executed later, harmlessly (same requestId, same metadata).",
        handled=True,
        options={"timeout": SHORT_TIMEOUT},
    ),
    Fault(
        "drop_before",
        "connection closed before handling",
        {"kind": "drop_before"},
        ok(2),
        "ConnectionDropped is retried.",
    ),
    Fault(
        "drop_after",
        "connection closed after commit",
        {"kind": "drop_after"},
        ok(2),
        "The write was committed but the reply lost: the retry must not apply it twice.",
        handled=True,
    ),
    Fault(
        "malformed",
        "200 with truncated JSON",
        {"kind": "malformed"},
        fails("InvalidResponse", 1),
        "A garbled 200 is not retried (the request may have had its effect); the error keeps "
        "an excerpt of the body.",
    ),
    Fault(
        "html_502",
        "proxy's HTML 502 page",
        {"kind": "html_502"},
        ok(2),
        "A gateway 502 without a service status is retried (the service never saw it).",
    ),
    Fault(
        "oversized",
        f"200 with a {OVERSIZED_BYTES // 2**20} MiB body (limit {MAX_RESPONSE_BYTES // 2**20} MiB)",
        {"kind": "oversized", "size_bytes": OVERSIZED_BYTES},
        fails("InvalidResponse", 1),
        "A body over the client's limit is refused without reading it whole; not retried.",
        options={"max_response_bytes": MAX_RESPONSE_BYTES},
    ),
    Fault(
        "internal",
        "500 INTERNAL",
        {"kind": "error", "status": 500, "code": 13},
        fails("Internal", 1),
        "INTERNAL is not retried (AIP-194).",
    ),
]

EXCEPTIONS: dict[tuple[str, str], Outcome] = {
    ("wait_once", "delay"): ok(
        1,
        "A `:wait` request's read timeout is its wait window plus a 1 s margin, so a stall "
        "shorter than that is simply waited out.",
    ),
}


#: Cases that end as the default says, for a reason worth stating.
NOTES: dict[tuple[str, str], str] = {
    ("delete", "drop_after"): "The delete was committed and its reply lost; the retry gets "
    "404, which the client settles as success because an earlier attempt's fate was unknown "
    "(a 404 after a plain 503 is still raised as NotFound).",
    ("create", "drop_after"): "The retry carries the same requestId: the server answers with "
    "the operation it created, so exactly one exists (checked with totalSize).",
    ("cancel", "drop_after"): "Cancel of an operation the lost attempt already cancelled "
    "changes nothing and succeeds.",
    ("mark_seen", "drop_after"): "Marking again returns the operation unchanged: "
    "seenByCreatorTime is set once.",
}


def outcome(call_id: str, fault_id: str) -> Outcome:
    fault = next(f for f in FAULTS if f.id == fault_id)
    return EXCEPTIONS.get((call_id, fault_id), fault.expect)


def cases() -> list[tuple[CallSpec, Fault, Outcome]]:
    return [(call, fault, outcome(call.id, fault.id)) for call in CALLS for fault in FAULTS]


# ---------------------------------------------------------------------------------------
# Rendering into docs/reliability.md

BEGIN = "<!-- fault-table:begin (generated by tests/reliability/fault_table.py) -->"
END = "<!-- fault-table:end -->"
DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def render() -> str:
    lines = ["| fault (how it is armed) | default outcome | why |", "|---|---|---|"]
    for fault in FAULTS:
        lines.append(f"| {fault.title} (`{fault.id}`) | {fault.expect.cell()} | {fault.why} |")
    lines += ["", "Calls that differ from the default:", ""]
    lines += ["| call | fault | outcome | why |", "|---|---|---|---|"]
    for (call_id, fault_id), out in EXCEPTIONS.items():
        note = out.note + (f" **Known bug:** {out.bug}." if out.bug else "")
        lines.append(f"| `{call_id}` | `{fault_id}` | {out.cell()} | {note} |")
    lines += ["", "Worth knowing:", ""]
    lines += [f"- `{c}` under `{f}`: {note}" for (c, f), note in NOTES.items()]
    lines += ["", "The whole grid (outcome x attempts seen by the server):", ""]
    header = "| call | " + " | ".join(f"`{f.id}`" for f in FAULTS) + " |"
    lines += [header, "|---" * (len(FAULTS) + 1) + "|"]
    for call in CALLS:
        cells = []
        for fault in FAULTS:
            out = outcome(call.id, fault.id)
            cells.append(out.cell() + (" (bug)" if out.bug else ""))
        lines.append(f"| {call.title} | " + " | ".join(cells) + " |")
    total = len(CALLS) * len(FAULTS)
    lines += [
        "",
        f"{len(CALLS)} calls x {len(FAULTS)} faults = {total} cases, each run with `Client` "
        f"and with `AsyncClient` ({2 * total} tests), each on a fresh server.",
    ]
    return "\n".join(lines)


def splice(text: str) -> str:
    """``text`` (the docs page) with the generated block replaced by :func:`render`."""
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"{DOC} lacks the {BEGIN!r} ... {END!r} markers")
    return f"{head}{BEGIN}\n{render()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite the table in docs/reliability.md (``--check``: only say if it is stale)."""
    current = DOC.read_text(encoding="utf-8")
    wanted = splice(current)
    if "--check" in argv:
        return 0 if wanted == current else 1
    DOC.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
