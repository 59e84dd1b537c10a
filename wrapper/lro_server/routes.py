"""HTTP routes: which handler serves a path, and how each handler reads its request.

Path grammar (the HTTP surface of the design doc):

    /v1/operations                   standard view, the whole collection
    /v1/{parent}/operations          standard view, one parent's collection
    /v1/{name}[:cancel|:wait]        standard view, one operation
    /audit/v1/operations[:verb]      audited view, collection methods
    /audit/v1/{name}[:verb]          audited view, one operation
    /admin/v1/{simulations|faults|stats}

A `:verb` is split off the last raw path segment only when it is a verb of that
view, so a name containing a literal ':' still works (or can be sent as %3A).
The rest is percent-decoded once (so `%2F` inside a name works) and validated as
a name; a path ending in `/operations` is always a list. An unknown path is 404;
a known path with a method it lacks is 405 with code 12 and an `Allow` header.
"""

from __future__ import annotations

import logging
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from .errors import ApiError, Code, invalid_argument
from .faults import FaultRule, Faults
from .identity import Identity
from .messages import Request, Response, error_response, json_response
from .names import validate_name
from .service import Operations, Page, basic_view, standard_view
from .simulation import Simulator
from .wire import (
    INT32_MAX,
    JsonObject,
    as_any,
    as_bool,
    as_int32,
    as_number,
    as_status,
    as_string,
    as_string_list,
    camel_case,
    parse_body,
    parse_duration,
    read_field,
)

logger = logging.getLogger("lro_server")

STANDARD_PREFIX = "/v1/"
AUDIT_PREFIX = "/audit/v1/"
ADMIN_PREFIX = "/admin/v1/"
_STANDARD_VERBS = frozenset({"cancel", "wait"})
_AUDIT_VERBS = frozenset(
    ["batchGet", "unseen", "batchMarkSeenByCreator", "markSeenByCreator", "abort", "finalize"]
)
_VIEWS = (("standard", STANDARD_PREFIX, _STANDARD_VERBS), ("audit", AUDIT_PREFIX, _AUDIT_VERBS))
# OperationView by name or number, as proto3 JSON accepts enums: is it BASIC?
_IS_BASIC_VIEW = {
    "OPERATION_VIEW_UNSPECIFIED": False,
    "OPERATION_VIEW_BASIC": True,
    "OPERATION_VIEW_FULL": False,
    "0": False,
    "1": True,
    "2": False,
}


@dataclass(frozen=True)
class Target:
    """What a path addresses. kind: root | collection | operation | an admin resource."""

    view: str
    kind: str
    name: str = ""  # the operation's name, or the collection's parent
    verb: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.view, self.kind, self.verb)


def parse_target(path: str) -> Target | None:
    """The target of a raw request path; None when no route has its shape."""
    if path.startswith(ADMIN_PREFIX):
        return Target("admin", path[len(ADMIN_PREFIX) :])
    found = next((v for v in _VIEWS if path.startswith(v[1])), None)
    if found is None:
        return None
    view, prefix, verbs = found
    rest = path[len(prefix) :]
    head, slash, last = rest.rpartition("/")
    stem, colon, verb = last.rpartition(":")
    if colon and verb in verbs:
        rest = head + slash + stem
    else:
        verb = ""
    try:
        name = urllib.parse.unquote(rest, errors="strict")
    except UnicodeDecodeError:
        raise invalid_argument(
            "path is not UTF-8 after percent-decoding", reason="INVALID_NAME"
        ) from None
    if name == "operations":
        return Target(view, "root", "", verb)
    if name.endswith("/operations"):
        return Target(
            view, "collection", validate_name(name[: -len("/operations")], field="parent"), verb
        )
    return Target(view, "operation", name, verb)


class QueryParams:
    """The query string: keys in camelCase or snake_case, values UTF-8, single ones once."""

    def __init__(self, query: str) -> None:
        try:
            pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            raise invalid_argument("query string is not UTF-8 after percent-decoding") from None
        self._values: dict[str, list[str]] = {}
        for key, value in pairs:
            self._values.setdefault(camel_case(key), []).append(value)

    def all(self, name: str) -> list[str]:
        return self._values.get(name, [])

    def one(self, name: str) -> str:
        values = self.all(name)
        if len(values) > 1:
            raise invalid_argument(f"query parameter {name} given more than once", field=name)
        return values[0] if values else ""

    def int32(self, name: str) -> int:
        text = self.one(name)
        return as_int32(text, name) if text else 0

    def bool(self, name: str) -> bool:
        text = self.one(name)
        if text not in ("", "true", "false"):
            raise invalid_argument(f"{name} must be true or false, got {text[:20]!r}", field=name)
        return text == "true"


@dataclass
class Call:
    request: Request
    principal: str
    target: Target
    params: QueryParams
    _body: JsonObject | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.target.name

    def body(self) -> JsonObject:
        if self._body is None:
            self._body = parse_body(self.request.body)
        return self._body


