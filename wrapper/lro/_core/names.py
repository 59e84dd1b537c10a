"""Operation names: client-side validation and encoding into URL paths.

A name is ``operations/{id}`` or ``{parent}/operations/{id}``; names of other services may
have more slashes (operations.proto's ``operations/**``). In a path the slashes stay
slashes and every other reserved character is percent-encoded, so a name can never
smuggle in a query (``?``), a fragment (``#``), a custom verb (``:cancel``) or a
``..`` segment that walks out of the API's prefix.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

from .errors import InvalidName

__all__ = ["MAX_NAME_BYTES", "encode_path", "is_list_path", "validate_name"]

#: The longest name the server accepts, in UTF-8 bytes.
MAX_NAME_BYTES = 1024

# C0 controls, DEL and C1 controls: never valid in a name, and dangerous in logs.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _check(name: str, shown: str, what: str) -> None:
    """Apply the segment and control-character rules to ``name``."""
    if _CONTROL_RE.search(name):
        raise InvalidName(f"operation name {shown} contains a control character{what}")
    for segment in name.split("/"):
        if segment in ("", ".", ".."):
            label = "an empty" if not segment else f"a {segment!r}"
            raise InvalidName(f"operation name {shown} has {label} segment{what}")


def _shown(name: str) -> str:
    # repr() escapes control characters, so the message itself stays printable.
    text = repr(name)
    return text if len(text) <= 80 else text[:77] + "..."


def validate_name(name: str) -> str:
    """Check an operation name as the server would, and return it unchanged.

    A name must be a non-empty string of at most :data:`MAX_NAME_BYTES` UTF-8 bytes, with
    no empty, ``.`` or ``..`` segment and no control character. The same rules are also
    applied after percent-decoding (so ``%2e%2e`` and ``%00`` are refused too), because
    some servers decode names before routing.

    Raises:
        InvalidName: naming the rule that was broken.
    """
    if not isinstance(name, str):
        raise InvalidName(f"operation name must be a string, got {type(name).__name__}")
    if not name:
        raise InvalidName("operation name is empty")
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise InvalidName(f"operation name {_shown(name)} is not valid Unicode") from exc
    if size > MAX_NAME_BYTES:
        raise InvalidName(f"operation name is {size} bytes; the limit is {MAX_NAME_BYTES}")
    shown = _shown(name)
    _check(name, shown, "")
    if "%" in name:
        _check(unquote(name, errors="replace"), shown, " after percent-decoding")
    return name


def encode_path(name: str) -> str:
    """Validate ``name`` and percent-encode it for a URL path, keeping ``/`` as is.

    Every other character outside ``A-Z a-z 0-9 - . _ ~`` is encoded as UTF-8 bytes,
    including ``%`` (so names round-trip exactly), ``?``, ``#``, space and ``:`` (which
    would otherwise start a custom verb such as ``:cancel``).

    Raises:
        InvalidName: if :func:`validate_name` rejects the name.
    """
    return quote(validate_name(name), safe="/")


def is_list_path(name: str) -> bool:
    """Whether a name would route as a List: it is ``operations`` or ends in ``/operations``.

    Such a path is always ListOperations on the server, never a Get, so a client should
    not send it as an operation name.
    """
    return isinstance(name, str) and (name == "operations" or name.endswith("/operations"))
