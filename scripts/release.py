"""Build and verify a release of lro-sdk: what a release pipeline runs (``make release``).

Usage (from the repo root):

    python scripts/release.py                       # every step below, in order
    python scripts/release.py build --outdir DIR    # only the reproducible build of HEAD
    python scripts/release.py version               # only the version guards

The steps, each printed as it starts; the first failure stops the run with a message
naming its step (exit status 1):

 1. clean tree      the working tree is exactly HEAD: a release is built from a commit
 2. drift check     generated/ is what openapi.yaml makes (scripts/generate.py --check)
 3. spec checks     openapi-generator-cli validate, then openapi-spec-validator
 4. version check   info.version: no tag yet, a CHANGELOG.md entry, and no breaking change
                    of lro's or lro_api's public API against the last vX.Y.Z tag without
                    a major bump (minor while 0.x); griffe finds the breaking changes
 5. build           sdist and wheel of HEAD into dist/, byte-reproducible
 6. twine check     twine check --strict (metadata and the README render on PyPI)
 7. wheel contents  check-wheel-contents (configured in pyproject.toml)
 8. install         the wheel in a fresh virtualenv: lro and lro_api import there
 9. artifacts       the files in dist/ with their sha256

It never uploads: publishing is the pipeline's own step (``twine upload dist/*`` or
trusted publishing), see docs/releasing.md.

Reproducibility: the build reads ``git archive HEAD`` (never the working tree, so stray
files, a stale ``build/`` or local permissions cannot leak in), gives every file mode
0644 or 0755 and the commit's time, builds with ``SOURCE_DATE_EPOCH`` set to that time and
a fixed umask, rewrites the sdist deterministically (sorted members, root-owned, one
mtime, a gzip header without a timestamp or file name; setuptools' own tar.gz has none of
this, pypa/setuptools#2133), and builds the wheel from that sdist, so the wheel holds
exactly what the sdist ships. The build backend is the setuptools installed here (from
the lock), not one fetched at build time.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

#: The public API that the version check compares: per package, where it lives in the
#: repo and which of its non-underscore submodules are not API (a new public module counts
#: as API unless it is listed here). Underscore names are private everywhere.
PUBLIC_API: dict[str, tuple[str, tuple[str, ...]]] = {
    "lro": ("wrapper", ("demo",)),  # `python -m lro.demo`, a tour, not an interface
    "lro_api": ("generated", ()),
}
#: What the install check installs (the wheel with the reference server's extra) and must
#: then import from the fresh virtualenv.
INSTALL_EXTRAS = "[server]"
IMPORTS = ("lro", "lro.aio", "lro.errors", "lro_api", "lro_server")

VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
TAG_RE = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")
WARNING_RE = re.compile(r"warning", re.IGNORECASE)


class Failure(Exception):
    """A step's check did not pass; the message says what and how to fix it."""


@dataclass
class Release:
    repo: Path
    dist: Path
    allow_dirty: bool = False
    artifacts: list[Path] = field(default_factory=list)


# -- helpers ------------------------------------------------------------------------------


