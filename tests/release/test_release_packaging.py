"""The packaging metadata is current, and ``requires-python`` is true.

SPDX ``license`` with ``license-files``, project URLs, one classifier per supported Python
from ``requires-python``'s lower bound up, that bound shared by ruff and mypy, the release
tools in the ``[release]`` extra; and a test run on the oldest supported interpreter when
the machine has one.
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from release_support import ROOT

# Slow tier: builds wheels and sdists, installs them in fresh venvs (processes).
pytestmark = pytest.mark.slow

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
LOCK = ROOT / "requirements" / "dev.lock"


def dotted(version: tuple[int, int]) -> str:
    return ".".join(map(str, version))


def oldest_supported() -> tuple[int, int]:
    match = re.fullmatch(r">=\s*3\.(\d+)", PROJECT["requires-python"])
    assert match, PROJECT["requires-python"]
    return 3, int(match.group(1))


def python_classifiers() -> list[tuple[int, int]]:
    found = []
    for classifier in PROJECT["classifiers"]:
        match = re.fullmatch(r"Programming Language :: Python :: 3\.(\d+)", classifier)
        if match:
            found.append((3, int(match.group(1))))
    return found


def test_license_is_an_spdx_expression_with_its_file() -> None:
    assert PROJECT["license"] == "Apache-2.0"
    assert PROJECT["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    # PEP 639: no license classifiers next to a license expression.
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]
    requires = PYPROJECT["build-system"]["requires"]
    assert requires == ["setuptools>=77"]  # the first setuptools with PEP 639


def test_project_urls() -> None:
    urls = PROJECT["urls"]
    assert set(urls) >= {"Homepage", "Documentation", "Changelog", "Issues"}
    assert all(url.startswith("https://") for url in urls.values())


def test_one_classifier_per_supported_python() -> None:
    versions = python_classifiers()
    assert versions == sorted(versions)
    assert versions[0] == oldest_supported()
    assert versions == [(3, minor) for minor in range(versions[0][1], versions[-1][1] + 1)]
    assert "Programming Language :: Python :: 3 :: Only" in PROJECT["classifiers"]
    # One lower bound everywhere: the linters check the code for that Python.
    assert PYPROJECT["tool"]["ruff"]["target-version"] == f"py3{oldest_supported()[1]}"
    assert PYPROJECT["tool"]["mypy"]["python_version"] == dotted(oldest_supported())


def test_the_release_tools_are_an_extra_of_their_own() -> None:
    extras = PROJECT["optional-dependencies"]
    names = {re.split(r"[\[<>=!~ ;]", item, maxsplit=1)[0] for item in extras["release"]}
    assert names >= {"build", "twine", "check-wheel-contents", "openapi-spec-validator"}
    assert names >= {"griffelib", "setuptools"}
    assert any(item.startswith("lro-sdk[") and "release" in item for item in extras["dev"])
    core = {re.split(r"[\[<>=!~ ;]", item, maxsplit=1)[0] for item in PROJECT["dependencies"]}
    assert core == {"pydantic", "urllib3", "python-dateutil", "typing-extensions"}


def find_python(version: tuple[int, int]) -> str | None:
    """An interpreter of exactly ``version``: on PATH, in pyenv, or known to uv."""
    name = f"python{dotted(version)}"
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [shutil.which(name), f"/usr/bin/{name}", f"/usr/local/bin/{name}"]
    candidates += sorted(glob.glob(str(pyenv / "versions" / f"{dotted(version)}.*" / "bin" / name)))
    uv = shutil.which("uv")
    if uv:
        found = subprocess.run(
            [uv, "python", "find", dotted(version)], capture_output=True, text=True
        )
        candidates.append(found.stdout.strip() if found.returncode == 0 else None)
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == dotted(version):
            return candidate
    return None


def lock_constraints(path: Path) -> list[str]:
    """The lock's pins (with their markers) without hashes: a pip constraints file."""
    entries = []
    for entry in re.sub(r"\\\n", " ", path.read_text(encoding="utf-8")).splitlines():
        entry = re.sub(r"\s--hash=\S+", "", entry).strip()
        if entry and not entry.startswith(("#", "-")):
            entries.append(entry)
    return entries


#: Enough of the suite to exercise every module at import and the client at run time (sync
#: and async, against the real server), in seconds rather than minutes.
OLDEST_SUITE = [
    "tests/client/test_client_standard.py",
    "tests/client/test_client_async.py",
    "tests/client/test_client_errors.py",
]


def oldest_venv(python: str) -> Path:
    """A venv of ``python`` with what the client suite needs (the locked versions when there
    is a lock), kept under build/ between runs and rebuilt when the requirements change."""
    extras = PROJECT["optional-dependencies"]
    wanted = [*PROJECT["dependencies"], *extras["cli"], *extras["async"]]
    wanted += ["pytest", "pytest-timeout", "hypothesis"]
    constraints = lock_constraints(LOCK) if LOCK.exists() else []
    key = hashlib.sha256(repr((python, wanted, constraints)).encode()).hexdigest()[:16]
    venv = ROOT / "build" / "oldest-python" / key
    if (venv / ".ready").exists():
        return venv
    staging = venv.with_name(f"{key}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    subprocess.run([python, "-m", "venv", "--without-pip", str(staging)], check=True)
    pip = [sys.executable, "-m", "pip", "--python", str(staging / "bin" / "python")]
    pip += ["install", "-q"]
    if constraints:  # the versions `make install` gets
        (staging / "constraints.txt").write_text("\n".join(constraints) + "\n", encoding="utf-8")
        pip += ["-c", str(staging / "constraints.txt")]
    installed = subprocess.run([*pip, *wanted], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    (staging / ".ready").touch()
    try:
        staging.rename(venv)
    except OSError:  # another run got there first
        shutil.rmtree(staging, ignore_errors=True)
    return venv


@pytest.mark.slow
@pytest.mark.timeout(600)  # the first run installs the venv
def test_the_client_suite_passes_on_the_oldest_supported_python() -> None:
    """``requires-python`` claims the oldest version: import every module and run the
    client tests on exactly that interpreter."""
    oldest = oldest_supported()
    if sys.version_info[:2] == oldest:
        return  # this whole run is on the oldest supported Python
    python = find_python(oldest)
    if python is None:
        pytest.skip(
            f"no Python {dotted(oldest)} (requires-python's lower bound) on this machine: "
            "looked on PATH, in pyenv (PYENV_ROOT) and with `uv python find`"
        )
    interpreter = str(oldest_venv(python) / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "wrapper"), str(ROOT / "generated")])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    sweep = (
        "import importlib, pkgutil, sys\n"
        f"assert sys.version_info[:2] == {oldest!r}, sys.version\n"
        "for top in ('lro', 'lro_server', 'lro_api'):\n"
        "    package = importlib.import_module(top)\n"
        "    for info in pkgutil.walk_packages(package.__path__, top + '.'):\n"
        "        if not info.name.endswith('__main__'):\n"
        "            importlib.import_module(info.name)\n"
    )
    imported = subprocess.run(
        [interpreter, "-c", sweep], cwd=ROOT / "build", env=env, capture_output=True, text=True
    )
    assert imported.returncode == 0, imported.stderr
    command = [interpreter, "-m", "pytest", "-q", "-p", "no:cacheprovider", *OLDEST_SUITE]
    suite = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert suite.returncode == 0, suite.stdout[-4000:] + suite.stderr[-2000:]
    assert " passed" in suite.stdout
