"""Fault `path` patterns: the part of regular expressions that cannot backtrack.

A pattern is searched in the raw request path, like `re.search`, but only this
subset of the syntax is accepted (anything else is INVALID_ARGUMENT, saying so):

- `^` first and `$` last anchor the match at the start and the end of the path;
- `.*` matches any run of characters (it is the only repetition);
- `.` matches any one character, `[...]` / `[^...]` one character of a set,
  `\\d \\w \\s \\D \\W \\S` one character of a class;
- `\\` before any other non-alphanumeric character makes it literal (so
  `re.escape(name)` works); every other character stands for itself.

So a pattern is fixed-width pieces separated by `.*`, and it is matched by finding
each piece after the previous one, leftmost first, which is exact for such
patterns and takes time linear in the path's length (one scan per piece, pieces
being at most `MAX_PATTERN_LENGTH` characters in all). Nested or bounded repeats,
groups, alternation and backreferences, which make `re` take exponential or
polynomial time, are not accepted. Paths longer than `MAX_MATCHED_PATH` never
match (no valid operation name is that long).
"""

from __future__ import annotations

import re

from .errors import invalid_argument

MAX_PATTERN_LENGTH = 256
MAX_MATCHED_PATH = 16 * 1024
SYNTAX = (
    "path patterns support ^ and $ at the ends, .* , . , [...] , \\d \\w \\s (and upper case), "
    "and \\ before punctuation; not groups, |, +, ?, {m,n} or other repeats"
)
_CLASS_ESCAPES = frozenset("dwsDWS")
_SPECIAL = frozenset(".^$*+?{}[]|()\\")


class PathPattern:
    def __init__(self, text: str) -> None:
        if len(text) > MAX_PATTERN_LENGTH:
            raise _invalid(f"path is longer than {MAX_PATTERN_LENGTH} characters")
        self.text = text
        body = text
        self._start = body.startswith("^")
        if self._start:
            body = body[1:]
        self._end = body.endswith("$") and not _escaped_at(body, len(body) - 1)
        if self._end:
            body = body[:-1]
        pieces = _split(body)
        if body:  # `^.*x` and `x.*$` are not anchored where the `.*` is
            self._start = self._start and bool(pieces[0])
            self._end = self._end and bool(pieces[-1])
        self._pieces = [_compile(piece) for piece in pieces if piece]

    def search(self, path: str) -> bool:
        if len(path) > MAX_MATCHED_PATH:
            return False
        pieces = self._pieces
        if not pieces:
            return not (self._start and self._end) or not path
        position = 0
        last = len(pieces) - 1
        for i, (regex, literal, width) in enumerate(pieces):
            anchored_start = i == 0 and self._start
            anchored_end = i == last and self._end
            if anchored_end:
                begin = len(path) - width
                if begin < position or (anchored_start and begin != 0):
                    return False
                return _matches_at(regex, literal, path, begin)
            if anchored_start:
                if not _matches_at(regex, literal, path, 0):
                    return False
                position = width
                continue
            if literal is not None:
                found = path.find(literal, position)
            else:
                match = regex.search(path, position)
                found = -1 if match is None else match.start()
            if found < 0:
                return False
            position = found + width
        return True


Piece = tuple[re.Pattern[str], "str | None", int]  # regex, the literal it is (if it is), width


def _matches_at(regex: re.Pattern[str], literal: str | None, path: str, at: int) -> bool:
    if literal is not None:
        return path.startswith(literal, at)
    return regex.match(path, at) is not None


def _escaped_at(text: str, index: int) -> bool:
    backslashes = len(text[:index]) - len(text[:index].rstrip("\\"))
    return backslashes % 2 == 1


def _split(body: str) -> list[list[str]]:
    """The pattern as pieces between `.*` (empty ones too), each a list of one-character
    regex atoms."""
    pieces: list[list[str]] = [[]]
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            if i + 1 == len(body):
                raise _invalid("path ends with a lone backslash")
            escaped = body[i + 1]
            if escaped in _CLASS_ESCAPES or not escaped.isalnum():
                pieces[-1].append("\\" + escaped)
            else:
                raise _invalid(f"\\{escaped} is not supported; {SYNTAX}")
            i += 2
        elif char == "." and body[i + 1 : i + 2] == "*":
            pieces.append([])
            i += 2
        elif char == ".":
            pieces[-1].append(".")
            i += 1
        elif char == "[":
            end = _class_end(body, i)
            pieces[-1].append(body[i : end + 1])
            i = end + 1
        elif char in _SPECIAL:
            raise _invalid(f"{char!r} at {i} is not supported; {SYNTAX}")
        else:
            pieces[-1].append(re.escape(char))
            i += 1
    return pieces


def _class_end(body: str, start: int) -> int:
    i = start + 1
    if body[i : i + 1] == "^":
        i += 1
    if body[i : i + 1] == "]":
        i += 1  # a ] first in a set is literal
    while i < len(body):
        if body[i] == "\\":
            i += 2
            continue
        if body[i] == "[":
            raise _invalid(f"'[' inside a set at {i} is not supported; {SYNTAX}")
        if body[i] == "]":
            return i
        i += 1
    raise _invalid(f"the set opened at {start} is not closed")


def _compile(atoms: list[str]) -> Piece:
    source = "".join(atoms)
    try:
        regex = re.compile(source, re.DOTALL)
    except re.error as e:
        raise _invalid(f"path is not a valid pattern: {e}") from None
    literal = None
    if all(atom != "." and not atom.startswith("[") for atom in atoms) and not any(
        atom[1:] in _CLASS_ESCAPES for atom in atoms if atom.startswith("\\")
    ):
        literal = "".join(atom[1:] if atom.startswith("\\") else atom for atom in atoms)
    return regex, literal, len(atoms)


def _invalid(problem: str) -> Exception:
    return invalid_argument(f"invalid fault rule: {problem}")