def run(
    command: list[str], *, cwd: Path, env: dict[str, str] | None = None, umask: int = -1
) -> str:
    """Run a command and return its output (stdout, then stderr); on failure raise
    ``Failure`` with that output."""
    result = subprocess.run(
        command, cwd=cwd, env=env, umask=umask, capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise Failure(f"`{' '.join(command)}` exited with {result.returncode}:\n{output.strip()}")
    return output


def git(repo: Path, *args: str) -> str:
    return run(["git", *args], cwd=repo).strip()


def spec_version(repo: Path) -> str:
    """openapi.yaml's ``info.version`` (scripts/generate.py reads it the same way)."""
    text = (repo / "openapi.yaml").read_text(encoding="utf-8")
    match = re.search(r"^info:\n(?:  .*\n)*?  version:\s*['\"]?([^'\"\s]+)", text, re.M)
    if not match:
        raise Failure("openapi.yaml has no info.version")
    return match.group(1)


def parse_version(version: str) -> tuple[int, int, int]:
    match = VERSION_RE.match(version)
    if not match:
        raise Failure(f"info.version {version!r} is not MAJOR.MINOR.PATCH")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def release_tags(repo: Path) -> dict[tuple[int, int, int], str]:
    """The repo's release tags ``vX.Y.Z`` by version."""
    tags = {}
    for tag in git(repo, "tag", "--list", "v*").splitlines():
        match = TAG_RE.match(tag.strip())
        if match:
            major, minor, patch = (int(part) for part in match.groups())
            tags[(major, minor, patch)] = tag.strip()
    return tags


def source_date_epoch(repo: Path) -> int:
    """The commit time of HEAD: every timestamp in the artifacts."""
    return int(git(repo, "log", "-1", "--format=%ct", "HEAD"))


def export(repo: Path, ref: str, dest: Path, epoch: int | None = None) -> None:
    """Write the tree of ``ref`` (``git archive``) to ``dest``: modes 0644/0755 only and,
    when ``epoch`` is given, that mtime on every file."""
    result = subprocess.run(["git", "archive", "--format=tar", ref], cwd=repo, capture_output=True)
    if result.returncode != 0:
        raise Failure(f"`git archive {ref}` failed: {result.stderr.decode().strip()}")
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        for member in archive.getmembers():
            path = dest / member.name
            if member.isdir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if member.issym():
                path.symlink_to(member.linkname)
                continue
            source = archive.extractfile(member)
            if source is None:
                continue
            path.write_bytes(source.read())
            path.chmod(0o755 if member.mode & 0o111 else 0o644)
            if epoch is not None:
                os.utime(path, (epoch, epoch))
    for folder in [dest, *(p for p in dest.rglob("*") if p.is_dir() and not p.is_symlink())]:
        folder.chmod(0o755)


def normalise_sdist(path: Path, epoch: int) -> None:
    """Rewrite a .tar.gz so that only its contents decide its bytes."""
    with tarfile.open(path, "r:gz") as source:
        members = []
        for member in source.getmembers():
            handle = source.extractfile(member) if member.isfile() else None
            members.append((member, handle.read() if handle else None))
    members.sort(key=lambda item: item[0].name)
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w", format=tarfile.PAX_FORMAT) as target:
        for member, data in members:
            member.uid = member.gid = 0
            member.uname = member.gname = ""
            member.mtime = epoch
            member.mode = 0o755 if member.isdir() or member.mode & 0o111 else 0o644
            member.pax_headers = {}
            target.addfile(member, io.BytesIO(data) if data is not None else None)
    with (
        path.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch, compresslevel=9) as gz,
    ):
        gz.write(tar_bytes.getvalue())


def extract_sdist(path: Path, dest: Path) -> Path:
    """Unpack an sdist with normalised modes; return its top folder."""
    with tarfile.open(path, "r:gz") as archive:
        for member in archive.getmembers():
            target = dest / member.name
            if not target.resolve().is_relative_to(dest.resolve()):
                raise Failure(f"{path.name}: member {member.name!r} escapes the archive")
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                target.parent.mkdir(parents=True, exist_ok=True)
                handle = archive.extractfile(member)
                target.write_bytes(handle.read() if handle else b"")
                target.chmod(0o755 if member.mode & 0o111 else 0o644)
                os.utime(target, (member.mtime, member.mtime))
            else:
                raise Failure(f"{path.name}: unexpected member {member.name!r}")
    (top,) = dest.iterdir()
    return top


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the steps ----------------------------------------------------------------------------


def check_clean(release: Release) -> None:
    """The working tree is HEAD: no modified, staged or untracked (unignored) files."""
    status = git(release.repo, "status", "--porcelain", "--untracked-files=all")
    commit = git(release.repo, "rev-parse", "--short", "HEAD")
    if status and not release.allow_dirty:
        raise Failure(
            "the working tree differs from HEAD; commit or discard these first "
            "(a release is built from a commit):\n" + status
        )
    if status:
        print(f"  working tree differs from HEAD ({len(status.splitlines())} files; allowed)")
    print(f"  releasing commit {commit}")


def check_drift(release: Release) -> None:
    """generated/ is exactly what the pinned generator makes from openapi.yaml."""
    output = run([sys.executable, "scripts/generate.py", "--check"], cwd=release.repo)
    print("  " + output.strip().replace("\n", "\n  "))


