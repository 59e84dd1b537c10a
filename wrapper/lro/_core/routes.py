"""The one seam to the generated layer: requests built from ``lro_api``'s route table.

``lro_api.routes`` is generated from ``openapi.yaml`` (``templates/routes.mustache``): for
each operationId its HTTP method, its path template and its parameters under their wire
names, as plain data. :func:`build` turns one route and the caller's values into a
:class:`Prepared` request (method, path, query, headers, JSON body):

* path parameters go through :func:`~lro._core.names.encode_path`, which validates the
  name and percent-encodes everything but ``/`` (``?``, ``#``, ``%``, ``:``, space, ...);
* query values are percent-encoded UTF-8 with ``/`` kept, in the spec's order; an array
  parameter sends one ``key=value`` pair per item (``names=a&names=b``), booleans are
  ``true``/``false``; a value of the wrong JSON type, or outside an enum, is refused;
* the body is compact JSON (``NaN`` and non-JSON values refused);
* ``root`` is the path of the route's server on the host: ``/{version}`` for the
  spec's own server (the standard view: a Google-style service's versioned root), or a
  view's mount (``/audit``, ``/admin``) when its path item names a server of its own.
  Paths are relative to it; the client joins its base URL, the root and the path.

This is the only module of ``lro`` that imports ``lro_api``, and it imports nothing but
the table and the package version, so building and sending a request never loads the
generated API classes or pydantic. :func:`response_model` loads a generated model for
whoever asks for a pydantic-typed result.
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

from lro_api import __version__ as API_VERSION
from lro_api.routes import ROUTES, SERVER, SERVER_VARIABLES, Param, Route

from .errors import InvalidArgument
from .names import encode_path

__all__ = [
    "API_VERSION",
    "DEFAULT_VERSION",
    "ROUTES",
    "STANDARD_ROOT",
    "Param",
    "Prepared",
    "Route",
    "build",
    "response_model",
    "root_of",
]

#: Characters left as they are in a query value besides ``A-Z a-z 0-9 - . _ ~``.
QUERY_SAFE = "/"

_ARTICLE = {"integer": "an", "object": "an"}

#: The path of the spec's own server (``/{version}``): the root of the standard view.
STANDARD_ROOT = urlsplit(SERVER).path
#: The API version a base URL without one means (the spec's default: ``v1``).
DEFAULT_VERSION = SERVER_VARIABLES["version"]


class Prepared(NamedTuple):
    """One request built from a route: everything but the base URL and the credentials.

    ``query`` holds the decoded ``(wire name, value)`` pairs; ``target`` is the encoded
    path and query (``/operations?pageSize=5``), relative to ``root``: the path of the
    route's server on the host (``/{version}``, ``/audit``; see :func:`root_of`).
    """

    root: str
    operation_id: str
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    target: str
    headers: Mapping[str, str] = MappingProxyType({})
    body: bytes | None = None


def build(operation_id: str, /, *, body: Any = None, **values: Any) -> Prepared:
    """The request of ``ROUTES[operation_id]`` with path and query ``values``.

    ``values`` are keyed by the generated API method's argument names (``page_size`` for
    the wire's ``pageSize``); None means "not sent". ``body`` is the JSON request body
    (None: none). A value the route cannot carry raises :class:`~lro.errors.InvalidArgument`
    (:class:`~lro.errors.InvalidName` for a path parameter); an argument the route does not
    have raises TypeError (a programming error, not a user's).

    Raises:
        InvalidArgument: a missing required value, a wrong type, a bad enum value, or a
            body that is not JSON.
    """
    route = ROUTES[operation_id]
    unknown = set(values) - _ARGUMENTS[operation_id]
    if unknown:
        raise TypeError(f"{operation_id} has no parameter(s) {sorted(unknown)}")
    path = route.path
    for param in route.path_params:
        value = values.get(param.python_name)
        if value is None:
            raise InvalidArgument(f"{operation_id} needs {param.name}")
        path = path.replace("{" + param.name + "}", encode_path(value))
    query: list[tuple[str, str]] = []
    for param in route.query_params:
        value = values.get(param.python_name)
        if value is None:
            if param.required:
                raise InvalidArgument(f"{operation_id} needs {param.name}")
            continue
        if param.repeated:
            if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
                raise InvalidArgument(
                    f"{param.name} must be a list of values, got {type(value).__name__}"
                )
            query.extend((param.name, _scalar(param, item)) for item in value)
        else:
            query.append((param.name, _scalar(param, value)))
    target = path
    if query:
        try:
            target += "?" + "&".join(
                f"{quote(key, safe='')}={quote(value, safe=QUERY_SAFE)}" for key, value in query
            )
        except UnicodeEncodeError as exc:
            raise InvalidArgument("a query value is not valid Unicode") from exc
    headers: dict[str, str] = {}
    for param in route.header_params:
        value = values.get(param.python_name)
        if value is not None:
            headers[param.name] = _scalar(param, value)
        elif param.required:
            raise InvalidArgument(f"{operation_id} needs {param.name}")
    if route.accept:
        headers["Accept"] = route.accept
    data: bytes | None = None
    if body is not None:
        if route.body_param is None:
            raise TypeError(f"{operation_id} takes no request body")
        data = _json(body)
        headers["Content-Type"] = route.content_type or "application/json"
    elif route.body_param is not None and route.body_param.required:
        raise InvalidArgument(f"{operation_id} needs a request body")
    return Prepared(
        _ROOTS[operation_id], operation_id, route.method, path, tuple(query), target, headers, data
    )


def root_of(route: Route) -> str:
    """The path of the route's server on the host, e.g. ``/{version}`` or ``/audit``."""
    return urlsplit(route.server or SERVER).path.rstrip("/")


def response_model(operation_id: str) -> type[Any] | None:
    """The generated pydantic model of the operation's 2xx response (None for a free-form
    object). Importing it loads pydantic: only for callers who ask for a typed result."""
    name = ROUTES[operation_id].response_type
    if name is None or name == "object":
        return None
    models = importlib.import_module("lro_api.models")
    model: type[Any] = getattr(models, name)
    return model


def _scalar(param: Param, value: Any) -> str:
    """One query value as text, checked against the parameter's JSON type and enum."""
    kind = param.type
    if kind == "boolean" and isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bool):
        pass  # a bool is an int in Python, never an integer on the wire
    elif kind == "integer" and isinstance(value, int):
        return str(value)
    elif kind == "number" and isinstance(value, int | float) and math.isfinite(value):
        return repr(value)
    elif kind == "string" and isinstance(value, str):
        if param.enum and value not in param.enum:
            raise InvalidArgument(f"{param.name} must be one of {list(param.enum)}, got {value!r}")
        return value
    article = _ARTICLE.get(kind, "a")
    raise InvalidArgument(f"{param.name} must be {article} {kind}, got {type(value).__name__}")


def _json(body: Any) -> bytes:
    try:
        text = json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return text.encode()
    except (TypeError, ValueError, RecursionError) as exc:  # UnicodeEncodeError is a ValueError
        raise InvalidArgument(f"the request body is not valid JSON: {exc}") from exc


def _arguments(route: Route) -> frozenset[str]:
    params = (*route.path_params, *route.query_params, *route.header_params)
    return frozenset(p.python_name for p in params)


_ARGUMENTS = {operation_id: _arguments(route) for operation_id, route in ROUTES.items()}
_ROOTS = {operation_id: root_of(route) for operation_id, route in ROUTES.items()}
