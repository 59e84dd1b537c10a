"""Two builds of one commit are byte-identical (``make build``, step 5 of ``make release``).

The commit is built twice from two clones in different directories, a second apart, under
different umasks and time zones; the wheels and sdists must have the same sha256. The
build fails on any warning of the build backend, so these builds also show there is none.
"""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from release_support import ROOT, SCRIPT, git

# Two builds take ~10-20 s; a loaded machine gets more room than the default 120 s.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def build(tmp_path: Path, name: str, umask: int, tz: str) -> dict[str, str]:
    clone = tmp_path / name / "checkout"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, umask=umask)
    out = tmp_path / name / "dist"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TZ": tz, "SOURCE_DATE_EPOCH": "1"}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--repo", str(clone), "build", "--outdir", str(out)],
        capture_output=True,
        text=True,
        umask=umask,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in out.iterdir()}


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]]]:
    tmp_path = tmp_path_factory.mktemp("builds")
    first = build(tmp_path, "first", 0o022, "UTC")
    time.sleep(1.1)  # files the build writes itself get a later mtime
    second = build(tmp_path, "second", 0o077, "Pacific/Auckland")
    return tmp_path / "first" / "dist", [first, second]


def test_two_builds_of_a_commit_are_byte_identical(
    two_builds: tuple[Path, list[dict[str, str]]],
) -> None:
    _, (first, second) = two_builds
    assert sorted(first) == sorted(second)
    assert len(first) == 2
    assert [name for name in first if name.endswith(".whl")]
    assert [name for name in first if name.endswith(".tar.gz")]
    assert first == second


def test_the_archives_carry_only_the_commit_time_and_plain_modes(
    two_builds: tuple[Path, list[dict[str, str]]],
) -> None:
    dist, _ = two_builds
    epoch = int(git(ROOT, "log", "-1", "--format=%ct", "HEAD"))
    (sdist,) = dist.glob("*.tar.gz")
    with gzip.open(sdist) as handle:
        handle.read(1)
        assert handle.mtime == epoch  # type: ignore[attr-defined]
    assert sdist.read_bytes()[3] & 0x08 == 0  # FNAME flag: no file name in the header
    with tarfile.open(sdist) as archive:
        members = archive.getmembers()
    assert [m.name for m in members] == sorted(m.name for m in members)
    assert {(m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, "", "")}
    assert {m.mtime for m in members} == {epoch}
    assert {m.mode for m in members} <= {0o644, 0o755}

    (wheel,) = dist.glob("*.whl")
    # zip cannot go below 1980, and its DOS times count seconds in twos (an odd second
    # is stored rounded down)
    year, month, day, hour, minute, second = time.gmtime(max(epoch, 315532800))[:6]
    stamp = (year, month, day, hour, minute, second - second % 2)
    with zipfile.ZipFile(wheel) as archive:
        infos = archive.infolist()
    assert {info.date_time for info in infos} == {stamp}
    modes = {info.filename: info.external_attr >> 16 for info in infos}
    record = modes.pop(next(name for name in modes if name.endswith(".dist-info/RECORD")))
    assert record == 0o100664  # fixed by the wheel writer itself
    assert set(modes.values()) <= {0o100644, 0o100755}

    # The wheel is built from that sdist: its packages are exactly the sdist's.
    packaged = {
        m.name.split("/", 2)[2]
        for m in members
        if m.isfile()
        and m.name.count("/") >= 2
        and m.name.split("/")[1] in {"wrapper", "generated"}
    }
    modules = {name for name in packaged if name.endswith((".py", "py.typed"))}
    in_wheel = {info.filename for info in infos if ".dist-info/" not in info.filename}
    assert in_wheel == modules
