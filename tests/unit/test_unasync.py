"""scripts/unasync.py: the sync half's shared modules are what the script makes of the
async ones (the drift check `make check-generated` runs), and its rewrites and pragmas."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def unasync() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unasync", ROOT / "scripts" / "unasync.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["unasync"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # scripts/unasync.py formats what it makes with the ruff process
def test_every_generated_module_is_what_the_script_makes(unasync: ModuleType) -> None:
    for name in unasync.FILES:
        target = unasync.TARGET / name
        text = target.read_text(encoding="utf-8")
        assert text.startswith(f"# generated from lro/_async/{name} by scripts/unasync.py")
        assert text == unasync.generated(name), f"{target} differs: run scripts/unasync.py"


@pytest.mark.slow  # scripts/unasync.py formats what it makes with the ruff process
def test_the_check_names_a_differing_file(
    unasync: ModuleType,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "_sync"
    target.mkdir()
    monkeypatch.setattr(unasync, "TARGET", target)
    monkeypatch.setattr(unasync, "ROOT", tmp_path)
    for name in unasync.FILES:
        (target / name).write_text(unasync.generated(name), encoding="utf-8")
    assert unasync.main(["--check"]) == 0
    (target / "paging.py").write_text("# edited by hand\n", encoding="utf-8")
    assert unasync.main(["--check"]) == 1
    assert "_sync/paging.py" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("line", "wanted"),
    [
        ("    async def get(self) -> AsyncOperation:", "    def get(self) -> Operation:"),
        ("        return await self._run(call)", "        return self._run(call)"),
        ("        async for page in self.pages():", "        for page in self.pages():"),
        ("    async def __aenter__(self) -> AsyncClient:", "    def __enter__(self) -> Client:"),
        ("    stop: asyncio.Event | None = None,", "    stop: threading.Event | None = None,"),
        ("def f() -> Awaitable[int | None]:", "def f() -> int | None:"),
        ("from .waiting import async_wait, async_watch", "from .waiting import wait, watch"),
        ("    yield item  # unasync: async-only", None),
        ("    x = 1  # unasync: sync: x = 2", "    x = 2"),
    ],
)
def test_a_line_is_rewritten(unasync: ModuleType, line: str, wanted: str | None) -> None:
    assert unasync.unasync_line(line) == wanted


def test_a_pragma_line_replaces_the_next_one(unasync: ModuleType) -> None:
    text = "def f(\n    # unasync: sync-next: token: str,\n    token: Awaitable[str],\n): ...\n"
    assert unasync.unasync_text(text) == "def f(\n    token: str,\n): ...\n"
