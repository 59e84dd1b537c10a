"""The layering the tree promises (docs/architecture.md), beyond what import-linter checks.

import-linter (``make lint``) checks which package may import which; these tests check
the rules it cannot express: private names stay inside their package, and the public
surface is exactly the few documented modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lro

WRAPPER = Path(lro.__file__).resolve().parent.parent
PUBLIC_MODULES = {"lro", "lro.aio", "lro.errors", "lro.cli", "lro.demo", "lro.testing"}


def _modules(root: str) -> dict[str, Path]:
    found = {}
    for path in sorted((WRAPPER / root).rglob("*.py")):
        parts = list(path.relative_to(WRAPPER).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _package_of(module: str, path: Path) -> str:
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = _package_of(module, path).split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def test_no_private_name_is_imported_across_packages() -> None:
    crossings = []
    for module, path in _modules("lro").items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            source = _absolute(module, path, node)
            if not source.startswith("lro"):
                continue
            source_package = source if source in _packages() else source.rpartition(".")[0]
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and source_package != _package_of(module, path):
                    crossings.append(f"{module} imports {source}.{alias.name}")
    assert crossings == []


def _packages() -> set[str]:
    return {m for m, p in _modules("lro").items() if p.name == "__init__.py"}


def test_public_modules_are_the_documented_few() -> None:
    public = {
        module
        for module in _modules("lro")
        if not any(part.startswith("_") for part in module.split("."))
    }
    assert public == PUBLIC_MODULES


def test_every_public_name_resolves() -> None:
    missing = [name for name in lro.__all__ if getattr(lro, name, None) is None]
    assert missing == []


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement of a module, function-level ones included, but those under
    ``if TYPE_CHECKING:`` (never run)."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return found


def _import_graph() -> dict[str, set[str]]:
    """Which lro modules each lro module imports (``from package import module`` counts
    as importing the module; anything else as importing what is named)."""
    modules = _modules("lro")
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for module, path in modules.items():
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                source = _absolute(module, path, node)
                targets = [
                    f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                    for alias in node.names
                ]
            graph[module].update(t for t in targets if t in modules and t != module)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle (its modules, the first repeated at the end), or []."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return []

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return []


def test_the_circle_finder_finds_a_circle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_no_import_circle_among_lro_modules() -> None:
    """No module of lro imports, directly or through others, itself: function-level
    imports included (a lazy import back is still a circle), TYPE_CHECKING ones not."""
    assert _cycle(_import_graph()) == []


#: A bound, not the rule: the rule is one idea per module (docs/architecture.md), and a
#: module past this many lines almost surely holds two.
MAX_MODULE_LINES = 600


def test_no_hand_written_module_is_long() -> None:
    long = {
        f"{path.relative_to(WRAPPER)}: {count} lines"
        for root in ("lro", "lro_server")
        for path in (WRAPPER / root).rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == set()


def test_no_override_is_silenced() -> None:
    """A method overridden with another signature (a coroutine over a plain method) is
    a design defect, never a ``type: ignore[override]``."""
    silenced = {
        f"{path.relative_to(WRAPPER)}:{number}"
        for path in (WRAPPER / "lro").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "ignore[override]" in line
    }
    assert silenced == set()


def _listings(tree: ast.AST) -> list[str]:
    """The names a module defines as classes, lists in ``__all__`` or imports by name to
    re-export (imported names it also lists in ``__all__``)."""
    exported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            named = any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets)
            if named and isinstance(node.value, ast.List):
                exported.update(e.value for e in node.value.elts if isinstance(e, ast.Constant))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            found.append(node.name)
        elif isinstance(node, ast.ImportFrom):
            found += [a.asname or a.name for a in node.names if (a.asname or a.name) in exported]
    return found + sorted(exported)


def test_each_exception_is_defined_once_and_listed_once() -> None:
    """An exception class is defined once and exported from one list: at most three
    mentions in lro's definitions, ``__all__`` lists and re-exporting imports (its
    definition, the list, and at most one more), not one per re-exporting module."""
    counts: dict[str, int] = {}
    for path in (WRAPPER / "lro").rglob("*.py"):
        for name in _listings(ast.parse(path.read_text(encoding="utf-8"))):
            counts[name] = counts.get(name, 0) + 1
    exceptions = [
        name
        for name in lro.__all__
        if isinstance(getattr(lro, name, None), type) and issubclass(getattr(lro, name), lro.Error)
    ]
    assert len(exceptions) > 20
    assert {name: counts[name] for name in exceptions if counts[name] > 3} == {}