Handler = Callable[[Call], Awaitable[JsonObject]]


class Router:
    def __init__(
        self,
        operations: Operations,
        identity: Identity,
        faults: Faults,
        simulator: Simulator,
        stats: Callable[[], JsonObject],
    ) -> None:
        self._ops = operations
        self._identity = identity
        self._faults = faults
        self._simulator = simulator
        self._stats = stats
        self._routes: dict[tuple[str, str, str], dict[str, Handler]] = {
            ("standard", "root", ""): {"GET": self.list_operations},
            ("standard", "collection", ""): {"GET": self.list_operations},
            ("standard", "operation", ""): {"GET": self.get_operation, "DELETE": self.delete},
            ("standard", "operation", "cancel"): {"POST": self.cancel},
            ("standard", "operation", "wait"): {"POST": self.wait},
            ("audit", "root", ""): {"GET": self.list_audited, "POST": self.create},
            ("audit", "root", "batchGet"): {"GET": self.batch_get},
            ("audit", "root", "unseen"): {"GET": self.list_unseen},
            ("audit", "root", "batchMarkSeenByCreator"): {"POST": self.batch_mark_seen},
            ("audit", "operation", ""): {"GET": self.get_audited, "PATCH": self.update},
            ("audit", "operation", "markSeenByCreator"): {"POST": self.mark_seen},
            ("audit", "operation", "abort"): {"POST": self.abort},
            ("audit", "operation", "finalize"): {"PATCH": self.finalize},
            ("admin", "simulations", ""): {"POST": self.simulate},
            ("admin", "faults", ""): {
                "GET": self.list_faults,
                "POST": self.add_fault,
                "DELETE": self.clear_faults,
            },
            ("admin", "stats", ""): {"GET": self.stats},
        }

    def admit(self, request: Request) -> Response | None:
        """Before the body is read: refuse callers that could never be served (401, 403)."""
        try:
            self._authorize(request)
        except ApiError as e:
            response = error_response(e)
            _log(request, response, "-", time.monotonic())
            return response
        return None

    def _authorize(self, request: Request) -> str:
        principal = self._identity.principal(request.headers.get("authorization"))
        if request.path.startswith(ADMIN_PREFIX):
            self._identity.require_admin(principal)
        return principal

    async def dispatch(self, request: Request) -> Response:
        started = time.monotonic()
        principal = "-"
        try:
            principal = self._authorize(request)
            target = parse_target(request.path)
            methods = self._routes.get(target.key) if target is not None else None
            if target is None or methods is None:
                raise ApiError(
                    Code.NOT_FOUND, f"no such path: {request.path[:200]}", reason="PATH_NOT_FOUND"
                )
            handler = methods.get(request.method)
            if handler is None:
                raise ApiError(
                    Code.UNIMPLEMENTED,
                    f"method {request.method} is not allowed on this path",
                    reason="METHOD_NOT_ALLOWED",
                    http_status=405,
                    headers={"Allow": ", ".join(methods)},
                )
            if target.kind == "operation":
                validate_name(target.name)
            payload = await handler(Call(request, principal, target, QueryParams(request.query)))
            response = json_response(200, payload)
        except ApiError as e:
            response = error_response(e)
        _log(request, response, principal, started)
        return response

    # --- standard view --------------------------------------------------------------------

    async def list_operations(self, call: Call) -> JsonObject:
        if call.params.bool("returnPartialSuccess"):
            raise ApiError(
                Code.UNIMPLEMENTED,
                "returnPartialSuccess is not supported by this server",
                reason="PARTIAL_SUCCESS_UNSUPPORTED",
            )
        parent = call.name if call.target.kind == "collection" else None
        page = self._ops.list_standard(
            parent,
            call.params.one("filter"),
            call.params.int32("pageSize"),
            call.params.one("pageToken"),
        )
        return _page(page, standard_view, with_total=False)

    async def get_operation(self, call: Call) -> JsonObject:
        return standard_view(self._ops.get(call.name, include_deleted=False))

    async def delete(self, call: Call) -> JsonObject:
        self._ops.delete(call.principal, call.name)
        return {}

    async def cancel(self, call: Call) -> JsonObject:
        call.body()  # CancelOperationRequest has no fields, but it must still be JSON
        self._ops.cancel(call.principal, call.name)
        return {}

    async def wait(self, call: Call) -> JsonObject:
        # The window as a query parameter (Vertex's binding, no body) or in the body (a
        # `body: "*"` binding); the query parameter wins when both are given.
        query = call.params.one("timeout")
        body_timeout = read_field(call.body(), "timeout", parse_duration, None)
        timeout_ns = parse_duration(query, "timeout") if query else body_timeout
        return await self._ops.wait(
            call.name, timeout_ns, principal=call.principal, gone=call.request.gone
        )

    # --- audited view ---------------------------------------------------------------------

    async def create(self, call: Call) -> JsonObject:
        op = self._ops.create(
            call.principal,
            parent=call.params.one("parent"),
            metadata=read_field(call.body(), "metadata", as_any, None),
            request_id=call.params.one("requestId"),
        )
        return {"operation": op}

    async def get_audited(self, call: Call) -> JsonObject:
        return {"operation": self._ops.get(call.name, include_deleted=True)}

    async def list_audited(self, call: Call) -> JsonObject:
        page = self._ops.list_audited(
            call.params.one("filter"),
            call.params.bool("showDeleted"),
            call.params.int32("pageSize"),
            call.params.one("pageToken"),
        )
        return _page(page, _full_view, with_total=True)

    async def batch_get(self, call: Call) -> JsonObject:
        return {"operations": self._ops.batch_get(call.params.all("names"))}

    async def list_unseen(self, call: Call) -> JsonObject:
        view_name = call.params.one("view") or "OPERATION_VIEW_UNSPECIFIED"
        if view_name not in _IS_BASIC_VIEW:
            raise invalid_argument(
                f"view must be one of OPERATION_VIEW_BASIC, OPERATION_VIEW_FULL, "
                f"OPERATION_VIEW_UNSPECIFIED; got {view_name[:40]!r}",
                field="view",
            )
        page = self._ops.list_unseen(
            call.principal, call.params.int32("pageSize"), call.params.one("pageToken")
        )
        view = basic_view if _IS_BASIC_VIEW[view_name] else _full_view
        return _page(page, view, with_total=True)

    async def mark_seen(self, call: Call) -> JsonObject:
        call.body()
        return {"operation": self._ops.mark_seen(call.principal, call.name)}

    async def batch_mark_seen(self, call: Call) -> JsonObject:
        names = read_field(call.body(), "names", as_string_list, [])
        return {"operations": self._ops.batch_mark_seen(call.principal, names)}

    async def update(self, call: Call) -> JsonObject:
        metadata = read_field(call.body(), "metadata", as_any, None)
        if metadata is None:
            raise invalid_argument("metadata is required", field="metadata")
        op = self._ops.update(call.principal, call.name, metadata)
        return {"operation": op}

    async def abort(self, call: Call) -> JsonObject:
        call.body()
        op = self._ops.abort(call.principal, call.name, request_id=call.params.one("requestId"))
        return {"operation": op}

    async def finalize(self, call: Call) -> JsonObject:
        body = call.body()
        if not read_field(body, "done", as_bool, False):
            raise invalid_argument("finalize needs done: true", field="done")
        op = self._ops.finalize(
            call.principal,
            call.name,
            error=read_field(body, "error", as_status, None),
            response=read_field(body, "response", as_any, None),
            request_id=call.params.one("requestId"),
        )
        return {"operation": op}

    # --- admin ----------------------------------------------------------------------------

    async def simulate(self, call: Call) -> JsonObject:
        body = call.body()
        ops = await self._simulator.start_soon(
            call.principal,
            count=read_field(body, "count", as_int32, 1),
            duration=read_field(body, "durationSeconds", as_number, 1.0),
            outcome=read_field(body, "outcome", as_string, "response"),
            parent=read_field(body, "parent", as_string, ""),
            steps=read_field(body, "steps", as_int32, 10),
            pattern=read_field(body, "progress", as_string, "linear"),
        )
        return {"operations": ops}

    async def list_faults(self, call: Call) -> JsonObject:
        rules = [rule.to_json() for rule in self._faults.rules]
        return {"faults": rules} if rules else {}

    async def add_fault(self, call: Call) -> JsonObject:
        return self._faults.add_rule(FaultRule.from_json(call.body())).to_json()

    async def clear_faults(self, call: Call) -> JsonObject:
        self._faults.clear()
        return {}

    async def stats(self, call: Call) -> JsonObject:
        return self._stats()


def _log(request: Request, response: Response, principal: str, started: float) -> None:
    # The principal, never the Authorization header: tokens stay out of logs.
    logger.info(
        "%s %.200s -> %d principal=%s %.1fms",
        request.method,
        request.path,
        response.status,
        principal,
        (time.monotonic() - started) * 1000,
    )


def _full_view(op: JsonObject) -> JsonObject:
    return op


def _page(page: Page, view: Callable[[JsonObject], JsonObject], *, with_total: bool) -> JsonObject:
    """A list response in canonical proto3 JSON: empty fields left out."""
    out: JsonObject = {}
    if page.operations:
        out["operations"] = [view(op) for op in page.operations]
    if page.next_page_token:
        out["nextPageToken"] = page.next_page_token
    if with_total and page.total_size:
        out["totalSize"] = min(page.total_size, INT32_MAX)
    return out
