"""Text a server controls is data, never terminal control: the one escaping rule of ``lro``.

A character Python does not call printable (``str.isprintable``: the C0 and C1 controls
and DEL, so ESC and every CSI/OSC sequence, CR and backspace; format characters such as
the bidi controls U+202A-U+202E, U+2066-U+2069, U+200E/U+200F, U+061C, the zero-width
U+200B-U+200D and U+2060 and the BOM U+FEFF; line and paragraph separators; lone
surrogates; non-ASCII spaces; unassigned code points) is shown as its Python escape
(``\\x1b``, ``\\u202e``, ``\\U000e0001``). Backslashes are left alone, so escaping is
idempotent: an already escaped line passes through unchanged.

* :func:`shown` for human-readable text: every value a server sent (names, messages,
  principals, locations) and, as a last net, every line the CLI writes (``keep_newlines``:
  the CLI's own line breaks stay; a newline inside a value is escaped before that).
* :func:`json_shown` for JSON text (``--json``, ``watch``): the same characters as
  ``\\uXXXX`` escapes, so the output stays valid JSON with the same value.

rich markup is never interpreted in server text: the progress bars draw names as plain
``rich.text.Text`` (escaped first, then cut to fit) and states with ``markup=False``,
and nothing else goes through rich.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["json_shown", "shown"]


def _python_escape(char: str) -> str:
    return char.encode("unicode_escape", "backslashreplace").decode("ascii")


def _json_escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # a UTF-16 surrogate pair, as JSON spells code points above the BMP
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def _escaped(text: str, escape: Callable[[str], str], keep_newlines: bool) -> str:
    if keep_newlines:  # line by line: str.isprintable() is False for any text with "\n"
        return "\n".join(_escaped(line, escape, False) for line in text.split("\n"))
    if text.isprintable():  # the usual case, checked in C: nothing to do
        return text
    return "".join(c if c.isprintable() else escape(c) for c in text)


def shown(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every non-printable character as a visible Python escape."""
    return _escaped(str(text), _python_escape, keep_newlines)


def json_shown(text: str) -> str:
    """JSON ``text`` with every non-printable character (other than the line breaks of
    indentation) as a ``\\uXXXX`` escape: still valid JSON, with the same value, since
    such characters can only be inside its strings (``json.dumps`` escapes ``\\n`` there)."""
    return _escaped(text, _json_escape, True)
