"""Refresh requirements/dev.lock, the locked test, lint and release toolchain (``make lock``).

Usage (from the repo root):

    python scripts/lock.py             # after editing pyproject.toml's requirements
    python scripts/lock.py --upgrade   # also move every pin to the newest allowed version

``make install`` installs exactly this lock (``pip install --require-hashes``), then the
project itself without dependencies, so a fresh clone tests with the same versions every
time, on every machine. The lock is resolved by uv (installed here on first use; only
``make lock`` needs it) for the ``[dev]`` extra, once for every Python from
``requires-python``'s lower bound and every platform (markers pick the right pins), with
the sha256 of every file. Its header records a digest of the requirements in
pyproject.toml, so the test suite notices a lock that no longer matches them.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "dev.lock"
UV = "uv==0.13.9"
DIGEST_PREFIX = "# pyproject.toml requirements sha256: "

try:
    import tomllib
except ImportError:  # Python 3.10: tomli, which the locked toolchain has (or get it now)
    try:
        import tomli as tomllib
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "tomli"], check=True)
        importlib.invalidate_caches()
        import tomli as tomllib


def requirements_digest(pyproject_text: str) -> str:
    """A digest of everything in pyproject.toml that decides the lock."""
    data = tomllib.loads(pyproject_text)
    project = data["project"]
    inputs = {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "build-system": data.get("build-system", {}).get("requires", []),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def recorded_digest(lock_text: str) -> str | None:
    for line in lock_text.splitlines():
        if line.startswith(DIGEST_PREFIX):
            return line[len(DIGEST_PREFIX) :].strip()
    return None


def uv_binary() -> str:
    try:
        import uv  # type: ignore[import-not-found]
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", UV], check=True)
        importlib.invalidate_caches()
        import uv  # type: ignore[import-not-found]
    return str(uv.find_uv_bin())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="newest allowed versions")
    args = parser.parse_args()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    requires = tomllib.loads(pyproject)["project"]["requires-python"]
    oldest = re.fullmatch(r">=\s*(3\.\d+)", requires)
    if not oldest:
        sys.exit(f"requires-python {requires!r} is not '>=3.N'")
    LOCK.parent.mkdir(exist_ok=True)
    command = [
        uv_binary(), "pip", "compile", "pyproject.toml",
        "--extra", "dev",
        "--universal", "--python-version", oldest.group(1),
        "--generate-hashes",
        "--custom-compile-command", "make lock",
        "--quiet",
        "--output-file", str(LOCK.relative_to(ROOT)),
    ]  # fmt: skip
    if args.upgrade:
        command.append("--upgrade")
    subprocess.run(command, cwd=ROOT, check=True)
    lines = LOCK.read_text(encoding="utf-8").splitlines()
    header = 0
    while header < len(lines) and lines[header].startswith("#"):
        header += 1
    lines.insert(header, DIGEST_PREFIX + requirements_digest(pyproject))
    LOCK.write_text("\n".join(lines) + "\n", encoding="utf-8")
    pins = sum(1 for line in lines if re.match(r"^[A-Za-z0-9]", line))
    print(f"{LOCK.relative_to(ROOT)}: {pins} pins (Python {oldest.group(1)}+, every platform)")


if __name__ == "__main__":
    main()
