"""Exit codes and the one-line error report.

Scripts branch on the exit code, so every failure class has its own. Everything here is
cheap to import: the SDK's error classes are imported only once an error has happened.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ._escape import json_shown, shown

if TYPE_CHECKING:
    from lro.errors import Error

__all__ = ["EXIT_CODE_TABLE", "ExitCode", "error_json", "error_line", "exit_code_for", "redact"]


class ExitCode(enum.IntEnum):
    """The exit status of ``lro``, one per failure class."""

    OK = 0
    OPERATION_FAILED = 1
    USAGE = 2
    WAIT_TIMEOUT = 3
    NOT_FOUND = 4
    DENIED = 5
    SERVER_ERROR = 6
    CONNECTION = 7
    INTERRUPTED = 130


#: The table shown in ``lro --help`` and docs/cli.md (keep the two in step).
EXIT_CODE_TABLE = """\
  0    success
  1    the operation finished with an error (wait: failed, cancelled, aborted)
  2    bad usage: unknown option, missing argument, invalid value or name
  3    wait timed out before the operation finished
  4    NOT_FOUND: no such operation (or it was deleted)
  5    PERMISSION_DENIED/UNAUTHENTICATED: missing, wrong or insufficient token
  6    any other error from the server (INVALID_ARGUMENT, INTERNAL, ...)
  7    connection or transport failure: no server, dropped, timeout, TLS
  130  interrupted (Ctrl-C)"""


def exit_code_for(error: Error) -> ExitCode:
    """The exit code for an SDK error raised by a command."""
    from lro import errors

    if isinstance(error, errors.WaitTimeout):
        return ExitCode.WAIT_TIMEOUT
    if isinstance(error, errors.InvalidName):
        return ExitCode.USAGE
    if isinstance(error, errors.TransportError):
        return ExitCode.CONNECTION
    if error.code is errors.Code.NOT_FOUND:
        return ExitCode.NOT_FOUND
    if error.code in (errors.Code.PERMISSION_DENIED, errors.Code.UNAUTHENTICATED):
        return ExitCode.DENIED
    return ExitCode.SERVER_ERROR


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (e.g. the bearer token) replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _detail(error: Error) -> str:
    """The most useful extra fact about an error, or ``""``."""
    from lro import errors

    if isinstance(error, errors.WaitTimeout) and error.operation is not None:
        progress = error.operation.progress
        return "" if progress is None else f"last progress {progress:.0%}"
    bad_request = error.bad_request
    if bad_request is not None and bad_request.field_violations:
        violation = bad_request.field_violations[0]
        return f"{violation.field}: {violation.description}"
    if error.retry_delay is not None:
        return f"retry after {error.retry_delay:g}s"
    return ""


def error_line(error: Error, *, base_url: str | None = None) -> str:
    """One line for stderr: the code, the message and the most useful detail."""
    from lro import errors

    line = f"lro: {error}"
    if isinstance(error, errors.WaitTimeout):
        # The SDK attaches the last snapshot to the exception; a shell user gets it anew.
        name = error.operation_name or (error.operation.name if error.operation else "NAME")
        hint = f"see the last snapshot with: lro get {name}"
        attached = "the last snapshot is attached"
        line = line.replace(attached, hint) if attached in line else f"{line} ({hint})"
    if isinstance(error, errors.TransportError) and base_url and base_url not in line:
        line += f" (server {base_url}; set --base-url or LRO_BASE_URL)"
    detail = _detail(error)
    if detail:
        line += f" ({detail})"
    return shown(" ".join(line.split()))


def error_json(error: Error, exit_code: int) -> str:
    """The error as one line of JSON: ``{"error": {code, status, message, details}, ...}``."""
    status: dict[str, Any] = error.status_dict()
    status["status"] = error.code.name
    payload: dict[str, Any] = {"error": status, "exitCode": exit_code}
    if error.operation_name:
        payload["name"] = error.operation_name
    from lro._core.jsonvalues import dumps

    return json_shown(dumps(payload))
