"""1. Import cost: fresh interpreters running ``import lro`` (and the CLI's ``--help``)
against a bare ``python -c pass`` and against ``import eval_studio_client``.

Each repeat runs every command once, in a rotating order, so drift on a shared machine
hits all of them alike. "Added" time is a command's wall time minus the bare
interpreter's in the same repeat. The lro-vs-eval-studio ratio uses the interpreter's own
``-X importtime`` cumulative figure for the top-level package (start-up excluded, far less
noisy than differences of wall times).
"""

from __future__ import annotations

import compileall
import importlib.util
import os
import re
import subprocess
import time
from pathlib import Path

from .common import INFO, PYTHON, ROOT, Context, Row, Stat, installed, ms, ratios, times, verdict

SECTION = "1 import"
ADDED_TARGET_S = 0.150
VS_EVAL_TARGET = 10.0


def _wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def _first_output(argv: list[str]) -> float:
    """Seconds from spawning ``argv`` to the first byte on its stdout."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    first = proc.stdout.read(1)
    elapsed = time.perf_counter() - start
    proc.communicate()
    if not first or proc.returncode != 0:
        raise RuntimeError(f"{argv} printed nothing or failed ({proc.returncode})")
    return elapsed


def _import_time(module: str) -> float:
    """Seconds ``import module`` takes in a fresh interpreter, from ``-X importtime``."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", f"import {module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    pattern = re.compile(rf"^import time:\s+\d+ \|\s+(\d+) \|\s*{re.escape(module)}$")
    for line in done.stderr.splitlines():
        if match := pattern.match(line):
            return int(match.group(1)) / 1e6
    raise RuntimeError(f"no -X importtime line for {module}")


def _cli_argv() -> tuple[list[str], str] | None:
    """The CLI's help command: the `lro` console script if installed, else the module."""
    script = Path(PYTHON).with_name("lro")
    if script.exists() and os.access(script, os.X_OK):
        return [str(script), "--help"], "`lro --help` (console script)"
    if installed("lro.cli"):
        return [PYTHON, "-m", "lro.cli", "--help"], "`python -m lro.cli --help`"
    return None


def _cli_works(argv: list[str]) -> bool:
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=60, check=False)
    return done.returncode == 0


def _heavy_modules() -> str:
    """Which heavy modules `import lro, lro.aio` pull in (they must pull in none)."""
    code = (
        "import sys, lro, lro.aio; print(','.join(m for m in ('pydantic', 'lro_api',"
        " 'lro_server', 'urllib3', 'httpx') if m in sys.modules))"
    )
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _walls(commands: dict[str, list[str]], repeats: int) -> dict[str, list[float]]:
    """Wall time of each command (the CLI: to its first output), ``repeats`` times."""

    def timed(key: str) -> float:
        return _first_output(commands[key]) if key == "cli" else _wall(commands[key])

    for key in commands:  # warm the page cache and .pyc files once
        timed(key)
    samples: dict[str, list[float]] = {key: [] for key in commands}
    keys = list(commands)
    for r in range(repeats):  # rotate the order so no command always runs first
        for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
            samples[key].append(timed(key))
    return samples


def _compile_bytecode() -> None:
    """Byte-compile every package first, as ``pip install`` does: otherwise, where
    PYTHONDONTWRITEBYTECODE is set (CI, these machines), each fresh process would pay
    for compiling the source and the row would measure the compiler, not the import."""
    for package in ("lro", "lro_api", "eval_studio_client"):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            for folder in spec.submodule_search_locations:
                compileall.compile_dir(folder, quiet=1)


def run(ctx: Context) -> list[Row]:
    _compile_bytecode()
    repeats = ctx.pick(2, 12)
    commands = {"bare": [PYTHON, "-c", "pass"], "lro": [PYTHON, "-c", "import lro"]}
    cli = _cli_argv()
    if cli is not None and _cli_works(cli[0]):
        commands["cli"] = cli[0]
    samples = _walls(commands, repeats)
    bare = samples["bare"]
    added = {
        key: [a - b for a, b in zip(values, bare, strict=True)] for key, values in samples.items()
    }
    lro_added = Stat.of(added["lro"])
    lro_import = [_import_time("lro") for _ in range(repeats)]
    rows = [
        Row(
            SECTION,
            "`import lro` vs bare interpreter",
            f"fresh process, {repeats} rotating repeats; added wall {lro_added.show(ms)}; "
            f"-X importtime {Stat.of(lro_import).show(ms)}",
            f"+{ms(lro_added.median)} ({ms(Stat.of(samples['lro']).median)} total)",
            f"`python -c pass` {ms(Stat.of(bare).median)}",
            Stat.of(ratios(samples["lro"], bare)).show(times),
            "adds < 150 ms",
            verdict(lro_added.median < ADDED_TARGET_S),
        )
    ]
    if installed("eval_studio_client"):
        eval_repeats = ctx.pick(1, 6)  # about a second each: the slowest thing in the run
        eval_import = [_import_time("eval_studio_client") for _ in range(eval_repeats)]
        speedup = Stat.of(ratios(eval_import, lro_import[:eval_repeats]))
        rows.append(
            Row(
                SECTION,
                "`import lro` vs `import eval_studio_client`",
                f"fresh process, -X importtime cumulative, {eval_repeats} repeats "
                "(ratio = eval-studio's time / lro's)",
                ms(Stat.of(lro_import).median),
                f"eval-studio-client {ms(Stat.of(eval_import).median)}",
                speedup.show(times),
                "≥ 10x faster",
                verdict(speedup.median >= VS_EVAL_TARGET),
            )
        )
    else:
        rows.append(
            Row.not_measured(
                SECTION,
                "`import lro` vs eval-studio",
                "eval-studio-client is not installed (`pip install -e '.[bench]'`)",
            )
        )
    if "cli" in commands and cli is not None:
        rows.append(
            Row(
                SECTION,
                "CLI start-up to first output",
                f"{cli[1]}, fresh process, time to first byte on stdout; added "
                f"{Stat.of(added['cli']).show(ms)}",
                f"+{ms(Stat.of(added['cli']).median)} ({ms(Stat.of(samples['cli']).median)} total)",
                f"`python -c pass` {ms(Stat.of(bare).median)}",
                Stat.of(ratios(samples["cli"], bare)).show(times),
                "— (no target)",
                INFO,
            )
        )
    else:
        why = "no `lro` script or lro.cli module" if cli is None else f"{cli[1]} failed"
        rows.append(Row.not_measured(SECTION, "CLI start-up", why))
    heavy = _heavy_modules()
    ctx.note(
        "`import lro, lro.aio` loads "
        + (
            f"these heavy modules: {heavy}."
            if heavy
            else "none of pydantic, lro_api, lro_server, urllib3, httpx."
        )
    )
    return rows
