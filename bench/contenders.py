"""The ways of waiting for one operation that section 4 compares, each a function
``(base_url, operation_json) -> final_json`` run on its own thread with its own client.

* lro long-poll: ``Client.wait`` with the default policy (``:wait``, auto fallback);
* lro polling: ``Client.wait`` with ``WaitPolicy(long_poll=False)``;
* google-api-core: its own ``google.api_core.operation.Operation`` future (a
  ``PollingFuture``) with the default ``DEFAULT_POLLING``, whose refresh is an HTTP GET
  of the standard view mapped onto ``operations_pb2.Operation``;
* fixed 1 s: eval-studio-client's loop (GET, check, sleep 1 s).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .common import NotMeasured, installed
from .jsonhttp import JsonHttp

Waiter = Callable[[str, dict[str, Any]], dict[str, Any]]
TIMEOUT = 300.0


def lro_long_poll(url: str, op: dict[str, Any]) -> dict[str, Any]:
    """``lro.Client.wait`` as a user calls it (long-poll when the server has it)."""
    from lro._sync.client import Client

    with Client(url) as client:
        done: dict[str, Any] = client.wait(op["name"], timeout=TIMEOUT).to_dict()
    return done


def lro_polling(url: str, op: dict[str, Any]) -> dict[str, Any]:
    """``lro.Client.wait`` restricted to GET polling (its fallback cadence)."""
    from lro._core.wait_policy import WaitPolicy
    from lro._sync.client import Client

    with Client(url) as client:
        policy = WaitPolicy(long_poll=False)
        done: dict[str, Any] = client.wait(op["name"], timeout=TIMEOUT, policy=policy).to_dict()
    return done


def api_core(url: str, op: dict[str, Any]) -> dict[str, Any]:
    """google-api-core's Operation future, default polling, refreshing by HTTP GET."""
    try:
        from google.api_core import operation as core_operation
        from google.longrunning import operations_pb2
        from google.protobuf import json_format, struct_pb2
    except ImportError as exc:
        raise NotMeasured(f"google-api-core is not installed: {exc}") from exc

    http = JsonHttp(url)
    path = "/v1/" + op["name"]
    last: dict[str, Any] = {}

    def to_pb(raw: dict[str, Any]) -> Any:
        last.clear()
        last.update(raw)
        pb = operations_pb2.Operation(name=raw["name"], done=bool(raw.get("done")))
        if "error" in raw:
            pb.error.code = raw["error"].get("code", 2)
            pb.error.message = raw["error"].get("message", "")
        elif "response" in raw:  # api-core unpacks into a registered type: re-pack as Struct
            fields = {k: v for k, v in raw["response"].items() if k != "@type"}
            pb.response.Pack(json_format.ParseDict(fields, struct_pb2.Struct()))
        return pb

    future_class: Any = core_operation.Operation  # untyped library class
    future = future_class(
        to_pb(op),
        refresh=lambda: to_pb(http.get_json(path)),
        cancel=lambda: None,
        result_type=struct_pb2.Struct,
    )
    future.result()  # the default polling: DEFAULT_POLLING, 900 s
    return dict(last)


def fixed_1s(url: str, op: dict[str, Any]) -> dict[str, Any]:
    """eval-studio-client's default: GET, check, sleep 1 s."""
    import time

    http = JsonHttp(url)
    path = "/v1/" + op["name"]
    while True:
        raw: dict[str, Any] = http.get_json(path)
        if raw.get("done"):
            return raw
        time.sleep(1.0)


WAITERS: dict[str, Waiter] = {
    "lro long-poll": lro_long_poll,
    "lro polling": lro_polling,
    "api-core": api_core,
    "fixed 1 s": fixed_1s,
}


def available() -> dict[str, Waiter]:
    """The waiters whose libraries are installed (api-core comes with the bench extra)."""
    found = dict(WAITERS)
    if not installed("google.api_core") or not installed("google.longrunning"):
        del found["api-core"]
    return found
