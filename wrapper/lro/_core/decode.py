"""Response bytes to JSON values, or to the typed error of a failed response.

Every decoding failure is an :class:`lro.InvalidResponse` that names the HTTP status and
carries an excerpt of the body; a non-2xx response becomes the typed error of its
``google.rpc.Status`` (:func:`lro._core.errors.error_from_http`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .errors import InvalidResponse, error_from_http
from .http import Response
from .jsonvalues import int64, loads

__all__ = ["MISSING_ROUTE", "json_object_of", "load", "raw_excerpt", "total_size", "wrong_shape"]

#: How much of a body that is not JSON goes into an error.
_EXCERPT = 1000


def raw_excerpt(body: bytes) -> str:
    text = body[: _EXCERPT * 4].decode("utf-8", errors="replace")
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 3] + "..."


MISSING_ROUTE = frozenset({404, 405, 501})


def load(
    response: Response, name: str | None, hint: str | None = None, names: Sequence[str] = ()
) -> Any:
    """The decoded JSON of a 2xx response; the typed error of any other.

    ``hint`` is added to the message of a 404/405/501 that looks like a missing route: one
    whose message names none of the request's operation ``names``.
    """
    if not response.ok:
        error = error_from_http(response.status, response.body, response.headers, name)
        if hint and response.status in MISSING_ROUTE and not any(n in error.message for n in names):
            error.message = f"{error.message} ({hint})"
            error.args = (error.message,)
        raise error
    body = response.body
    if not body.strip():
        return {}
    try:
        return loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidResponse(
            f"HTTP {response.status} response is not valid JSON ({exc})",
            raw=raw_excerpt(body),
            http_status=response.status,
            operation_name=name,
        ) from None


def wrong_shape(what: str, value: Any, response: Response, name: str | None) -> InvalidResponse:
    return InvalidResponse(
        f"HTTP {response.status} response: {what} (got {type(value).__name__})",
        raw=raw_excerpt(response.body),
        http_status=response.status,
        operation_name=name,
    )


def json_object_of(doc: Any, response: Response, name: str | None) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise wrong_shape("expected a JSON object", doc, response, name)
    return doc


def total_size(value: Any, response: Response) -> int | None:
    """A page's ``totalSize``: None when absent; InvalidResponse unless an int64."""
    number = int64(value)
    if number is None and value is not None:
        raise wrong_shape("totalSize is not an int64", value, response, None)
    return number
