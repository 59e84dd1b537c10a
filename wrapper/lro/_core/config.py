"""What both clients' constructors share: argument checks, the base URL, the recipes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from .auth import Auth, TokenArgument
from .checks import check_instance, check_positive_int
from .clock import Clock, check_clock
from .endpoints import normalise_base_url, normalise_prefix
from .errors import InvalidArgument
from .paging import DEFAULT_MAX_PAGES
from .recipes import Recipes, View
from .retry import Retry
from .snapshot import Snapshot
from .wait_policy import WaitPolicy

__all__ = ["ClientBase"]

OpT = TypeVar("OpT", bound=Snapshot)


class ClientBase(Generic[OpT]):
    """Constructor logic shared by :class:`Client` and :class:`lro.AsyncClient`."""

    view: View = "standard"
    _operation_class: type[OpT]
    base_url: str
    timeout: float | None
    retry: Retry | None
    wait_policy: WaitPolicy | None
    audit_prefix: str
    max_pages: int
    clock: Clock
    _calls: Recipes[OpT]
    _auth: Auth

    def _setup(
        self,
        base_url: str,
        token: TokenArgument,
        timeout: float | None,
        retry: Retry | None,
        user_agent: str | None,
        audit_prefix: str,
        wait_policy: WaitPolicy | None,
        audited: Any,
        *,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        asynchronous: bool = False,
        max_pages: int = DEFAULT_MAX_PAGES,
        clock: object = None,
    ) -> None:
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            # Every request has a timeout: a dead connection must never hang the caller.
            # Waiting longer for an operation is wait(timeout=...)'s job, not this one's.
            raise InvalidArgument(
                f"timeout must be a number of seconds > 0, got {timeout!r} "
                "(per request; use wait(timeout=...) to wait longer for an operation)"
            )
        check_instance(retry, Retry, "retry", "an lro.Retry")
        check_instance(wait_policy, WaitPolicy, "wait_policy", "an lro.WaitPolicy")
        self.max_pages = check_positive_int(max_pages, "max_pages") or DEFAULT_MAX_PAGES
        self.base_url = normalise_base_url(base_url)
        self.timeout = timeout
        self.retry = retry
        self.wait_policy = wait_policy
        self.audit_prefix = normalise_prefix(audit_prefix)
        self.clock = check_clock(clock)
        self._auth = Auth(token, api_key, headers, asynchronous=asynchronous)
        self._calls = Recipes(
            self.base_url,
            timeout=timeout,
            user_agent=user_agent,
            audit_prefix=self.audit_prefix,
            standard=self,
            audited=audited,
            operation_class=self._operation_class,
            clock=self.clock,
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, {self._auth.describe()})"
