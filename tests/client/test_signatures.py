"""Explicit signatures: no public method hides its parameters behind ``**options`` or
``*args``; each sync method and its async twin take the same parameters; and an argument
of the wrong type or value raises ``lro.InvalidArgument`` naming it, before any request
reaches the (real, reference) server.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from client_support import FAST_RETRY

import lro
import lro.aio
from lro._async import waiting as async_waiting
from lro._sync import waiting as sync_waiting
from lro_server import serve

SYNC_CLASSES: list[type[Any]] = [lro.Client, lro.AuditedView, lro.Operation]
ASYNC_CLASSES: list[type[Any]] = [
    lro.aio.AsyncClient,
    lro.aio.AsyncAuditedView,
    lro.aio.AsyncOperation,
]
FUNCTION_TWINS: list[tuple[Callable[..., Any], Callable[..., Any]]] = [
    (lro.wait_all, lro.aio.async_wait_all),
    (lro.as_completed, lro.aio.async_as_completed),
    (sync_waiting.wait, async_waiting.async_wait),  # what Client.wait forwards to
    (sync_waiting.watch, async_waiting.async_watch),
]

#: Variadic parameters that are not catch-alls: ``mark_seen(*names: str)`` takes one or
#: more typed names (one gives an Operation, several a list).
VARIADIC_ALLOWED = {"mark_seen"}


def _public_methods(cls: type[Any]) -> dict[str, inspect.Signature]:
    methods = {}
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") or isinstance(inspect.getattr_static(cls, name), property):
            continue
        if callable(member) and not inspect.isclass(member):
            methods[name] = inspect.signature(member)
    return methods


def _shape(signature: inspect.Signature) -> list[tuple[str, Any, Any]]:
    return [(p.name, p.kind, p.default) for p in signature.parameters.values()]


# -- (a) no catch-alls ------------------------------------------------------------------


@pytest.mark.parametrize("cls", SYNC_CLASSES + ASYNC_CLASSES, ids=lambda c: c.__name__)
def test_no_public_method_has_a_catch_all(cls: type[Any]) -> None:
    hidden = [
        f"{cls.__name__}.{name}({parameter.name})"
        for name, signature in _public_methods(cls).items()
        for parameter in signature.parameters.values()
        if parameter.kind in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL)
        and not (name in VARIADIC_ALLOWED and parameter.kind is parameter.VAR_POSITIONAL)
    ]
    assert hidden == []


@pytest.mark.parametrize(
    "function", [f for pair in FUNCTION_TWINS[:2] for f in pair], ids=lambda f: f.__name__
)
def test_no_public_function_has_a_catch_all(function: Callable[..., Any]) -> None:
    kinds = [p.kind for p in inspect.signature(function).parameters.values()]
    assert inspect.Parameter.VAR_KEYWORD not in kinds
    assert inspect.Parameter.VAR_POSITIONAL not in kinds


def test_wait_knobs_are_spelled_out() -> None:
    knobs = ["policy", "on_progress", "on_done", "stop", "cancel_on_timeout"]
    for method in (lro.Client.wait, lro.Operation.wait, lro.Operation.result):
        parameters = inspect.signature(method).parameters
        assert all(parameters[k].kind is inspect.Parameter.KEYWORD_ONLY for k in knobs)
    watch = inspect.signature(lro.Client.watch).parameters
    assert [k for k in knobs if k in watch] == [k for k in knobs if k != "on_progress"]


# -- (b) sync and async twins take the same parameters ----------------------------------


@pytest.mark.parametrize(
    ("sync", "twin"), list(zip(SYNC_CLASSES, ASYNC_CLASSES, strict=True)), ids=lambda c: c.__name__
)
def test_async_class_mirrors_the_sync_one(sync: type[Any], twin: type[Any]) -> None:
    ours, theirs = _public_methods(sync), _public_methods(twin)
    assert sorted(ours) == sorted(theirs)
    differ = {
        name: (_shape(ours[name]), _shape(theirs[name]))
        for name in ours
        if _shape(ours[name]) != _shape(theirs[name])
    }
    assert differ == {}


@pytest.mark.parametrize(("sync", "twin"), FUNCTION_TWINS, ids=lambda f: f.__name__)
def test_async_function_mirrors_the_sync_one(
    sync: Callable[..., Any], twin: Callable[..., Any]
) -> None:
    assert _shape(inspect.signature(sync)) == _shape(inspect.signature(twin))


# -- (c) wrong arguments: InvalidArgument naming them, and nothing sent ------------------

NAME = "operations/never-sent"


@dataclass
class Surface:
    """What one case calls: a client of either half and the matching free functions."""

    client: Any
    running: Any  # a running snapshot bound to the client (made without a request)
    done: Any  # a done one
    wait_all: Callable[..., Any]
    as_completed: Callable[..., Any]
    wrong_stop: Any  # an event of the other half's kind


def _bound(client: Any, raw: dict[str, Any]) -> Any:
    return client._operation_class.from_dict(raw, client=client)


Case = tuple[str, str, Callable[[Surface], Any]]

CASES: list[Case] = [
    # (id, the argument the message must name, the call)
    ("wait-timeout-str", "timeout", lambda s: s.client.wait(NAME, timeout="5")),
    ("wait-timeout-bool", "timeout", lambda s: s.client.wait(NAME, timeout=True)),
    ("wait-timeout-negative", "timeout", lambda s: s.client.wait(NAME, -1)),
    ("wait-timeout-nan", "timeout", lambda s: s.client.wait(NAME, timeout=float("nan"))),
    ("wait-policy", "policy", lambda s: s.client.wait(NAME, policy={"max_polls": 3})),
    ("wait-on-progress", "on_progress", lambda s: s.client.wait(NAME, on_progress="print")),
    ("wait-on-done", "on_done", lambda s: s.client.wait(NAME, on_done=3)),
    ("wait-stop-kind", "stop", lambda s: s.client.wait(NAME, stop=s.wrong_stop)),
    ("wait-stop-bool", "stop", lambda s: s.client.wait(NAME, stop=True)),
    ("wait-cancel", "cancel_on_timeout", lambda s: s.client.wait(NAME, cancel_on_timeout=1)),
    ("wait-name-none", "name", lambda s: s.client.wait(None)),
    ("wait-name-int", "name", lambda s: s.client.wait(42)),
    ("audit-wait-timeout", "timeout", lambda s: s.client.audit.wait(NAME, timeout="5")),
    ("watch-timeout", "timeout", lambda s: s.client.watch(NAME, timeout="5")),
    ("watch-stop", "stop", lambda s: s.client.watch(NAME, stop=s.wrong_stop)),
    ("audit-watch-on-done", "on_done", lambda s: s.client.audit.watch(NAME, on_done="x")),
    ("wait-once-timeout", "timeout", lambda s: s.client.wait_once(NAME, timeout="5")),
    ("wait-once-negative", "timeout", lambda s: s.client.wait_once(NAME, timeout=-1)),
    ("wait-once-infinite", "timeout", lambda s: s.client.wait_once(NAME, float("inf"))),
    ("adopt-int", "adopt", lambda s: s.client.adopt(5)),
    ("adopt-no-name", "name", lambda s: s.client.adopt({"done": True})),
    ("adopt-done-str", "done", lambda s: s.client.adopt({"name": NAME, "done": "yes"})),
    ("get-name", "name", lambda s: s.client.get(None)),
    ("cancel-name", "name", lambda s: s.client.cancel(3)),
    ("list-page-size-bool", "page_size", lambda s: s.client.list_operations(page_size=True)),
    ("list-page-size-str", "page_size", lambda s: s.client.list_operations(page_size="10")),
    ("list-page-size-zero", "page_size", lambda s: s.client.list_operations(page_size=0)),
    ("list-page-size-negative", "page_size", lambda s: s.client.list_operations(page_size=-5)),
    ("list-filter", "filter", lambda s: s.client.list_operations(filter=3)),
    ("list-parent", "parent", lambda s: s.client.list_operations(3)),
    ("audit-list-page-size", "page_size", lambda s: s.client.audit.list_operations(page_size=0)),
    (
        "audit-list-deleted",
        "show_deleted",
        lambda s: s.client.audit.list_operations(show_deleted="yes"),
    ),
    ("unseen-page-size", "page_size", lambda s: s.client.unseen(page_size="10")),
    ("unseen-view-type", "view", lambda s: s.client.unseen(view=3)),
    ("unseen-view-value", "view", lambda s: s.client.unseen(view="everything")),
    ("create-request-id", "request_id", lambda s: s.client.create(request_id=5)),
    ("op-wait-timeout", "timeout", lambda s: s.running.wait(timeout="5")),
    ("op-wait-stop", "stop", lambda s: s.running.wait(stop=s.wrong_stop)),
    ("op-result-timeout", "timeout", lambda s: s.running.result(timeout=True)),
    ("op-result-policy", "policy", lambda s: s.running.result(policy=30)),
    ("op-watch-timeout", "timeout", lambda s: s.running.watch(timeout="5")),
    ("done-op-wait-timeout", "timeout", lambda s: s.done.wait(timeout="5")),
    ("done-op-result-on-done", "on_done", lambda s: s.done.result(on_done="x")),
    ("all-timeout", "timeout", lambda s: s.wait_all([NAME], client=s.client, timeout="5")),
    ("all-items-str", "items", lambda s: s.wait_all(NAME, client=s.client)),
    (
        "all-concurrency-zero",
        "max_concurrency",
        lambda s: s.wait_all([NAME], client=s.client, max_concurrency=0),
    ),
    (
        "all-concurrency-bool",
        "max_concurrency",
        lambda s: s.wait_all([NAME], client=s.client, max_concurrency=True),
    ),
    ("all-policy", "policy", lambda s: s.wait_all([NAME], client=s.client, policy="fast")),
    ("all-stop", "stop", lambda s: s.wait_all([NAME], client=s.client, stop=s.wrong_stop)),
    (
        "all-on-progress",
        "on_progress",
        lambda s: s.wait_all([NAME], client=s.client, on_progress=1),
    ),
    ("all-via", "via", lambda s: s.wait_all([NAME], client=s.client, via="fastest")),
    (
        "completed-timeout",
        "timeout",
        lambda s: s.as_completed([NAME], client=s.client, timeout=-1),
    ),
    (
        "completed-concurrency",
        "max_concurrency",
        lambda s: s.as_completed([NAME], client=s.client, max_concurrency="8"),
    ),
]


@pytest.fixture(scope="module")
def quiet_server() -> Iterator[Any]:
    """A server of this module's own, so no other test's leftover waiter sends to it."""
    with serve(port=0, db=":memory:", max_wait=1.0) as srv:
        yield srv


def _check(error: lro.Error, argument: str) -> None:
    assert isinstance(error, lro.InvalidArgument)
    assert re.search(rf"\b{argument}\b", error.message), error.message


def _sync_case(url: str, call: Callable[[Surface], Any]) -> lro.Error:
    with lro.Client(url, retry=FAST_RETRY, timeout=10) as client:
        surface = Surface(
            client,
            _bound(client, {"name": NAME}),
            _bound(client, {"name": NAME, "done": True, "response": {}}),
            lro.wait_all,
            lro.as_completed,
            asyncio.Event(),
        )
        with pytest.raises(lro.InvalidArgument) as info:
            call(surface)  # raises at the call: watch() and as_completed() too
        return info.value


async def _async_case(url: str, call: Callable[[Surface], Any]) -> lro.Error:
    async with lro.aio.AsyncClient(url, retry=FAST_RETRY, timeout=10) as client:
        surface = Surface(
            client,
            _bound(client, {"name": NAME}),
            _bound(client, {"name": NAME, "done": True, "response": {}}),
            lro.aio.async_wait_all,
            lro.aio.async_as_completed,
            threading.Event(),
        )

        async def attempt() -> None:
            outcome = call(surface)  # a sync check raises here...
            if inspect.isawaitable(outcome):  # ...an async one when awaited
                await outcome

        with pytest.raises(lro.InvalidArgument) as info:
            await attempt()
        return info.value


@pytest.mark.parametrize(("argument", "call"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_wrong_argument_is_refused_before_any_request_sync(
    quiet_server: Any, argument: str, call: Callable[[Surface], Any]
) -> None:
    before = quiet_server.requests
    _check(_sync_case(quiet_server.url, call), argument)
    assert quiet_server.requests == before


@pytest.mark.parametrize(("argument", "call"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_wrong_argument_is_refused_before_any_request_async(
    quiet_server: Any, argument: str, call: Callable[[Surface], Any]
) -> None:
    before = quiet_server.requests
    _check(asyncio.run(_async_case(quiet_server.url, call)), argument)
    assert quiet_server.requests == before


def test_timeout_message_names_the_value(quiet_server: Any) -> None:
    with lro.Client(quiet_server.url) as client, pytest.raises(lro.InvalidArgument) as info:
        client.wait(NAME, timeout="5")  # type: ignore[arg-type]
    assert info.value.message == "timeout must be a number of seconds or None, got '5'"


def test_right_arguments_do_reach_the_server(quiet_server: Any) -> None:
    """The counter the tests above rely on does count: valid calls are sent."""
    with lro.Client(quiet_server.url, retry=FAST_RETRY, timeout=10) as client:
        before = quiet_server.requests
        op = client.create({"@type": "type.googleapis.com/test.Job"}, request_id=None)
        client.finalize(op.name, response={"@type": "type.googleapis.com/test.Out"})
        stop = threading.Event()
        final = client.wait(op.name, 5, policy=lro.WaitPolicy(), stop=stop, on_done=print)
        assert final.done
        assert list(client.list_operations(page_size=1, filter="done = true"))
        assert quiet_server.requests > before + 3


def test_numbers_of_other_types_are_accepted(quiet_server: Any) -> None:
    """Any real number of seconds works (an int, a float subclass, a Fraction)."""
    from fractions import Fraction

    with lro.Client(quiet_server.url, retry=FAST_RETRY, timeout=10) as client:
        op = client.create()
        client.finalize(op.name, response={"@type": "type.googleapis.com/test.Out"})
        for timeout in (5, 5.0, Fraction(5, 2), None):
            assert client.wait(op.name, timeout).done  # type: ignore[arg-type]