def check_spec(release: Release) -> None:
    """The spec passes the generator's own validator and openapi-spec-validator."""
    sys.path.insert(0, str(release.repo / "scripts"))
    try:
        from generate import GENERATOR_VERSION, generator_env  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    cli = shutil.which("openapi-generator-cli", path=str(BIN)) or "openapi-generator-cli"
    run([cli, "validate", "-i", "openapi.yaml"], cwd=release.repo, env=generator_env())
    print(f"  openapi-generator-cli {GENERATOR_VERSION} validate: no issues")
    output = run([sys.executable, "-m", "openapi_spec_validator", "openapi.yaml"], cwd=release.repo)
    print(f"  openapi-spec-validator: {output.strip()}")


def changelog_entry(repo: Path, version: str) -> str | None:
    """The body of CHANGELOG.md's ``## [version] - YYYY-MM-DD`` section, if it has one."""
    path = repo / "CHANGELOG.md"
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    heading = re.compile(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}[ \t]*$", re.M)
    match = heading.search(text)
    if not match:
        return None
    rest = text[match.end() :]
    end = re.search(r"^## |^\[[^\]]+\]: ", rest, re.M)
    body = rest[: end.start() if end else len(rest)].strip()
    return body if re.search(r"^\s*[-*] \S", body, re.M) else None


def load_public_api(tree: Path, package: str) -> object:
    """The package's API as griffe sees it (static analysis, no import), with the
    submodules that are not public API marked private."""
    import griffe

    folder, not_api = PUBLIC_API[package]
    module = griffe.load(
        package,
        search_paths=[tree / folder],
        resolve_aliases=True,
        resolve_external=False,
        allow_inspection=False,  # read the sources, never import code from an old tag
        docstring_parser=None,
    )
    for name in not_api:
        if name in module.members:
            module.members[name].public = False
    return module


def public_names(module: object) -> dict[str, str]:
    """Where each public object is defined -> the public name users import it by."""
    names: dict[str, str] = {}

    def visit(parent: object) -> None:
        for name, member in parent.members.items():  # type: ignore[attr-defined]
            if not member.is_public:
                continue
            public = f"{parent.path}.{name}"  # type: ignore[attr-defined]
            try:
                names.setdefault(
                    member.final_target.path if member.is_alias else member.path, public
                )
            except Exception:  # an alias griffe cannot resolve: nothing to name
                continue
            if member.is_module and not member.is_alias:
                visit(member)

    visit(module)
    return names


def describe(breakage: object, names: dict[str, str]) -> str:
    """``lro.Client.get(name): Parameter kind was changed: ... -> ...``, by public name."""
    path: str = breakage.obj.path  # type: ignore[attr-defined]
    public = path
    prefix = path
    while prefix:
        if prefix in names:
            public = names[prefix] + path[len(prefix) :]
            break
        prefix = prefix.rpartition(".")[0]
    text = re.sub(r"\x1b\[[0-9;]*m", "", breakage.explain())  # type: ignore[attr-defined]
    title, _, change = text.split(": ", 1)[-1].partition(": ")
    parameter = title[title.find("(") :] if "(" in title else ""
    return f"{public}{parameter}: {change}"


def api_breakages(repo: Path, tag: str) -> list[str]:
    """Breaking changes of the public API of lro and lro_api from ``tag`` to the working
    tree, each named by its public path. Private names (``_core``, ``_sync``, ...) never
    count: moving code between them is not a change users can see; removing or changing
    what they import is."""
    import griffe

    logging.getLogger("griffe").setLevel(logging.ERROR)
    found = []
    with tempfile.TemporaryDirectory(prefix="lro-release-api-") as tmp:
        old_tree = Path(tmp)
        export(repo, tag, old_tree)
        for package, (folder, _) in PUBLIC_API.items():
            if not (old_tree / folder / package).is_dir():
                continue  # new since the tag: nothing to break
            try:
                old = load_public_api(old_tree, package)
                new = load_public_api(repo, package)
            except Exception as error:  # say which side griffe could not read, and why
                message = f"griffe could not load {package} ({tag} or the working tree)"
                raise Failure(f"{message}: {error!r}") from error
            names = {**public_names(old), **public_names(new)}
            for breakage in griffe.find_breaking_changes(old, new):  # type: ignore[arg-type]
                found.append(describe(breakage, names))
    return found


