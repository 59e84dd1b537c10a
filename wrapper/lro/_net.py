"""What both I/O halves share: the TLS context and socket-error mapping.

ssl and socket are imported on first use (``import lro`` stays cheap).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from lro._core.errors import (
    ConnectError,
    ConnectionDropped,
    TLSError,
    TransportError,
    TransportTimeout,
)

if TYPE_CHECKING:
    import ssl

__all__ = ["PROXY_VARIABLES", "describe", "make_ssl_context", "map_os_error", "proxy_env"]


def make_ssl_context(verify: bool = True, ca_certs: str | None = None) -> ssl.SSLContext:
    """The TLS context both transports use.

    ``verify=True`` (default) checks certificates and host names against ``ca_certs`` (a PEM
    file or directory) or, when None, the system's default trust store (certifi is not
    used). ``verify=False`` turns checking off; use it only against test servers.
    """
    import os
    import ssl

    if verify:
        if ca_certs is not None and os.path.isdir(ca_certs):
            context = ssl.create_default_context(capath=ca_certs)
        else:
            context = ssl.create_default_context(cafile=ca_certs)
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def map_os_error(exc: BaseException, *, connecting: bool) -> TransportError:
    """Map a socket-level exception (also used by the async transport)."""
    import socket
    import ssl

    if isinstance(exc, TransportError):
        return exc
    message = describe(exc)
    if isinstance(exc, (ssl.SSLCertVerificationError, ssl.SSLError, ssl.CertificateError)):
        return TLSError(f"TLS error: {message}")
    if isinstance(exc, TimeoutError | socket.timeout):
        phase = "connect" if connecting else "read"
        return TransportTimeout(f"{phase} timeout: {message}")
    if isinstance(exc, socket.gaierror):
        return ConnectError(f"cannot resolve host: {message}")
    if connecting and isinstance(exc, OSError):
        return ConnectError(f"cannot connect: {message}")
    return ConnectionDropped(f"connection dropped: {message}")


#: The environment variables that choose a proxy (either case), as curl and httpx read
#: them; REQUEST_METHOD marks a CGI script, whose HTTP_PROXY may come from a request.
PROXY_VARIABLES = frozenset(
    {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "request_method"}
)


def proxy_env() -> dict[str, str]:
    """The proxy variables of ``os.environ``; with none of them set, no proxy logic runs."""
    found = {k: v for k, v in os.environ.items() if k.lower() in PROXY_VARIABLES}
    return found if any(k.lower().endswith("_proxy") for k in found) else {}
