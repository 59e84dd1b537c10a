"""Who is calling: bearer tokens mapped to principals, and who is an admin.

With no tokens configured the server is open and every caller is `anonymous`
(and may use `/admin/v1/*`: the in-process test double stays fully open).
Otherwise `Authorization: Bearer <token>` must carry a configured token, and only
the principals named as admins (`--admin PRINCIPAL`) may use `/admin/v1/*`;
with none named, nobody may over HTTP (the Python-side `srv.faults` and
`srv.simulate()` do not go over HTTP and always work). Tokens
are compared in constant time against every configured token (digests of equal
length, no early exit), and they never leave this module: callers get only the
principal, which is what the server logs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import ApiError, Code

ANONYMOUS = "anonymous"


class Identity:
    def __init__(self, tokens: Mapping[str, str] | None = None, admins: Iterable[str] = ()) -> None:
        self._principals = [
            (_digest(token), principal) for token, principal in (tokens or {}).items()
        ]
        self._admins = frozenset(admins)

    @property
    def open(self) -> bool:
        return not self._principals

    def require_admin(self, principal: str) -> None:
        """PERMISSION_DENIED unless `principal` has the admin role (everyone, in open mode)."""
        if not self.open and principal not in self._admins:
            raise ApiError(
                Code.PERMISSION_DENIED,
                f"{principal} may not use the admin API (the server names its admins: --admin)",
                reason="ADMIN_ONLY",
            )

    def principal(self, authorization: str | None) -> str:
        """The principal for an Authorization header value; UNAUTHENTICATED if none matches."""
        if self.open:
            return ANONYMOUS
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthenticated("missing bearer token")
        candidate = _digest(token.strip())
        found = ""
        for digest, principal in self._principals:
            # No break: the time taken must not depend on which token matched.
            if hmac.compare_digest(candidate, digest):
                found = principal
        if not found:
            raise _unauthenticated("unknown bearer token")
        return found


def parse_token_arg(text: str) -> tuple[str, str]:
    """TOKEN=PRINCIPAL; split at the last `=` since tokens may end in base64 padding."""
    token, sep, principal = text.rpartition("=")
    if not sep or not token or not principal:
        raise ValueError(f"expected TOKEN=PRINCIPAL, got {'*' * min(len(text), 8)}")
    return token, principal


def load_tokens_file(path: str | Path) -> dict[str, str]:
    """A JSON object mapping token -> principal."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in data.items()
    ):
        raise ValueError(f"{path}: expected a JSON object mapping token to principal")
    return dict(data)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()


def _unauthenticated(message: str) -> ApiError:
    return ApiError(
        Code.UNAUTHENTICATED,
        message,
        reason="UNAUTHENTICATED",
        headers={"WWW-Authenticate": 'Bearer realm="lro"'},
    )
