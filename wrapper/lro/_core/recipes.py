"""What each API call sends and how its answer is read, shared by both clients.

:class:`Recipes` makes the :class:`~lro._core.attempts.Call` of every API method: how to
build its :class:`~lro._core.http.Request` (from the generated route table, through
:mod:`lro._core.routes`: paths, query encoding, headers), how to parse the
:class:`~lro._core.http.Response` (:mod:`lro._core.decode`, then :class:`lro.Operation`
snapshots), and whether it is idempotent. :func:`lro._core.attempts.attempts` drives a
call's retries without doing any I/O, so :class:`lro.Client` and :class:`lro.AsyncClient`
differ only in how they send and sleep.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import urlsplit

from .attempts import Call, PageFetch
from .auth import check_header_value
from .checks import check_bool, check_positive_int, check_str, check_timeout
from .clock import SYSTEM_CLOCK, Clock
from .decode import json_object_of, load, total_size, wrong_shape
from .endpoints import AUDIT_ROOT, agent_string, split_version
from .errors import Error, InvalidArgument, InvalidName, NotFound
from .http import Request, Response
from .names import is_list_path, validate_name
from .paging import Page
from .snapshot import Snapshot

__all__ = [
    "BATCH_TOO_LARGE",
    "LONG_POLL_ROUTE",
    "MAX_BATCH",
    "Recipes",
    "View",
    "chunked",
    "new_request_id",
]

R = TypeVar("R")
#: The snapshot class a client makes: lro.Operation or lro.AsyncOperation.
OpT = TypeVar("OpT", bound=Snapshot)

View = Literal["standard", "audited"]

#: The route of the ``:wait`` long-poll, which a Google-style service may not have.
LONG_POLL_ROUTE = "WaitOperation"

#: Most names in one batchGet / batchMarkSeenByCreator request.
MAX_BATCH = 1000
#: ``ErrorInfo.reason`` of a batch whose reply would pass the server's size budget (the
#: reference server's ``--max-batch-bytes``): the clients split it and ask again.
BATCH_TOO_LARGE = "BATCH_TOO_LARGE"

#: Extra read time for a ``:wait`` request beyond the wait window it asks for: a server
#: that holds the request longer than asked is cut off then (the waiters and
#: ``wait_once`` then read the operation with a GET), so it never stretches a wait.
WAIT_MARGIN = 1.0
#: Wait window used by :meth:`Client.wait_once` when neither it nor the client has a timeout.
DEFAULT_WAIT_WINDOW = 60.0

_VIEW_NAMES = {
    "unspecified": "OPERATION_VIEW_UNSPECIFIED",
    "basic": "OPERATION_VIEW_BASIC",
    "full": "OPERATION_VIEW_FULL",
}


def _check_name(name: str) -> str:
    validate_name(name)
    if is_list_path(name):
        raise InvalidName(
            f"{name!r} is not an operation name: a path ending in 'operations' is a List"
        )
    return name


def _check_parent(parent: str) -> str:
    validate_name(parent)
    if is_list_path(parent):
        raise InvalidName(f"parent {parent!r} must not end in 'operations'")
    return parent


def _view_value(view: str | None) -> str | None:
    if view is None:
        return None
    text = view.strip()
    value = _VIEW_NAMES.get(text.lower(), text.upper())
    if value not in _VIEW_NAMES.values():
        raise InvalidArgument(f"view must be one of {sorted(_VIEW_NAMES)}, got {view!r}")
    return value


def _duration(seconds: float) -> str:
    from .timestamps import Duration

    return Duration.from_seconds(seconds).to_json()


def _gone(error: Error) -> None:
    """``Call.settle`` of a delete: NOT_FOUND means an earlier attempt deleted it."""
    if not isinstance(error, NotFound):
        raise error


def _json_object(value: Any, what: str) -> dict[str, Any]:
    """A caller's Any / Status as a plain dict (InvalidArgument if it is not a mapping)."""
    if not isinstance(value, Mapping):
        raise InvalidArgument(f"{what} must be a mapping (JSON object), got {type(value).__name__}")
    return dict(value)


# ---------------------------------------------------------------------------------------
# Building and parsing every call (shared by Client and AsyncClient)


