"""The version guards of ``make release``, on a throwaway git repository with two tags.

scripts/release.py refuses a version that already has a tag, a version without a
CHANGELOG.md entry, a version below the last release, and a breaking change of the public
API of ``lro`` or ``lro_api`` (griffe) without a major bump (a minor one while 0.x); with
no tag yet it skips only the API comparison. Private modules never count.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from release_support import ROOT, SCRIPT, git, load_release_script, mini_repo, set_version, write

# Slow tier: builds wheels and sdists, installs them in fresh venvs (processes).
pytestmark = pytest.mark.slow

release = load_release_script()


def check(repo: Path) -> None:
    release.check_version(release.Release(repo=repo, dist=repo / "dist"))


def refused(repo: Path) -> str:
    with pytest.raises(release.Failure) as info:
        check(repo)
    return str(info.value)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return mini_repo(tmp_path / "repo")


def edit(repo: Path, relative: str, old: str, new: str) -> None:
    path = repo / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, (relative, old)
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_released_version_is_refused(repo: Path) -> None:
    message = refused(repo)
    assert "version 0.2.0 is already released (tag v0.2.0)" in message
    assert "bump info.version in openapi.yaml" in message


def test_a_version_without_a_changelog_entry_is_refused(repo: Path) -> None:
    set_version(repo, "0.2.1", changelog=False)
    assert "CHANGELOG.md has no entry for 0.2.1" in refused(repo)


@pytest.mark.parametrize(
    "section",
    [
        "## [0.2.1]\n\n- Fixed.\n",  # no date
        "## [0.2.1] - 2026-12-01\n\n",  # no item
        "## 0.2.1 - 2026-12-01\n\n- Fixed.\n",  # not Keep a Changelog's heading
    ],
)
def test_a_changelog_entry_is_a_dated_heading_with_items(repo: Path, section: str) -> None:
    set_version(repo, "0.2.1", changelog=False)
    changelog = repo / "CHANGELOG.md"
    head, _, rest = changelog.read_text(encoding="utf-8").partition("\n")
    changelog.write_text(f"{head}\n\n{section}{rest}", encoding="utf-8")
    assert "CHANGELOG.md has no entry for 0.2.1" in refused(repo)


def test_a_version_below_the_last_release_is_refused(repo: Path) -> None:
    set_version(repo, "0.1.5")
    assert "0.1.5 is lower than the last release v0.2.0" in refused(repo)


def test_the_generated_version_must_match_the_spec(repo: Path) -> None:
    set_version(repo, "0.2.1")
    edit(repo, "generated/lro_api/__init__.py", '"0.2.1"', '"0.2.0"')
    assert "run `make generate`" in refused(repo)


def test_a_compatible_change_passes_with_a_patch_bump(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(repo, "wrapper/lro/_core/waiting.py", "timeout: float | None = None)",
         "timeout: float | None = None, poll: float = 1.0)")  # fmt: skip
    write(repo, "wrapper/lro/_core/extra.py", "def helper() -> None:\n    pass\n")
    set_version(repo, "0.2.1")
    check(repo)
    assert "no breaking change since v0.2.0" in capsys.readouterr().out


def test_moving_private_modules_is_not_a_breaking_change(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The layout under ``_core`` (and any ``_`` module) may change in a patch release,
    and so may modules that are not API (``lro.demo``)."""
    (repo / "wrapper/lro/_sync").mkdir()
    (repo / "wrapper/lro/_core/waiting.py").rename(repo / "wrapper/lro/_sync/client.py")
    write(repo, "wrapper/lro/_sync/__init__.py", "")
    edit(repo, "wrapper/lro/__init__.py", "lro._core.waiting", "lro._sync.client")
    (repo / "wrapper/lro/cli/_app.py").rename(repo / "wrapper/lro/cli/_main.py")
    edit(repo, "wrapper/lro/cli/__init__.py", "lro.cli._app", "lro.cli._main")
    edit(repo, "wrapper/lro/demo.py", "speed: float = 1.0", "*, fast: bool")
    set_version(repo, "0.2.1")
    check(repo)
    assert "no breaking change since v0.2.0" in capsys.readouterr().out


BREAKING = {
    "a parameter removed": (
        "wrapper/lro/_core/waiting.py",
        "name: str, timeout: float | None = None",
        "name: str",
        "lro.wait(timeout): Parameter was removed",
    ),
    "a parameter made keyword-only": (
        "wrapper/lro/_core/waiting.py",
        "def get(self, name: str)",
        "def get(self, *, name: str)",
        "lro.Client.get(name): Parameter kind was changed",
    ),
    "a default changed": (
        "wrapper/lro/_core/waiting.py",
        "timeout: float = 10.0",
        "timeout: float = 5.0",
        "lro.Client.__init__(timeout): Parameter default was changed: 10.0 -> 5.0",
    ),
    "an export of lro.aio renamed": (
        "wrapper/lro/aio.py",
        "async_wait",
        "wait_async",
        "lro.aio.async_wait: Public object was removed",
    ),
    "a command-line entry point changed": (
        "wrapper/lro/cli/_app.py",
        "argv: list[str] | None = None",
        "argv: list[str]",
        "lro.cli.main(argv): Parameter is now required",
    ),
    "a change in a public module that __init__ does not re-export": (
        "wrapper/lro/testing.py",
        "port: int = 0",
        "port: int",
        "lro.testing.lro_server(port): Parameter is now required",
    ),
    "a generated model lost a method": (
        "generated/lro_api/models.py",
        "    def to_json(self) -> str:\n        return self.name\n",
        "",
        "lro_api.Operation.to_json: Public object was removed",
    ),
}


