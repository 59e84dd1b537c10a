"""The dev toolchain installs from a lock (requirements/dev.lock, ``make lock``).

The lock pins every package with hashes, matches pyproject.toml's requirements (a digest
in its header; ``make lock`` refreshes both), pins a hypothesis that
hypothesis-jsonschema can drive, and this very environment is what it pins: ``make test``
runs on the locked versions.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from types import ModuleType

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from release_support import ROOT

LOCK = ROOT / "requirements" / "dev.lock"


def lock_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lro_lock_script", ROOT / "scripts" / "lock.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def entries() -> list[tuple[Requirement, str]]:
    """Each pin of the lock as a requirement, with the text of its entry."""
    found = []
    for entry in re.sub(r"\\\n", " ", LOCK.read_text(encoding="utf-8")).splitlines():
        if entry.strip() and not entry.startswith((" ", "#", "-")):
            requirement = re.sub(r"\s--hash=\S+", "", entry).strip()
            found.append((Requirement(requirement), entry))
    return found


def pinned(requirement: Requirement) -> Version:
    (spec,) = requirement.specifier
    assert spec.operator == "==", requirement
    return Version(spec.version)


def test_the_lock_matches_pyproject() -> None:
    lock = lock_script()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    recorded = lock.recorded_digest(LOCK.read_text(encoding="utf-8"))
    assert recorded == lock.requirements_digest(pyproject), (
        "pyproject.toml's requirements changed since requirements/dev.lock was made: "
        "run `make lock` and commit the lock"
    )


def test_every_pin_is_exact_and_hashed() -> None:
    pins = entries()
    assert len(pins) > 50
    for requirement, entry in pins:
        pinned(requirement)
        assert "--hash=sha256:" in entry, requirement
    names = {canonicalize_name(requirement.name) for requirement, _ in pins}
    # The build backend of `make release` and of the editable install is locked too.
    assert {"setuptools", "build", "twine", "griffelib", "pytest"} <= names


def test_hypothesis_is_one_that_hypothesis_jsonschema_can_drive() -> None:
    """hypothesis-jsonschema 0.23.1 calls ``many.more()``, which hypothesis 6.170.10
    removed: the lock pins a pair that works (no patch in the conformance test)."""
    versions = {
        canonicalize_name(requirement.name): pinned(requirement)
        for requirement, _ in entries()
        if requirement.marker is None or requirement.marker.evaluate()
    }
    assert "hypothesis-jsonschema" in versions
    if versions["hypothesis-jsonschema"] <= Version("0.23.1"):
        assert versions["hypothesis"] < Version("6.170.10")


def test_this_environment_is_the_lock() -> None:
    """``make install`` installs exactly the lock, so the suite runs on those versions."""
    wrong = []
    for requirement, _ in entries():
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        expected = pinned(requirement)
        try:
            installed = Version(importlib.metadata.version(requirement.name))
        except importlib.metadata.PackageNotFoundError:
            wrong.append(f"{requirement.name}: not installed (lock: {expected})")
            continue
        if installed != expected:
            wrong.append(f"{requirement.name}: {installed} installed, lock: {expected}")
    assert not wrong, "the environment is not requirements/dev.lock; run `make install`:\n" + (
        "\n".join(wrong)
    )