class Recipes(Generic[OpT]):
    """Builds the :class:`Call` of every API method; shared by both clients.

    ``standard`` and ``audited`` are the objects operations get bound to (the client and
    its audited view). Every request is built by :func:`lro._core.routes.build` from the
    generated route table, imported here on first use (plain data: no pydantic).
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | None,
        user_agent: str | None,
        audit_prefix: str,
        standard: Any,
        audited: Any,
        operation_class: type[OpT],
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        from . import routes  # lazy: `import lro` loads no part of the generated layer

        if user_agent is not None:
            check_header_value(user_agent, "user_agent")
        self.base_url = base_url
        self.timeout = timeout
        self.clock = clock  # the client's: a :wait window is measured on it
        self._standard = standard
        self._audited = audited
        self._operation_class = operation_class  # AsyncOperation for the async client
        self._build = routes.build
        # Where each route's server lives on the host (see routes.root_of): the standard
        # view at the base URL's version (v1 when it names none), the audited view at the
        # service root plus audit_prefix; any other view at its own mount.
        root, self.version = split_version(base_url, routes.DEFAULT_VERSION)
        self.standard_root = f"{root}/{self.version}"
        self.audit_root = root + audit_prefix
        self._roots = {routes.STANDARD_ROOT: self.standard_root, AUDIT_ROOT: self.audit_root}
        self._service_root = root
        self._no_audit_hint = (
            f"is the audited view served under {self.audit_root!r}? "
            "Set the client's audit_prefix, or use only the standard view"
        )
        self._user_agent = {"User-Agent": agent_string(user_agent, routes.API_VERSION)}
        # Credentials are not added here: the I/O halves sign each request as they send it
        # (lro._core.auth), so a token can be asked for afresh per request.
        #: What this client has learnt about the ``:wait`` long-poll, per route: host and
        #: path template (:meth:`long_poll_route`, e.g.
        #: ``http://h:8080/v1/projects/*/operations/*:wait``): False once one was refused
        #: (a gateway without that binding), True once one answered. The waiters and
        #: ``wait_once`` read and write it (:func:`lro._core.waits.known_long_poll`).
        self.available: dict[str, bool] = {}
        #: Whether the server has answered this client once (any HTTP response, or at
        #: least a connection: :func:`lro._core.attempts.reached`): a wait whose server
        #: never did fails with the connection error instead of retrying to its deadline.
        self.answered = False
        self._route_table = routes.ROUTES
        self._root_of = routes.root_of
        self._templates: dict[str, str] = {}
        # Routes (path templates) whose server refused the ``timeout`` query parameter of
        # ``:wait``: the window goes in the body alone from then on.
        self._body_only_wait: set[str] = set()

    # -- requests -----------------------------------------------------------------------

    def _request(
        self,
        operation_id: str,
        /,
        *,
        read_timeout: float | None = None,
        body: Any = None,
        **params: Any,
    ) -> Request:
        """The request of the spec's ``operation_id`` (path and query ``params`` under the
        generated method's argument names, None left out; ``body`` the JSON body;
        ``read_timeout`` the HTTP timeout)."""
        prepared = self._build(operation_id, body=body, **params)
        root = self._roots.get(prepared.root)
        if root is None:  # a view of its own (the admin one): mounted on the service root
            root = self._service_root + prepared.root
        url = root + prepared.target
        headers = {**self._user_agent, **prepared.headers}
        return Request(prepared.method, url, headers, prepared.body, read_timeout)

    def template(self, operation_id: str) -> str:
        """The path template of a route on this client's host (``/v1/{name}:wait``,
        ``/audit/v1/operations:batchGet``): where :meth:`_request` sends it, with the
        spec's placeholders instead of the values."""
        found = self._templates.get(operation_id)
        if found is None:
            route = self._route_table[operation_id]
            mount = self._root_of(route)
            root = self._roots.get(mount) or self._service_root + mount
            found = self._templates[operation_id] = urlsplit(root).path + route.path
        return found

    def long_poll_route(self, name: str) -> str:
        """The ``:wait`` route ``name`` is sent to, as host and path template: the name's
        collection ids kept, its ids replaced by ``*`` (a gateway binds ``:wait`` per
        resource pattern, so one pattern lacking it says nothing of another)."""
        parts = _check_name(name).split("/")
        shape = "/".join(part if i % 2 == 0 else "*" for i, part in enumerate(parts))
        return f"{self.standard_root}/{shape}:wait"

    def _call(self, operation_id: str, parse: Callable[[Response], R], **params: Any) -> Call[R]:
        request = self._request(operation_id, **params)
        template = self.template(operation_id)
        return Call(request.method, request.path, lambda: request, parse, template=template)

    # -- parsers ------------------------------------------------------------------------

    def _operation(self, data: Any, response: Response, name: str | None, bind: Any) -> OpT:
        if not isinstance(data, dict) or not isinstance(data.get("name", ""), str):
            raise wrong_shape("expected an operation object", data, response, name)
        return self._operation_class.from_dict(data, client=bind)

    def _standard_op(self, name: str | None) -> Callable[[Response], OpT]:
        def parse(response: Response) -> OpT:
            return self._operation(load(response, name), response, name, self._standard)

        return parse

    def _audited_op(self, name: str | None) -> Callable[[Response], OpT]:
        hint = None if name else self._no_audit_hint

        def parse(response: Response) -> OpT:
            doc = json_object_of(load(response, name, hint), response, name)
            return self._operation(doc.get("operation"), response, name, self._audited)

        return parse

    def _empty(self, name: str) -> Callable[[Response], None]:
        def parse(response: Response) -> None:
            json_object_of(load(response, name), response, name)

        return parse

    def _operations(self, doc: dict[str, Any], response: Response, bind: Any) -> list[OpT]:
        items = doc.get("operations")
        if items is None:
            return []
        if not isinstance(items, list):
            raise wrong_shape("'operations' must be an array", items, response, None)
        operations = []
        make = self._operation_class
        for item in items:  # the hot loop of a 1000-operation page: keep it lean
            if not isinstance(item, dict) or not isinstance(item.get("name", ""), str):
                raise wrong_shape("expected operation objects", item, response, None)
            operations.append(make(item, bind))
        return operations

    def _page(self, audited: bool) -> Callable[[Response], Page[OpT]]:
        bind = self._audited if audited else self._standard
        hint = self._no_audit_hint if audited else None

        def parse(response: Response) -> Page[OpT]:
            doc = json_object_of(load(response, None, hint), response, None)
            token = doc.get("nextPageToken", doc.get("next_page_token")) or ""
            unreachable = doc.get("unreachable") or []
            if not isinstance(token, str) or not isinstance(unreachable, list):
                raise wrong_shape("bad nextPageToken or unreachable", doc, response, None)
            total = doc.get("totalSize", doc.get("total_size"))
            if total is None and audited:
                total = 0  # int32 field of the audited lists: proto3 JSON omits zero
            return Page(
                self._operations(doc, response, bind),
                next_page_token=token,
                total_size=total_size(total, response),
                unreachable=[str(u) for u in unreachable],
            )

        return parse

    def _batch(self, names: Sequence[str]) -> Callable[[Response], list[OpT]]:
        def parse(response: Response) -> list[OpT]:
            doc = json_object_of(load(response, None, self._no_audit_hint, names), response, None)
            return _in_order(names, self._operations(doc, response, self._audited))

        return parse

    # -- standard view ------------------------------------------------------------------

    def get(self, name: str) -> Call[OpT]:
        """GET /{version}/{name}."""
        return self._call("GetOperation", self._standard_op(name), name=_check_name(name))

    def list_fetch(
        self, parent: str | None, filter: str | None, page_size: int | None
    ) -> PageFetch[OpT]:
        """GET /{version}/operations or /{version}/{parent}/operations, one page per token."""
        check_str(parent, "parent", optional=True)
        check_str(filter, "filter", optional=True)
        check_positive_int(page_size, "page_size", optional=True)
        query = {"filter": filter, "page_size": page_size, "return_partial_success": None}
        parse = self._page(audited=False)
        if parent:
            scoped = _check_parent(parent)
            return lambda token: self._call(
                "ListParentOperations",
                parse,
                parent=scoped,
                page_token=token,
                **query,
            )
        return lambda token: self._call("ListOperations", parse, page_token=token, **query)

    def cancel(self, name: str) -> Call[None]:
        """POST /{version}/{name}:cancel."""
        return self._call(
            "CancelOperation", self._empty(name), name=_check_name(name),
            body={},
        )  # fmt: skip

    def delete(self, name: str) -> Call[None]:
        """DELETE /{version}/{name}. A retry finding the operation gone after an attempt whose
        answer was lost (dropped, timed out) counts as success: that attempt deleted it."""
        call = self._call("DeleteOperation", self._empty(name), name=_check_name(name))
        return dataclasses.replace(call, settle=_gone)

    def wait_once(self, name: str, timeout: float | None) -> Call[OpT]:
        """POST /{version}/{name}:wait, a window of ``timeout`` seconds (the client's timeout
        if None). Each attempt asks only for the time left in the window; its HTTP read
        timeout is that plus :data:`WAIT_MARGIN`; no retry starts after the window.

        The window goes both as the ``timeout`` query parameter and in the body: a server
        whose ``:wait`` is bound with no body (Vertex AI, Google's Operations mixins) reads
        the query, one bound with ``body: "*"`` the body. A strict server that refuses the
        query parameter (400 naming ``timeout``) is asked again at once with the body
        alone, and so is every later ``:wait`` of the route."""
        _check_name(name)
        window = check_timeout(timeout, finite=True)
        if window is None:
            window = self.timeout if self.timeout is not None else DEFAULT_WAIT_WINDOW
        end = self.clock.monotonic() + window
        template = self.template(LONG_POLL_ROUTE)

        def build() -> Request:
            left = max(0.0, end - self.clock.monotonic())
            window = _duration(left)
            return self._request(
                LONG_POLL_ROUTE,
                read_timeout=left + WAIT_MARGIN,
                name=name,
                timeout=None if template in self._body_only_wait else window,
                body={"timeout": window},
            )

        def fallback(error: Error) -> bool:
            refused = isinstance(error, InvalidArgument) and "timeout" in error.message
            if not refused or template in self._body_only_wait:
                return False
            self._body_only_wait.add(template)
            return True

        return Call(
            "POST", build().path, build, self._standard_op(name), budget=window,
            template=template, fallback=fallback,
        )  # fmt: skip

    def adopt(self, value: Any) -> OpT:
        """An operation another client returned (dict, JSON text, model, protobuf message;
        see :mod:`lro._core.adopt`), as a snapshot bound to the standard view. No I/O."""
        from .adopt import operation_json

        return self._operation_class.from_dict(operation_json(value), client=self._standard)

    # -- audited view -------------------------------------------------------------------

    def audit_get(self, name: str) -> Call[OpT]:
        """GET /audit/v1/{name}."""
        return self._call(
            "OperationService_GetOperation",
            self._audited_op(name),
            name=_check_name(name),
        )

    def audit_list_fetch(
        self, filter: str | None, page_size: int | None, show_deleted: bool | None
    ) -> PageFetch[OpT]:
        """GET /audit/v1/operations, one page per token."""
        check_str(filter, "filter", optional=True)
        check_positive_int(page_size, "page_size", optional=True)
        check_bool(show_deleted, "show_deleted", optional=True)
        parse = self._page(audited=True)
        return lambda token: self._call(
            "OperationService_ListOperations",
            parse,
            page_size=page_size,
            page_token=token,
            filter=filter,
            show_deleted=show_deleted,
        )

    def unseen_fetch(self, page_size: int | None, view: str | None) -> PageFetch[OpT]:
        """GET /audit/v1/operations:unseen, one page per token."""
        check_positive_int(page_size, "page_size", optional=True)
        # Checked now, not at the first page.
        value = _view_value(check_str(view, "view", optional=True))
        parse = self._page(audited=True)
        return lambda token: self._call(
            "OperationService_ListUnseenOperations",
            parse,
            page_size=page_size,
            page_token=token,
            view=value,
        )

    def batch_get(self, names: Sequence[str]) -> Call[list[OpT]]:
        """GET /audit/v1/operations:batchGet for at most :data:`MAX_BATCH` names."""
        return self._call(
            "OperationService_BatchGetOperations",
            self._batch(names),
            names=list(names),
        )

    def mark_seen(self, name: str) -> Call[OpT]:
        """POST /audit/v1/{name}:markSeenByCreator."""
        return self._call(
            "OperationService_MarkOperationSeenByCreator",
            self._audited_op(name),
            name=_check_name(name),
            body={},
        )

    def batch_mark_seen(self, names: Sequence[str]) -> Call[list[OpT]]:
        """POST /audit/v1/operations:batchMarkSeenByCreator for at most MAX_BATCH names."""
        return self._call(
            "OperationService_BatchMarkOperationSeenByCreator",
            self._batch(names),
            body={"names": list(names)},
        )

    def create(
        self, metadata: Mapping[str, Any] | None, parent: str | None, request_id: str | None
    ) -> Call[OpT]:
        """POST /audit/v1/operations (``requestId`` filled so retries are safe)."""
        body = {"metadata": _json_object(metadata, "metadata")} if metadata is not None else {}
        return self._call(
            "OperationService_CreateOperation",
            self._audited_op(None),
            body=body,
            parent=_check_parent(parent) if parent else None,
            request_id=check_str(request_id, "request_id", optional=True) or new_request_id(),
        )

    def update(self, name: str, metadata: Mapping[str, Any]) -> Call[OpT]:
        """PATCH /audit/v1/{name} with new metadata (progress)."""
        return self._call(
            "OperationService_UpdateOperation",
            self._audited_op(name),
            name=_check_name(name),
            body={"metadata": _json_object(metadata, "metadata")},
        )

    def finalize(
        self,
        name: str,
        response: Mapping[str, Any] | None,
        error: Error | Mapping[str, Any] | None,
        request_id: str | None,
    ) -> Call[OpT]:
        """PATCH /audit/v1/{name}:finalize with exactly one of response / error."""
        if (response is None) == (error is None):
            raise InvalidArgument("finalize needs exactly one of response= and error=")
        body: dict[str, Any] = {"done": True}
        if response is not None:
            body["response"] = _json_object(response, "response")
        elif isinstance(error, Error):
            body["error"] = error.status_dict()
        else:
            body["error"] = _json_object(error, "error")
        return self._call(
            "OperationService_FinalizeOperation",
            self._audited_op(name),
            name=_check_name(name),
            body=body,
            request_id=check_str(request_id, "request_id", optional=True) or new_request_id(),
        )

    def abort(self, name: str, request_id: str | None) -> Call[OpT]:
        """POST /audit/v1/{name}:abort (``requestId`` filled so retries are safe)."""
        return self._call(
            "OperationService_AbortOperation",
            self._audited_op(name),
            name=_check_name(name),
            request_id=check_str(request_id, "request_id", optional=True) or new_request_id(),
            body={},
        )


def chunked(names: Iterable[str]) -> list[list[str]]:
    """Validate names and split them into batches of at most :data:`MAX_BATCH`."""
    if isinstance(names, str):
        raise InvalidArgument("names must be an iterable of names, not a single string")
    items = [_check_name(n) for n in names]
    return [items[i : i + MAX_BATCH] for i in range(0, len(items), MAX_BATCH)]


def _in_order(names: Sequence[str], operations: list[OpT]) -> list[OpT]:
    """Operations in the order of ``names``; NotFound naming any name left unanswered."""
    if [op.name for op in operations] == list(names):
        return operations
    by_name = {op.name: op for op in operations}
    missing = [n for n in names if n not in by_name]
    if missing:
        more = f" (+{len(missing) - 10} more)" if len(missing) > 10 else ""
        shown = ", ".join(missing[:10]) + more
        raise NotFound(
            f"{len(missing)} operation(s) not found: {shown}",
            operation_name=missing[0],
        )
    return [by_name[n] for n in names]


def new_request_id() -> str:
    """A fresh AIP-155 ``requestId`` (a UUID4; uuid is imported on the first write only)."""
    import uuid

    return str(uuid.uuid4())
