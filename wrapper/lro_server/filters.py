"""The subset of AIP-160 filters the reference server understands.

Supported, and nothing else::

    done = true            done = false           done != true
    creator = "alice"      creator != "alice"
    name = "operations/123"
    done = true AND creator = "alice"

- fields: `done` (compared with the bare literals `true` / `false`), `creator` and
  `name` (compared with a double-quoted string; `\\"` and `\\\\` escape inside it);
- operators: `=` and `!=`;
- comparisons joined by `AND` (upper case, as AIP-160 spells it).

Anything else (OR, NOT, parentheses, `:`, `<`, other fields, unquoted strings) is
INVALID_ARGUMENT with a message that names the offending part and repeats this
list. An empty filter matches everything.

Budgets: at most `MAX_FILTER_LENGTH` characters and `MAX_TERMS` comparisons (more
is INVALID_ARGUMENT, before any parsing); the tokenizer reads the text once, left
to right, so parsing is linear in its length.

A parsed filter is a SQL condition over the store's indexed columns plus its
parameters, so filtering happens in SQLite; it also has a canonical text that
page tokens use to tell whether a token was issued for the same filter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import invalid_argument

SUPPORTED = (
    'supported: done = true|false, creator = "...", name = "..." (with = or !=), joined by AND'
)
MAX_FILTER_LENGTH = 4096
MAX_TERMS = 50

_TOKEN = re.compile(
    r"""(?:
        (?P<op>!=|=)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
      | (?P<other>\S)
    )""",
    re.VERBOSE,
)
_STRING_FIELDS = {"creator": "creator", "name": "name"}


@dataclass(frozen=True)
class Filter:
    sql: str  # "" when the filter is empty; column names come only from this module
    params: tuple[str | int, ...]
    canonical: str


EMPTY = Filter("", (), "")


def parse_filter(text: str) -> Filter:
    if len(text) > MAX_FILTER_LENGTH:
        raise _error(text, f"it is longer than {MAX_FILTER_LENGTH} characters")
    if not text.strip():
        return EMPTY
    tokens = _tokenize(text)
    if len(tokens) > 4 * MAX_TERMS:  # a term is 3 tokens, plus AND between terms
        raise _error(text, f"it has more than {MAX_TERMS} comparisons")
    clauses: list[str] = []
    params: list[str | int] = []
    canonical: list[str] = []
    position = 0
    while True:
        if len(tokens) < position + 3:
            raise _error(text, "a comparison is incomplete")
        (field_kind, field), (op_kind, op), (value_kind, value) = tokens[position : position + 3]
        if field_kind != "word" or op_kind != "op":
            raise _error(text, f"expected `field = value`, got {field!r} {op!r}")
        if field == "done":
            if value_kind != "word" or value not in ("true", "false"):
                raise _error(text, f"done compares with true or false, not {value!r}")
            clauses.append(f"done {op} ?")
            params.append(1 if value == "true" else 0)
        elif field in _STRING_FIELDS:
            if value_kind != "string":
                raise _error(text, f"{field} compares with a double-quoted string, not {value!r}")
            clauses.append(f"{_STRING_FIELDS[field]} {op} ?")
            params.append(_unquote(value))
        else:
            raise _error(text, f"unsupported field {field!r}")
        canonical.append(f"{field} {op} {value}")
        position += 3
        if position == len(tokens):
            break
        if tokens[position] != ("word", "AND"):
            raise _error(text, f"expected AND, got {tokens[position][1]!r}")
        position += 1
    return Filter(" AND ".join(clauses), tuple(params), " AND ".join(canonical))


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = _skip_space(text, 0)
    while position < len(text):
        match = _TOKEN.match(text, position)
        assert match is not None  # `other` matches any non-space character
        kind = match.lastgroup or "other"
        if kind == "other":
            bad = match.group(kind)
            reason = "an unterminated string" if bad == '"' else f"unexpected {bad!r}"
            raise _error(text, reason)
        tokens.append((kind, match.group(kind)))
        position = _skip_space(text, match.end())
    return tokens


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def _error(text: str, problem: str) -> Exception:
    shown = text if len(text) <= 100 else text[:97] + "..."
    return invalid_argument(
        f"invalid filter {shown!r}: {problem}; {SUPPORTED}", reason="INVALID_FILTER"
    )
