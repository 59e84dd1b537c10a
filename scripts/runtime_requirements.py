"""The runtime part of requirements/dev.lock: what ``make demo`` installs.

Usage (from the repo root): ``python3 scripts/runtime_requirements.py server cli`` prints
the lock's entries (pins, markers and hashes, as locked) for the project's own
dependencies plus those of the named extras, and everything they pull in, found through
the lock's ``# via`` notes. ``make demo`` installs exactly those (``--require-hashes
--no-deps``) into a venv of its own, so the tour starts without the 160-package dev
toolchain, at the versions the tests ran with. Only the standard library is used: this
runs with whatever ``python3`` the Makefile finds, before any venv exists.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "dev.lock"
PYPROJECT = ROOT / "pyproject.toml"
PROJECT = "lro-sdk"


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise SystemExit(f"cannot read the requirement {requirement!r}")
    return normalize(match.group(1))


def _toml_list(text: str, key: str) -> list[str]:
    """``key = [...]`` of pyproject.toml (lists of strings only; Python 3.10 has no
    tomllib, and this runs before any venv exists)."""
    match = re.search(rf"(?m)^{re.escape(key)}\s*=\s*(\[.*?\])", text, re.S)
    if match is None:
        raise SystemExit(f"pyproject.toml has no {key} list")
    body = re.sub(r"(?m)#.*$", "", match.group(1))
    value = ast.literal_eval(body)
    return [str(item) for item in value]


def roots(extras: list[str]) -> set[str]:
    """The project's dependencies and those of ``extras``, by normalized name."""
    text = PYPROJECT.read_text(encoding="utf-8")
    found = {requirement_name(r) for r in _toml_list(text, "dependencies")}
    for extra in extras:
        for requirement in _toml_list(text, extra):
            if requirement_name(requirement) != PROJECT:
                found.add(requirement_name(requirement))
    return found


def entries(lock_text: str) -> list[tuple[str, list[str], set[str]]]:
    """Each locked entry: its name, its lines (pin, hashes, notes), what pulls it in."""
    parsed: list[tuple[str, list[str], set[str]]] = []
    for line in lock_text.splitlines():
        if line and not line.startswith((" ", "#")):
            parsed.append((requirement_name(line), [line], set()))
        elif parsed and line.startswith(" "):
            _, lines, via = parsed[-1]
            lines.append(line)
            note = line.strip()
            if note.startswith("# via"):
                rest = note[len("# via") :].strip()
                if rest:
                    via.add(requirement_name(rest))
            elif note.startswith("#   "):
                via.add(requirement_name(note[1:].strip()))
    return parsed


def runtime(lock_text: str, extras: list[str]) -> str:
    """The lock's entries needed at run time by the project with ``extras``."""
    locked = entries(lock_text)
    wanted = roots(extras)
    missing = wanted - {name for name, _, _ in locked}
    if missing:
        raise SystemExit(f"not in the lock: {sorted(missing)} (run make lock)")
    growing = True
    while growing:  # what a wanted package pulls in is wanted too
        growing = False
        for name, _, via in locked:
            if name not in wanted and via & wanted:
                wanted.add(name)
                growing = True
    kept = [lines for name, lines, _ in locked if name in wanted]
    return "\n".join(line for lines in kept for line in lines) + "\n"


def main() -> None:
    sys.stdout.write(runtime(LOCK.read_text(encoding="utf-8"), sys.argv[1:]))


if __name__ == "__main__":
    main()