@pytest.mark.parametrize("change", BREAKING)
def test_a_breaking_change_needs_a_minor_bump_while_0x(
    repo: Path, change: str, capsys: pytest.CaptureFixture[str]
) -> None:
    relative, old, new, explained = BREAKING[change]
    edit(repo, relative, old, new)

    set_version(repo, "0.2.1")
    message = refused(repo)
    assert "breaking change(s) of the public API since v0.2.0" in message
    assert "release them as 0.3.0 or later" in message
    assert f"    {explained}" in message  # named as users import it

    set_version(repo, "0.3.0")
    check(repo)
    out = capsys.readouterr().out
    assert "breaking change(s) since v0.2.0, allowed by 0.3.0" in out
    assert explained in out


def test_from_1_0_a_breaking_change_needs_a_major_bump(repo: Path) -> None:
    set_version(repo, "1.0.0")
    git(repo, "commit", "-qam", "1.0.0")
    git(repo, "tag", "v1.0.0")
    edit(repo, "wrapper/lro/_core/waiting.py", "name: str, timeout: float | None = None",
         "name: str")  # fmt: skip
    set_version(repo, "1.1.0")
    assert "release them as 2.0.0 or later" in refused(repo)
    set_version(repo, "2.0.0")
    check(repo)


def test_without_a_tag_only_the_comparison_is_skipped(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo, "tag", "-d", "v0.1.0", "v0.2.0")
    edit(repo, "wrapper/lro/_core/waiting.py", "name: str, timeout: float | None = None",
         "name: str")  # fmt: skip
    check(repo)
    assert "no release tag (vX.Y.Z) yet: skipping the API comparison" in capsys.readouterr().out
    set_version(repo, "0.2.1", changelog=False)
    assert "CHANGELOG.md has no entry for 0.2.1" in refused(repo)


def test_other_tags_are_not_releases(repo: Path) -> None:
    git(repo, "tag", "v0.9.0-rc1")
    git(repo, "tag", "nightly")
    set_version(repo, "0.2.1")
    check(repo)


def test_the_command_names_the_failing_step(repo: Path) -> None:
    """``make release`` stops at the first failure with a message naming the step."""
    run = [sys.executable, str(SCRIPT), "--repo", str(repo)]
    version = subprocess.run([*run, "version"], capture_output=True, text=True)
    assert version.returncode == 1
    assert "step 1 (version check) failed: version 0.2.0 is already released" in version.stderr

    write(repo, "stray.txt", "not committed\n")
    dirty = subprocess.run(run, capture_output=True, text=True)
    assert dirty.returncode == 1
    assert "step 1 (clean tree) failed: the working tree differs from HEAD" in dirty.stderr
    assert "stray.txt" in dirty.stderr

    (repo / "stray.txt").unlink()
    drift = subprocess.run(run, capture_output=True, text=True)  # no scripts/generate.py
    assert drift.returncode == 1
    assert "[1/9] clean tree" in drift.stdout
    assert "step 2 (drift check) failed" in drift.stderr
    assert "[3/9]" not in drift.stdout


def test_the_real_public_api_loads_and_hides_private_modules() -> None:
    """griffe reads this repo's lro and lro_api; the API is what users import."""
    import griffe

    for package, names in {
        "lro": {"Client", "Operation", "wait_all", "aio", "errors", "cli"},
        "lro_api": {"OperationsApi", "Operation", "models", "api"},
    }.items():
        old = release.load_public_api(ROOT, package)
        new = release.load_public_api(ROOT, package)
        public = {name for name, member in new.members.items() if member.is_public}
        assert names <= public, names - public
        assert not any(name.startswith("_") for name in public)
        assert list(griffe.find_breaking_changes(old, new)) == []
    assert "demo" not in {
        name for name, member in release.load_public_api(ROOT, "lro").members.items()
        if member.is_public
    }  # fmt: skip


def test_the_comparison_reads_the_tag_not_the_working_tree(repo: Path, tmp_path: Path) -> None:
    """The old side is ``git archive`` of the tag: a checkout elsewhere sees the same."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    shutil.rmtree(clone / "wrapper" / "lro" / "_core")
    edit(clone, "wrapper/lro/__init__.py", "from lro._core.waiting import Client, wait\n", "")
    edit(clone, "wrapper/lro/__init__.py", '"Client", ', "")
    edit(clone, "wrapper/lro/__init__.py", ', "wait"', "")
    set_version(clone, "0.2.1")
    message = refused(clone)
    assert "lro.Client: Public object was removed" in message
    assert "lro.wait: Public object was removed" in message
