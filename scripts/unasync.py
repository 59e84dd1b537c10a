"""Write the sync half's shared modules from the async ones (httpcore's unasync approach).

The async half (``wrapper/lro/_async``) is the source: each module named in :data:`FILES`
is rewritten, line by line, by the table :data:`SUBS` (``async def`` -> ``def``,
``await`` -> nothing, ``AsyncClient`` -> ``Client``, ``asyncio.Event`` ->
``threading.Event``, ...), formatted by ruff, and written to ``wrapper/lro/_sync`` under a
header saying so. What truly differs between the halves (the transports, threads vs
tasks, sleeping, events) stays hand-written in each half's own modules.

A line of the source may end with a pragma:

* ``# unasync: async-only`` -- dropped from the sync module;
* ``# unasync: sync: <text>`` -- replaced by ``<text>`` (same indentation) in the sync one.

and a comment line ``# unasync: sync-next: <text>`` replaces the line after it (where a
trailing pragma would make the line too long).

Usage::

    python scripts/unasync.py          # (re)write the sync modules
    python scripts/unasync.py --check  # fail, naming each file, if one differs

``make check-generated`` (and so ``make test``) runs the check.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "wrapper" / "lro" / "_async"
TARGET = ROOT / "wrapper" / "lro" / "_sync"

#: The async modules the sync ones are made from (same file name in each half).
FILES = [
    "operation.py",
    "paging.py",
    "waiting.py",
    "audit.py",
    "client.py",
    "wait_many.py",
    "pool.py",
    "handles.py",
]

#: Rewrites applied to each line, in order (whole words unless the pattern says otherwise).
SUBS: list[tuple[str, str]] = [
    # whole phrases of docstrings and comments first, so the words below do not split them
    (r"an :class:`asyncio\.Event`", "a :class:`threading.Event`"),
    (r"called \(or awaited\)", "called"),
    # syntax
    (r"async def ", "def "),
    (r"async with ", "with "),
    (r"async for ", "for "),
    (r"await ", ""),
    (r"__aenter__", "__enter__"),
    (r"__aexit__", "__exit__"),
    (r"__aiter__", "__iter__"),
    (r"\baclose\b", "close"),
    (r"\bsend_async\b", "send"),
    (r"\bAwaitable\[(.*)\]", r"\1"),  # greedy: the last bracket of the line closes it
    # types and names
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAsyncGenerator\b", "Generator"),
    (r"\bAsyncStopEvent\b", "StopEvent"),
    (r"\bAsyncWaitBackend\b", "WaitBackend"),
    (r"\bAsyncTransportLike\b", "SyncTransport"),
    (r"\basync_(wait|watch|snapshots|wait_all|as_completed)\b", r"\1"),
    (r"\bAsync([A-Z][A-Za-z0-9_]*)", r"\1"),
    (r"\blro\._async\b", "lro._sync"),
    (r"\blro\.aio\.", "lro."),
    (r"\basyncio\.Event\b", "threading.Event"),
    (r"^import asyncio$", "import threading"),
]
COMPILED = [(re.compile(pattern), replacement) for pattern, replacement in SUBS]

#: Which rewrites of the table some line needed (the check fails on one never used: the
#: table says what the halves differ by, no more).
USED: set[int] = set()

PRAGMA = re.compile(r"\s*# unasync: (async-only|sync: (?P<text>.*))$")
PRAGMA_NEXT = re.compile(r"^(?P<indent>\s*)# unasync: sync-next: (?P<text>.*)$")


def header(name: str) -> str:
    return (
        f"# generated from lro/_async/{name} by scripts/unasync.py; do not edit\n"
        "# (edit the async module and run `python scripts/unasync.py`)\n"
    )


def unasync_line(line: str) -> str | None:
    """The sync line of one async line (None: the line is dropped)."""
    pragma = PRAGMA.search(line)
    if pragma is not None:
        if pragma.group("text") is None:
            return None
        indent = line[: len(line) - len(line.lstrip())]
        return indent + pragma.group("text")
    for index, (pattern, replacement) in enumerate(COMPILED):
        line, count = pattern.subn(replacement, line)
        if count:
            USED.add(index)
    return line


def unasync_text(text: str) -> str:
    lines: list[str] = []
    replacement = None
    for line in text.splitlines():
        pragma = PRAGMA_NEXT.match(line)
        if pragma is not None:
            replacement = pragma.group("indent") + pragma.group("text")
            continue
        made = unasync_line(line) if replacement is None else replacement
        replacement = None
        if made is not None:
            lines.append(made)
    return "\n".join(lines) + "\n"


def ruff(text: str, path: Path, *arguments: str) -> str:
    """``text`` as ``ruff <arguments>`` leaves it."""
    found = Path(sys.executable).parent / "ruff"
    command = [str(found)] if found.exists() else [sys.executable, "-m", "ruff"]
    done = subprocess.run(
        [*command, *arguments, "--stdin-filename", str(path), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return done.stdout


def tidy(text: str, path: Path) -> str:
    """The project's safe lint fixes (imports sorted again, as renamed names change their
    order; imports only the async code used dropped; ``__all__`` sorted), then the code
    formatted (rewritten lines may now fit in fewer), as ``make lint`` wants them."""
    fixed = ruff(text, path, "check", "--fix-only", "--exit-zero")
    return ruff(fixed, path, "format")


def generated(name: str) -> str:
    """What ``_sync/<name>`` must contain."""
    source = (SOURCE / name).read_text(encoding="utf-8")
    return tidy(header(name) + unasync_text(source), TARGET / name)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    differing = []
    for name in FILES:
        wanted = generated(name)
        target = TARGET / name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == wanted:
            continue
        if check:
            differing.append(str(target.relative_to(ROOT)))
        else:
            target.write_text(wanted, encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT)}")
    unused = [SUBS[index][0] for index in range(len(SUBS)) if index not in USED]
    if check and unused:
        print(f"rewrites no async module needs: {unused}", file=sys.stderr)
        return 1
    if differing:
        print(
            "generated sync modules differ from their async source (run "
            "`python scripts/unasync.py`): " + ", ".join(differing),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
