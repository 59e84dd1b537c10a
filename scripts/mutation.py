"""Mutation testing of the I/O-free core (``make mutation``; see docs/testing.md).

mutmut imports the mutated code from ``mutants/src`` (its module names come from paths
under ``src/``), while this repo keeps its packages under ``wrapper/`` and ``generated/``.
So the run happens in a staging directory, ``build/mutation/``, laid out the way mutmut
expects: ``src/`` holds copies of ``lro``, ``lro_server`` and ``lro_api``, ``tests/`` the
fast, in-process tests that cover the mutated modules, and ``pyproject.toml`` the repo's
(for pytest's settings) plus a ``[tool.mutmut]`` section. Nothing in the repo changes.

    python scripts/mutation.py                     # every module in MUTATE
    python scripts/mutation.py 'lro._core.retry*'  # only the mutants whose names match
    python scripts/mutation.py --results           # the survivors of the last run, again

The staging directory is kept between runs, so mutmut re-tests only what changed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / "build" / "mutation"

#: The packages copied into ``src/``: (package, the repo folder that holds it).
PACKAGES = [("lro", "wrapper"), ("lro_server", "wrapper"), ("lro_api", "generated")]

#: What is mutated: the I/O-free core (errors, retry, paging, names, timestamps, ...) and
#: the two pagers.
MUTATE = [
    "src/lro/_core/*",
    "src/lro/_sync/paging.py",
    "src/lro/_async/paging.py",
]

#: Never mutated: re-export modules (nothing to mutate but import lines).
DO_NOT_MUTATE = [
    "src/lro/_core/__init__.py",
    "src/lro/_core/errors/__init__.py",
]

#: The fast tests that exercise those modules (the CLI, server and reliability suites are
#: left out: they are slow, and they test the I/O halves rather than the core).
TESTS = [
    "tests/unit",
    "tests/client/test_client_retry_policy.py",
    "tests/client/test_client_errors.py",
    "tests/client/test_client_standard.py",
    "tests/client/test_client_audited.py",
    "tests/waiting/test_waiting_fake.py",
    "tests/waiting/test_waiting_many_fake.py",
    "tests/waiting/test_waiting_async_fake.py",
    "tests/waiting/test_waiting_schedule.py",
    "tests/parity",
]

#: Tests mutmut cannot select again by the node id it recorded (explicit non-ASCII ids:
#: "not found" in its clean run, which then stops the whole run).
DESELECT = [
    "--deselect=tests/unit/test_routes.py::test_path_params_use_the_one_encoder",
]

#: Support modules and conftests the selected tests import.
SUPPORT = [
    "tests/conftest.py",
    "tests/suite_support.py",
    "tests/client/conftest.py",
    "tests/client/client_support.py",
    "tests/waiting/conftest.py",
    "tests/waiting/waiting_support.py",
]


def stage() -> None:
    """Lay out ``build/mutation`` afresh (mutmut's own ``mutants/`` is kept)."""
    src = STAGE / "src"
    if src.exists():
        shutil.rmtree(src)
    for package, parent in PACKAGES:
        shutil.copytree(
            ROOT / parent / package,
            src / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
    tests = STAGE / "tests"
    if tests.exists():
        shutil.rmtree(tests)
    for item in TESTS + SUPPORT:
        source, target = ROOT / item, STAGE / item
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    (STAGE / "pyproject.toml").write_text(config(), encoding="utf-8")
    # mutmut fills mutants/src later; it must exist before any interpreter starts with it
    # on PYTHONPATH, or that interpreter caches it as missing and imports the real lro.
    (STAGE / "mutants" / "src").mkdir(parents=True, exist_ok=True)


def config() -> str:
    """The repo's pyproject.toml (pytest's settings) plus mutmut's section."""
    ours = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    return ours + "\n".join(
        [
            "",
            "[tool.mutmut]",
            'source_paths = ["src"]',
            f"only_mutate = {toml_list(MUTATE)}",
            f"do_not_mutate = {toml_list(DO_NOT_MUTATE)}",
            f"pytest_add_cli_args_test_selection = {toml_list(TESTS)}",
            f"pytest_add_cli_args = {toml_list(['-p', 'no:cacheprovider', *DESELECT])}",
            "",
        ]
    )


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def mutmut(*args: str) -> int:
    # The mutants are what the tests import, in the test process (mutmut puts mutants/src
    # first on sys.path) and in any subprocess a test starts (which then runs the same
    # mutant: mutmut names it in the environment).
    env = dict(os.environ, PYTHONPATH=str(STAGE / "mutants" / "src"))
    command = [str(Path(sys.executable).with_name("mutmut")), *args]
    return subprocess.run(command, cwd=STAGE, env=env, check=False).returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutant name patterns (default: all)")
    parser.add_argument("--results", action="store_true", help="only print the survivors")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    options = parser.parse_args()
    if not options.results:
        stage()
        started = time.monotonic()
        code = mutmut("run", "--max-children", str(options.max_children), *options.names)
        print(f"mutmut run: {(time.monotonic() - started) / 60:.1f} min, exit status {code}")
        if code != 0:
            return code
    return results()


def results() -> int:
    """Print the mutants that were not killed (``mutmut results`` without the ones a
    partial run did not check) and how many of each outcome there were."""
    out = subprocess.run(
        [str(Path(sys.executable).with_name("mutmut")), "results", "--all", "true"],
        cwd=STAGE,
        capture_output=True,
        text=True,
        check=False,
    )
    counts: dict[str, int] = {}
    left = []
    for line in out.stdout.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name:
            continue
        counts[status] = counts.get(status, 0) + 1
        if status not in ("killed", "not checked"):
            left.append(line.strip())
    print("Mutants not killed (docs/testing.md says why each one is left):")
    print("\n".join(f"    {line}" for line in left) or "    none")
    print("Outcomes:", ", ".join(f"{status} {n}" for status, n in sorted(counts.items())))
    return out.returncode


if __name__ == "__main__":
    sys.exit(main())
