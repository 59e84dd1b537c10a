"""Page sizes and opaque page tokens (AIP-158) for keyset pagination.

A token carries the `seq` of the last operation of the previous page and a
fingerprint of the query it belongs to (which list, parent, filter, ...), signed
with a key kept in the database, so tokens survive restarts while a forged,
garbled or foreign token is INVALID_ARGUMENT instead of a silent wrong page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

from .errors import invalid_argument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def page_size(requested: int) -> int:
    """0 means the default; more than the maximum is coerced down; negative is an error."""
    if requested < 0:
        raise invalid_argument("pageSize must not be negative", reason="INVALID_PAGE_SIZE")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def fingerprint(*parts: object) -> str:
    """A short digest of what a query selects; tokens are only valid for the same query."""
    encoded = json.dumps(parts, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()[:16]


class PageTokens:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def issue(self, after_seq: int, query: str) -> str:
        payload = _b64(json.dumps({"after": after_seq, "q": query}, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def resume_after(self, token: str, query: str) -> int:
        """The `seq` to continue after; 0 for the first page (an empty token)."""
        if not token:
            return 0
        payload, _, signature = token.partition(".")
        # Compared as bytes: compare_digest refuses non-ASCII str, and tokens come from users.
        expected = self._sign(payload).encode("ascii")
        if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogatepass")):
            raise _invalid("it was not issued by this server")
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            after, token_query = data["after"], data["q"]
        except (ValueError, TypeError, KeyError, binascii.Error):
            raise _invalid("it is garbled") from None
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise _invalid("it is garbled")
        if token_query != query:
            raise _invalid("it belongs to a request with a different filter, parent or view")
        return after

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii", "replace"), "sha256").digest()[:16])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _invalid(problem: str) -> Exception:
    return invalid_argument(f"invalid pageToken: {problem}", reason="INVALID_PAGE_TOKEN")