def check_version(release: Release) -> None:
    """The version tells the truth about the release."""
    repo = release.repo
    version = spec_version(repo)
    current = parse_version(version)
    init = (repo / "generated" / "lro_api" / "__init__.py").read_text(encoding="utf-8")
    generated = re.search(r'^__version__ = "([^"]+)"', init, re.M)
    if not generated or generated.group(1) != version:
        raise Failure(
            f"lro_api.__version__ is {generated.group(1) if generated else None!r} but "
            f"openapi.yaml's info.version is {version!r}: run `make generate`"
        )
    print(f"  version {version} (openapi.yaml info.version = lro_api.__version__)")
    tags = release_tags(repo)
    if current in tags:
        raise Failure(
            f"version {version} is already released (tag {tags[current]}): "
            "bump info.version in openapi.yaml, then `make generate`"
        )
    if changelog_entry(repo, version) is None:
        raise Failure(
            f"CHANGELOG.md has no entry for {version}: add a `## [{version}] - YYYY-MM-DD` "
            "section with at least one item (Keep a Changelog format)"
        )
    print(f"  CHANGELOG.md has an entry for {version}")
    if not tags:
        print("  no release tag (vX.Y.Z) yet: skipping the API comparison (first release)")
        return
    last = max(tags)
    last_tag = tags[last]
    if current < last:
        raise Failure(f"version {version} is lower than the last release {last_tag}")
    breakages = api_breakages(repo, last_tag)
    if not breakages:
        print(f"  public API of lro and lro_api: no breaking change since {last_tag}")
        return
    allowed = current[0] > last[0] or (last[0] == 0 and current[1] > last[1])
    listing = "\n".join(f"    {line}" for line in breakages)
    if not allowed:
        needed = f"{last[0]}.{last[1] + 1}.0" if last[0] == 0 else f"{last[0] + 1}.0.0"
        raise Failure(
            f"{len(breakages)} breaking change(s) of the public API since {last_tag}, but "
            f"{version} is not a major bump (minor while 0.x); release them as {needed} "
            f"or later, or keep the old API:\n{listing}"
        )
    print(f"  {len(breakages)} breaking change(s) since {last_tag}, allowed by {version}:")
    print(listing)


def build(release: Release) -> None:
    """sdist and wheel of HEAD into dist/, byte-identical on every build of the commit."""
    release.artifacts = build_artifacts(release.repo, release.dist)
    for path in release.artifacts:
        print(f"  {path.relative_to(release.dist.parent)}")


def build_artifacts(repo: Path, dist: Path) -> list[Path]:
    epoch = source_date_epoch(repo)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(SOURCE_DATE_EPOCH=str(epoch), TZ="UTC", LC_ALL="C.UTF-8")
    shutil.rmtree(dist, ignore_errors=True)  # `twine upload dist/*` must see only these
    dist.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="lro-release-build-") as tmp:
        work = Path(tmp)
        source = work / "source"
        export(repo, "HEAD", source, epoch)
        sdist_dir, wheel_dir = work / "sdist", work / "wheel"

        def pypa_build(kind: str, outdir: Path, srcdir: Path) -> None:
            command = [sys.executable, "-m", "build", "--no-isolation", kind]
            command += ["--outdir", str(outdir), str(srcdir)]
            output = run(command, cwd=work, env=env, umask=0o022)
            warnings = [line for line in output.splitlines() if WARNING_RE.search(line)]
            if warnings:  # a deprecation today is a broken build tomorrow
                raise Failure(f"`build {kind}` warns:\n" + "\n".join(warnings))

        pypa_build("--sdist", sdist_dir, source)
        (sdist,) = sdist_dir.glob("*.tar.gz")
        normalise_sdist(sdist, epoch)
        unpacked = extract_sdist(sdist, work / "unpacked")
        pypa_build("--wheel", wheel_dir, unpacked)
        (wheel,) = wheel_dir.glob("*.whl")
        for artifact in (sdist, wheel):
            shutil.copyfile(artifact, dist / artifact.name)
    return sorted(dist.iterdir())


