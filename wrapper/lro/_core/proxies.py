"""Which proxy a request goes through: ``proxy=``, or the environment as curl and httpx
read it. Pure: the transports pass the environment in and do the connecting.

The environment (when the client's ``trust_env`` is True, the default):

* ``https_proxy`` / ``HTTPS_PROXY`` for ``https://`` URLs, ``http_proxy`` / ``HTTP_PROXY``
  for ``http://`` URLs, else ``all_proxy`` / ``ALL_PROXY``; the lower-case name wins
  when both are set. As curl and Python's urllib do, ``HTTP_PROXY`` in upper case is
  ignored when ``REQUEST_METHOD`` is set (a CGI script: the variable may come from a
  request's ``Proxy:`` header, "httpoxy").
* ``no_proxy`` / ``NO_PROXY``: comma- (or space-) separated hosts that are reached
  directly: ``*`` (every host), a host name (``example.com`` also covers
  ``api.example.com``; a leading dot is allowed), an IP address, a CIDR range
  (``10.0.0.0/8``), any of them with ``:port``.
* A proxy URL without a scheme (``proxy.corp:3128``) is ``http://``; ``https://`` proxies
  are reached over TLS. Credentials in the proxy URL (``http://user:pass@proxy:3128``)
  are percent-decoded and sent as ``Proxy-Authorization: Basic``; they are never shown.

An explicit ``proxy=`` is used for every request, whatever the environment says.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from .errors import InvalidArgument

__all__ = ["Proxy", "bypassed", "parse_proxy", "proxy_for"]

_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class Proxy:
    """A proxy to send through: where it is, and the credentials it wants (never shown)."""

    scheme: str
    host: str
    port: int
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The proxy's URL without credentials (what connects, and what may be shown)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def authorization(self) -> str | None:
        """The ``Proxy-Authorization`` value, or None without credentials."""
        if self.username is None:
            return None
        pair = f"{self.username}:{self.password or ''}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def __repr__(self) -> str:
        shown = self.url
        if self.username is not None:
            shown = shown.replace("://", "://<redacted>@", 1)
        return f"Proxy({shown!r})"


def parse_proxy(url: str, *, source: str = "proxy") -> Proxy:
    """A proxy URL (``http://[user:pass@]host[:port]``; no scheme means ``http``).

    Raises:
        InvalidArgument: not an http(s) proxy URL (the message never quotes credentials).
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidArgument(f"{source} must be a proxy URL such as http://proxy:3128")
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname
    except ValueError:
        host, port = None, None
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise InvalidArgument(
            f"{source}: {scheme}:// proxies are not supported (use an http:// or https:// proxy)"
        )
    if not host or (parts.path not in ("", "/")) or parts.query or parts.fragment:
        where = host or "?"
        raise InvalidArgument(
            f"{source} must be a proxy URL such as http://proxy:3128 (host {where!r})"
        )
    if port is None:
        port = 443 if scheme == "https" else 80
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return Proxy(scheme, host, port, username, password)


def _get(env: Mapping[str, str], name: str) -> str:
    lower = env.get(name.lower())
    if lower is not None:
        return lower.strip()
    if name == "HTTP_PROXY" and "REQUEST_METHOD" in env:
        return ""  # httpoxy: in a CGI script HTTP_PROXY may come from the request
    return (env.get(name) or "").strip()


def bypassed(host: str, port: int, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` (its value) says to reach ``host:port`` directly."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for raw in no_proxy.replace(" ", ",").split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry_port = None
        if entry.startswith("["):  # [::1]:8080
            inside, _, rest = entry[1:].partition("]")
            entry = inside
            if rest.startswith(":") and rest[1:].isdigit():
                entry_port = int(rest[1:])
        elif entry.count(":") == 1:
            name, _, digits = entry.partition(":")
            if digits.isdigit():
                entry, entry_port = name, int(digits)
        if entry_port is not None and entry_port != port:
            continue
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        entry = entry.lstrip(".").rstrip(".")
        if entry and (host == entry or host.endswith("." + entry)):
            return True
    return False


def proxy_for(url: str, env: Mapping[str, str]) -> Proxy | None:
    """The proxy the environment names for ``url``, or None to connect directly.

    Raises:
        InvalidArgument: the variable that applies is not a usable proxy URL.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    no_proxy = _get(env, "NO_PROXY")
    if no_proxy and bypassed(host, port, no_proxy):
        return None
    for name in (f"{scheme.upper()}_PROXY", "ALL_PROXY"):
        value = _get(env, name)
        if value:
            return parse_proxy(value, source=name)
    return None
