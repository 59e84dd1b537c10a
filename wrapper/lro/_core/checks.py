"""Argument checks of the public calls (no I/O), shared by the sync and async halves.

Every public method checks its arguments with these before it sends anything, so an
argument of the wrong type or value raises :class:`lro.InvalidArgument` naming it
(``timeout must be a number of seconds or None, got '5'``) instead of being silently
misread or failing later with a ``TypeError`` from deep inside. Each check returns the
value (normalised where that helps, e.g. a timeout as a float).

``bool`` is never a number here (``True`` is an ``int`` in Python, never a count or a
number of seconds on the wire).
"""

from __future__ import annotations

import inspect
import math
import numbers
from typing import Any, TypeVar

from .errors import InvalidArgument

__all__ = [
    "check_bool",
    "check_callable",
    "check_instance",
    "check_positive_int",
    "check_stop",
    "check_str",
    "check_timeout",
    "shown",
]

T = TypeVar("T")


def shown(value: object) -> str:
    """``value`` as it appears in an error message: its repr, cut at 80 characters."""
    try:
        text = repr(value)
    except Exception:  # a broken __repr__ must not hide the real problem
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


def _kind(value: object) -> str:
    """The qualified name of ``value``'s type (``asyncio.locks.Event``, ``str``)."""
    kind = type(value)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def check_timeout(value: object, name: str = "timeout", *, finite: bool = False) -> float | None:
    """A number of seconds >= 0 (returned as a float), or None (returned as is).

    ``finite``: refuse infinity too (a value sent to the server as a duration).

    Raises:
        InvalidArgument: not a number (a string, a bool, ...), NaN, negative (or infinite).
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidArgument(f"{name} must be a number of seconds or None, got {shown(value)}")
    try:
        seconds = float(value)
    except (OverflowError, ValueError):  # an int too large for a float
        seconds = math.inf
    if math.isnan(seconds) or seconds < 0 or (finite and math.isinf(seconds)):
        bound = "a finite number" if finite else "a number"
        raise InvalidArgument(f"{name} must be {bound} of seconds >= 0 or None, got {shown(value)}")
    return seconds


def check_positive_int(value: object, name: str, *, optional: bool = False) -> int | None:
    """An int >= 1 (not a bool); None too when ``optional``.

    Raises:
        InvalidArgument: another type, a bool, or a number < 1.
    """
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        extra = " or None" if optional else ""
        raise InvalidArgument(f"{name} must be a positive integer{extra}, got {shown(value)}")
    return int(value)


def check_str(value: object, name: str, *, optional: bool = False) -> str | None:
    """A string; None too when ``optional``.

    Raises:
        InvalidArgument: another type.
    """
    if value is None and optional:
        return None
    if not isinstance(value, str):
        extra = " or None" if optional else ""
        raise InvalidArgument(f"{name} must be a string{extra}, got {shown(value)}")
    return value


def check_bool(value: object, name: str, *, optional: bool = False) -> bool | None:
    """``True`` or ``False`` (not 0 / 1 / "yes"); None too when ``optional``.

    Raises:
        InvalidArgument: another type.
    """
    if value is None and optional:
        return None
    if not isinstance(value, bool):
        extra = ", False or None" if optional else " or False"
        raise InvalidArgument(f"{name} must be True{extra}, got {shown(value)}")
    return value


def check_callable(value: T, name: str) -> T:
    """A callable, or None.

    Raises:
        InvalidArgument: neither.
    """
    if value is not None and not callable(value):
        raise InvalidArgument(f"{name} must be callable or None, got {shown(value)}")
    return value


def check_instance(value: T, kind: type[Any], name: str, what: str) -> T:
    """An instance of ``kind`` (described as ``what``, e.g. ``"an lro.WaitPolicy"``), or
    None.

    Raises:
        InvalidArgument: neither.
    """
    if value is not None and not isinstance(value, kind):
        raise InvalidArgument(f"{name} must be {what} or None, got {_kind(value)}")
    return value


def check_stop(value: T, *, asynchronous: bool, name: str = "stop") -> T:
    """A stop event of the right kind, or None: for the sync half something like a
    :class:`threading.Event` (``is_set()`` and a plain ``wait(timeout)``), for the async
    half something like an :class:`asyncio.Event` (``is_set()`` and a coroutine
    ``wait()``). The test is structural, as the type annotations' Protocols are, because
    the core imports neither threading nor asyncio.

    Raises:
        InvalidArgument: anything else (an asyncio.Event given to a sync wait, a bool, ...).
    """
    if value is None:
        return value
    is_set = getattr(value, "is_set", None)
    wait = getattr(value, "wait", None)
    if (
        not callable(is_set)
        or not callable(wait)
        or inspect.iscoroutinefunction(wait) is not asynchronous
    ):
        what = "an asyncio.Event" if asynchronous else "a threading.Event"
        raise InvalidArgument(f"{name} must be {what} or None, got {_kind(value)}")
    return value


def check_numbers(
    owner: object, kind: str, *groups: tuple[str, ...], optional: tuple[str, ...] = ()
) -> None:
    """Every named attribute of a settings object (``WaitPolicy``, ``Retry``) is a number
    (not a bool); those in ``optional`` may also be None.

    Raises:
        InvalidArgument: naming the first attribute that is not.
    """
    for name in (*(n for group in groups for n in group), *optional):
        value = getattr(owner, name)
        if value is None and name in optional:
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            extra = " or None" if name in optional else ""
            raise InvalidArgument(f"{kind}.{name} must be a number{extra}, got {shown(value)}")