def twine_check(release: Release) -> None:
    """Metadata complete and the long description renders (PyPI's own checks)."""
    files = [str(path) for path in release.artifacts]
    output = run(
        [sys.executable, "-m", "twine", "--no-color", "check", "--strict", *files], cwd=release.repo
    )
    print("  " + output.strip().replace("\n", "\n  "))


def wheel_contents(release: Release) -> None:
    """The wheel holds the three packages and nothing stray (no tests, bytecode, dupes)."""
    wheels = [str(path) for path in release.artifacts if path.suffix == ".whl"]
    output = run([sys.executable, "-m", "check_wheel_contents", *wheels], cwd=release.repo)
    print("  " + output.strip().replace("\n", "\n  "))


def install(release: Release) -> None:
    """A fresh virtualenv gets the wheel and its dependencies; the packages import from
    it (not from the source tree) and report the release's version."""
    (wheel,) = (path for path in release.artifacts if path.suffix == ".whl")
    version = spec_version(release.repo)
    with tempfile.TemporaryDirectory(prefix="lro-release-venv-") as tmp:
        venv = Path(tmp) / "venv"
        run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=Path(tmp))
        python = venv / "bin" / "python"
        pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
        run([*pip, f"{wheel}{INSTALL_EXTRAS}"], cwd=Path(tmp))
        probe = (
            "import importlib, importlib.metadata, sys\n"
            f"for name in {IMPORTS!r}:\n"
            "    module = importlib.import_module(name)\n"
            "    assert module.__file__.startswith(sys.prefix), module.__file__\n"
            "import lro_api\n"
            "print(lro_api.__version__, importlib.metadata.version('lro-sdk'))\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        output = run([str(python), "-I", "-c", probe], cwd=Path(tmp), env=env).split()
        if output != [version, version]:
            raise Failure(f"installed versions {output} are not {version}")
    print(f"  imported {', '.join(IMPORTS)} from a fresh virtualenv (version {version})")


def artifacts(release: Release) -> None:
    """What the pipeline publishes, with the hashes to record or compare."""
    for path in release.artifacts:
        print(f"  {sha256(path)}  {path.relative_to(release.dist.parent)}")


STEPS: list[tuple[str, Callable[[Release], None]]] = [
    ("clean tree", check_clean),
    ("drift check", check_drift),
    ("spec checks", check_spec),
    ("version check", check_version),
    ("build", build),
    ("twine check", twine_check),
    ("wheel contents", wheel_contents),
    ("install", install),
    ("artifacts", artifacts),
]


def run_steps(release: Release, steps: list[tuple[str, Callable[[Release], None]]]) -> None:
    for number, (name, step) in enumerate(steps, 1):
        print(f"[{number}/{len(steps)}] {name}", flush=True)
        started = time.monotonic()
        try:
            step(release)
        except Failure as failure:
            print(f"release: step {number} ({name}) failed: {failure}", file=sys.stderr)
            sys.exit(1)
        print(f"  ok ({time.monotonic() - started:.1f} s)", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repo", type=Path, default=ROOT, help="the git repository (default: this one)"
    )
    parser.add_argument(
        "--allow-dirty",
        action="store_true",
        help="release HEAD even if the working tree differs (never in a pipeline)",
    )
    sub = parser.add_subparsers(dest="command")
    only_build = sub.add_parser("build", help="only build HEAD reproducibly")
    only_build.add_argument("--outdir", type=Path, default=None, help="default: <repo>/dist")
    sub.add_parser("version", help="only the version guards")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # steps, then errors
    repo = args.repo.resolve()
    outdir = getattr(args, "outdir", None)
    release = Release(
        repo=repo, dist=(outdir or repo / "dist").resolve(), allow_dirty=args.allow_dirty
    )
    if args.command == "build":
        run_steps(release, [("build", build), ("artifacts", artifacts)])
    elif args.command == "version":
        run_steps(release, [("version check", check_version)])
    else:
        run_steps(release, STEPS)
        print(f"release {spec_version(repo)} verified; publish with `twine upload dist/*`")


if __name__ == "__main__":
    main()
