"""A griffe extension for ``make docs``: the wrapper's reST roles become cross-references.

The docstrings of ``lro`` are written for readers of the source and for ``help()``, with
Sphinx roles (``:class:`Client```, ``:meth:`wait```, ``:mod:`lro._core.waits```...).
mkdocstrings renders Markdown, where those would show up raw. This extension rewrites
every role, when griffe has loaded a package and before anything is rendered, into:

- a link to the object's entry in the API reference when the target resolves to an
  object the site documents (an optional autorefs cross-reference, resolved by
  mkdocs-autorefs once every page is rendered); or
- the same name in code font when the site has no page for it (a private module, a
  standard-library class).

Targets resolve the way Sphinx resolves them: a dotted name as written, else relative to
the object that carries the docstring and each scope around it, else under ``lro``. A
leading ``~`` shows the last component only; ``:meth:`` and ``:func:`` add ``()``; an
explicit title (``:class:`the client <lro.Client>```) is kept. reST literal-block
markers (``Usable as a decorator::``) lose their second colon.

Loaded by scripts/build_docs.py (mkdocstrings' ``extensions`` option).
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(class|meth|func|mod|attr|data|exc|obj|const):`([^`]+)`")
TITLED = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
LITERAL_BLOCK = re.compile(r"(?<=\S)::\n(?=\n[ \t]+\S)")
CALLABLE_ROLES = {"meth", "func"}
#: Roots whose names the site documents; anything else is shown as code, unlinked.
PUBLIC_ROOTS = ("lro", "lro_server", "lro_api")


def _lookup(collection: griffe.ModulesCollection, path: str) -> str | None:
    """The canonical path of the object at ``path`` (where it is defined), or None.

    The canonical path is what the API reference registers for every object it renders,
    whatever name it was rendered under (``lro.Client`` is ``lro._sync.client.Client``).
    """
    try:
        found = collection.get_member(path)
    except Exception:  # KeyError, an alias that does not resolve, ...
        return None
    try:
        return str(found.canonical_path)
    except Exception:  # an alias to something griffe has not loaded
        return path


def _scopes(obj: griffe.Object | griffe.Alias) -> list[str]:
    """The paths a relative name is looked up in: the object (if it has members), then
    each object around it, innermost first."""
    scopes = []
    current: Any = obj if obj.is_class or obj.is_module else obj.parent
    while current is not None:
        scopes.append(current.path)
        current = current.parent
    return scopes


def resolve(obj: griffe.Object, target: str, collection: griffe.ModulesCollection) -> str | None:
    """The path of the object ``target`` names from ``obj``'s docstring, or None."""
    target = target.lstrip(".")
    candidates = []
    if target.split(".", 1)[0] in PUBLIC_ROOTS:
        candidates.append(target)
    candidates += [f"{scope}.{target}" for scope in _scopes(obj)]
    candidates.append(f"lro.{target}")
    for candidate in candidates:
        found = _lookup(collection, candidate)
        if found is not None:
            return found
    return None


def rewrite(text: str, obj: griffe.Object, collection: griffe.ModulesCollection) -> str:
    """``text`` with every reST role replaced (see the module docstring)."""

    def replace(match: re.Match[str]) -> str:
        role, content = match.groups()
        titled = TITLED.match(content)
        title, target = (titled["title"], titled["target"]) if titled else (None, content)
        short = target.startswith("~")
        target = target.lstrip("~")
        shown = title or (target.rsplit(".", 1)[-1] if short else target)
        if role in CALLABLE_ROLES and not title and not shown.endswith(")"):
            shown += "()"
        identifier = resolve(obj, target, collection)
        if identifier is None:
            return f"`{shown}`"
        return (
            f'<autoref identifier="{html.escape(identifier)}" optional>'
            f"<code>{html.escape(shown)}</code></autoref>"
        )

    return LITERAL_BLOCK.sub(":\n", ROLE.sub(replace, text))


def _walk(obj: griffe.Object) -> Any:
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)  # type: ignore[arg-type]


class RestRoles(griffe.Extension):
    """Rewrite the reST roles of every docstring of a package once it is loaded."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **_: Any) -> None:
        """Rewrite the docstrings of ``pkg`` and everything in it."""
        for obj in _walk(pkg):
            if obj.docstring is not None and ":" in obj.docstring.value:
                obj.docstring.value = rewrite(obj.docstring.value, obj, loader.modules_collection)
