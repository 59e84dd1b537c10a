"""The one "not given" sentinel, :data:`DEFAULT`.

It lives here, below every module that needs it (:mod:`lro._core.deadlines` re-exports it for
the clients' signatures; both halves' operation modules use it too), so there is exactly
one such object in the SDK.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT"]


class _UseDefault:
    """Sentinel type of :data:`DEFAULT` (one instance; copies and pickles are it too)."""

    def __repr__(self) -> str:
        return "DEFAULT"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "DEFAULT"  # copy and pickle give back this module's DEFAULT


#: "Use ``policy.default_timeout``" for a wait's ``timeout`` (None means "forever").
DEFAULT: Any = _UseDefault()
