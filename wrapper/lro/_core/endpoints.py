"""Where a client's requests go: the base URL, its API version, the views' roots.

A base URL may end in an API version (``https://host/v1beta1``): that is the standard
view's version, and the rest is the service's root; without one the spec's default
(``v1``) is used. The audited view is mounted at the service root plus ``audit_prefix``.
"""

from __future__ import annotations

import re
import sys
from urllib.parse import urlsplit

from .errors import InvalidArgument

__all__ = [
    "AUDIT_ROOT",
    "VERSION",
    "agent_string",
    "normalise_base_url",
    "normalise_prefix",
    "split_version",
]

#: The spec's mount of the audited view (its server's path); ``audit_prefix`` replaces it.
AUDIT_ROOT = "/audit"
#: An API version path segment, as Google-style services name them: ``v1``, ``v2``,
#: ``v1beta1``, ``v1alpha``, ``v2beta3``, ``v1p1beta1``.
VERSION = re.compile(r"v[0-9]+(?:p[0-9]+)?(?:(?:alpha|beta)[0-9]*)?")


def agent_string(extra: str | None, version: str) -> str:
    python = ".".join(map(str, sys.version_info[:3]))  # platform costs ~3 ms to import
    ours = f"lro-sdk/{version} python/{python}"
    return f"{extra} {ours}" if extra else ours


def normalise_base_url(base_url: str) -> str:
    if not isinstance(base_url, str):
        raise InvalidArgument("base_url must be a string")
    parts = urlsplit(base_url)
    if parts.query or parts.fragment or "@" in parts.netloc:
        # Credentials in the URL would show up in repr() and logs: use token= instead.
        raise InvalidArgument("base_url must not have credentials, a query or a fragment")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidArgument(f"base_url must be an http(s) URL, got {base_url!r}")
    return base_url.rstrip("/")


def split_version(base_url: str, default: str) -> tuple[str, str]:
    """``(service root, API version)`` of a normalised base URL.

    A last path segment that is an API version (``/v1``, ``/v1beta1``, ...) is the
    standard view's version, and the rest the service's root; otherwise the base URL is
    the root and the version is ``default`` (the spec's: ``v1``).
    """
    head, _, last = base_url.rpartition("/")
    if VERSION.fullmatch(last) and "://" not in last and head.count("/") >= 2:
        return head, last
    return base_url, default


def normalise_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or (prefix and not prefix.startswith("/")):
        raise InvalidArgument(f"audit_prefix must be '' or start with '/', got {prefix!r}")
    if any(c in prefix for c in "?#") or any(ord(c) < 33 for c in prefix):
        raise InvalidArgument(f"audit_prefix must be a plain path, got {prefix!r}")
    return prefix.rstrip("/")
