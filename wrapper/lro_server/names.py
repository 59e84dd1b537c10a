"""Operation names: validation and the parent they belong to.

A name is `operations/{id}` or `{parent}/operations/{id}`. This server creates ids
of one opaque segment, but names of other services may have ids with slashes
(`operations/a/b`), so any name that passes `validate_name` is looked up as is.
Names are checked after percent-decoding; they are only ever used as keys of the
store, never as file paths, so a valid name cannot escape anywhere.
"""

from __future__ import annotations

import re
import uuid

from .errors import invalid_argument

MAX_NAME_BYTES = 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Characters that change how text around them is shown without being seen themselves:
# bidi embeddings, overrides, isolates and marks (U+202A-U+202E, U+2066-U+2069,
# U+200E/U+200F, U+061C) reorder a row; zero-width ones (U+200B-U+200D, U+2060) and the
# BOM (U+FEFF) make two names that look the same differ. A name is read by people (in
# lists and logs), so it may contain none of them.
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def validate_name(name: str, *, field: str = "name") -> str:
    """Return `name` if it is acceptable, else raise INVALID_ARGUMENT saying why."""
    problem = _problem(name)
    if problem:
        raise invalid_argument(f"invalid {field} {_show(name)}: {problem}", reason="INVALID_NAME")
    return name


def _problem(name: str) -> str:
    if not name:
        return "it is empty"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"it is longer than {MAX_NAME_BYTES} bytes"
    if _CONTROL.search(name):
        return "it contains a control character"
    if _INVISIBLE.search(name):
        return "it contains a bidi control, zero-width character or BOM"
    for segment in name.split("/"):
        if segment in ("", ".", ".."):
            return "it has an empty, '.' or '..' segment"
    return ""


def _show(name: str) -> str:
    # Long or hostile names go into error messages shortened and escaped.
    shown = name if len(name) <= 80 else name[:77] + "..."
    return repr(shown)


def parent_of(name: str) -> str:
    """The parent of an operation name: what precedes its first `operations` segment.

    `projects/p/operations/x` -> `projects/p`; `operations/x` and `operations/a/b` -> ``.
    """
    segments = name.split("/")
    if "operations" in segments:
        return "/".join(segments[: segments.index("operations")])
    return ""


def new_name(parent: str) -> str:
    op_id = uuid.uuid4().hex
    return f"{parent}/operations/{op_id}" if parent else f"operations/{op_id}"
