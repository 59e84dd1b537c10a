"""Helpers for the release tests: scripts/release.py as a module, throwaway git repos."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "release.py"


def load_release_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lro_release_script", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


#: An identity and no signing, whatever the machine's git config says.
GIT_CONFIG = ("user.name=t", "user.email=t@t", "commit.gpgSign=false", "tag.gpgSign=false")


def git(repo: Path, *args: str) -> str:
    config = [item for pair in GIT_CONFIG for item in ("-c", pair)]
    result = subprocess.run(
        ["git", *config, *args], cwd=repo, check=True, capture_output=True, text=True
    )
    return result.stdout


def write(repo: Path, relative: str, text: str) -> None:
    path = repo / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def set_version(repo: Path, version: str, *, changelog: bool = True) -> None:
    """What a release bump touches: info.version, the generated __version__ and (unless
    told otherwise) a CHANGELOG.md section."""
    write(repo, "openapi.yaml", f"openapi: 3.0.3\ninfo:\n  title: Mini\n  version: {version}\n")
    init = repo / "generated" / "lro_api" / "__init__.py"
    lines = [
        f'__version__ = "{version}"' if line.startswith("__version__") else line
        for line in init.read_text(encoding="utf-8").splitlines()
    ]
    init.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = repo / "CHANGELOG.md"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Changelog\n"
    if changelog:
        head, _, rest = text.partition("\n")
        text = (
            f"{head}\n\n## [{version}] - 2026-12-01\n\n### Changed\n\n- Release {version}.\n{rest}"
        )
    path.write_text(text, encoding="utf-8")


def mini_repo(path: Path) -> Path:
    """A miniature of the real layout: ``lro`` (public names re-exported from a private
    ``_core``, plus ``aio``, ``errors``, ``cli``, ``testing`` and the non-API ``demo``) in
    wrapper/, a generated ``lro_api`` in generated/, openapi.yaml and CHANGELOG.md.
    Tags v0.1.0 and v0.2.0 are released; HEAD is v0.2.0."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    write(
        path,
        "wrapper/lro/__init__.py",
        '''
        """The public surface."""
        from lro._core.waiting import Client, wait
        from lro.errors import Error

        __all__ = ["Client", "Error", "wait"]
    ''',
    )
    write(path, "wrapper/lro/_core/__init__.py", "")
    write(
        path,
        "wrapper/lro/_core/waiting.py",
        """
        def wait(name: str, timeout: float | None = None) -> str:
            return name


        class Client:
            def __init__(self, url: str, *, timeout: float = 10.0) -> None:
                self.url = url

            def get(self, name: str) -> str:
                return name
    """,
    )
    write(
        path,
        "wrapper/lro/errors.py",
        """
        class Error(Exception):
            code: int = 2

        __all__ = ["Error"]
    """,
    )
    write(
        path,
        "wrapper/lro/aio.py",
        """
        async def async_wait(name: str) -> str:
            return name

        __all__ = ["async_wait"]
    """,
    )
    write(
        path,
        "wrapper/lro/cli/__init__.py",
        """
        from lro.cli._app import main

        __all__ = ["main"]
    """,
    )
    write(
        path,
        "wrapper/lro/cli/_app.py",
        "def main(argv: list[str] | None = None) -> int:\n    return 0\n",
    )
    write(path, "wrapper/lro/testing.py", "def lro_server(port: int = 0) -> str:\n    return ''\n")
    write(path, "wrapper/lro/demo.py", "def tour(speed: float = 1.0) -> None:\n    pass\n")
    write(
        path,
        "generated/lro_api/__init__.py",
        """
        __version__ = "0.1.0"

        from lro_api.models import Operation

        __all__ = ["Operation"]
    """,
    )
    write(
        path,
        "generated/lro_api/models.py",
        """
        class Operation:
            def __init__(self, name: str, done: bool = False) -> None:
                self.name = name

            def to_json(self) -> str:
                return self.name
    """,
    )
    set_version(path, "0.1.0")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "0.1.0")
    git(path, "tag", "v0.1.0")
    set_version(path, "0.2.0")
    git(path, "commit", "-qam", "0.2.0")
    git(path, "tag", "v0.2.0")
    return path
