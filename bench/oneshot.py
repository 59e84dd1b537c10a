"""7. One-shot process: a fresh interpreter that fetches one operation and exits, the way a
shell script, a cron job or a CI step uses the SDK, against the same thing written by hand.

The reference server runs in its own process (its CLI) with one operation in it. Each
repeat runs every command once, in a rotating order (as :mod:`bench.imports` does), and
times it from spawn to exit:

* bare: ``python -c pass`` (the interpreter alone, for orientation);
* baseline: ``import urllib3, json; r = urllib3.request("GET", URL + "/v1/" + NAME);
  json.loads(r.data)``, the least a hand-written script does;
* lro: ``import lro; c = lro.Client(URL); c.get(NAME)``;
* the CLI: ``lro get NAME`` (the console script, else ``python -m lro.cli``) with the URL
  in ``LRO_BASE_URL``, as docs/cli.md documents it; its output goes to /dev/null.

Ratios are per repeat (lro's run i over the baseline's run i). Everything is
byte-compiled first, as ``pip install`` does. A footnote names the modules the lro
process imports that the baseline's does not, by ``-X importtime`` self time.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from .common import INFO, PYTHON, ROOT, Context, NotMeasured, Row, Stat, ms, ratios, times, verdict
from .imports import _compile_bytecode
from .procs import ServerProcess

SECTION = "7 one-shot"
LRO_TARGET = 1.3
CLI_TARGET = 1.6
METADATA = {"@type": "type.googleapis.com/lro.example.ProgressMetadata", "progressPercent": 40}

_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \|( *)(\S+)$")


def _clean_env() -> dict[str, str]:
    """The environment without any LRO_* settings (a stray token or URL changes nothing)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("LRO_")}


def _cli_argv(name: str) -> tuple[list[str], str]:
    script = Path(PYTHON).with_name("lro")
    if script.exists() and os.access(script, os.X_OK):
        return [str(script), "get", name], "`lro get NAME` (console script)"
    return [PYTHON, "-m", "lro.cli", "get", name], "`python -m lro.cli get NAME`"


def _commands(url: str, name: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    env = _clean_env()
    baseline = (
        "import urllib3, json; "
        f"r = urllib3.request('GET', {url!r} + '/v1/' + {name!r}); json.loads(r.data)"
    )
    lro = f"import lro; c = lro.Client({url!r}); c.get({name!r})"
    return {
        "bare": ([PYTHON, "-c", "pass"], env),
        "base": ([PYTHON, "-c", baseline], env),
        "lro": ([PYTHON, "-c", lro], env),
        "cli": (_cli_argv(name)[0], dict(env, LRO_BASE_URL=url)),
    }


def _check(argv: list[str], env: dict[str, str], name: str, key: str) -> None:
    """Runs a command once; it must succeed (and the CLI must print the operation)."""
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        if key == "cli" and "No module named" in done.stderr:
            raise NotMeasured(
                f"the CLI is not installed (`pip install -e '.[cli]'`): {done.stderr}"
            )
        raise RuntimeError(f"{key}: {argv} failed ({done.returncode}): {done.stderr[-2000:]}")
    if key == "cli" and name not in done.stdout:
        raise RuntimeError(f"`lro get` did not print {name!r}: {done.stdout[-500:]!r}")


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds from spawn to exit, and the child's CPU seconds (user + system)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{argv} failed ({proc.returncode})")
    return wall, usage.ru_utime + usage.ru_stime


def _samples(
    commands: dict[str, tuple[list[str], dict[str, str]]], repeats: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Wall and CPU times of each command, ``repeats`` times in a rotating order."""
    for argv, env in commands.values():  # warm the page cache once
        _timed(argv, env)
    wall: dict[str, list[float]] = {key: [] for key in commands}
    cpu: dict[str, list[float]] = {key: [] for key in commands}
    keys = list(commands)
    for r in range(repeats):  # rotate the order so no command always runs first
        for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
            w, c = _timed(*commands[key])
            wall[key].append(w)
            cpu[key].append(c)
    return wall, cpu


def _import_self_times(argv: list[str], env: dict[str, str], runs: int) -> dict[str, int]:
    """Module -> self import time (µs), the least of ``runs`` runs of ``-X importtime``."""
    modules: dict[str, int] = {}
    for _ in range(runs):
        done = subprocess.run(
            [argv[0], "-X", "importtime", *argv[1:]],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        for line in done.stderr.splitlines():
            if match := _IMPORT_LINE.match(line):
                name, spent = match.group(3), int(match.group(1))
                modules[name] = min(spent, modules.get(name, spent))
    return modules


def _extra_imports(
    commands: dict[str, tuple[list[str], dict[str, str]]], key: str, runs: int
) -> str:
    """The costliest modules ``key`` imports that the baseline does not (self time)."""
    base = _import_self_times(*commands["base"], runs)
    argv, env = commands[key]
    if argv[0] != PYTHON:  # the console script: run it through the interpreter
        argv = [PYTHON, *argv]
    own = _import_self_times(argv, env, runs)
    extra = {module: us for module, us in own.items() if module not in base}
    total = sum(extra.values())
    top = sorted(extra.items(), key=lambda item: item[1], reverse=True)[:6]
    listed = ", ".join(f"{module} {us / 1000:.1f}" for module, us in top)
    return (
        f"{len(extra)} more modules, {total / 1000:.0f} ms of self import time (least of "
        f"{runs} `-X importtime` runs); the costliest (ms): {listed}"
    )


def _row(
    label: str,
    key: str,
    wall: dict[str, list[float]],
    cpu: dict[str, list[float]],
    workload: str,
    target: float,
) -> Row:
    ratio = Stat.of(ratios(wall[key], wall["base"]))
    cpu_ratio = Stat.of(ratios(cpu[key], cpu["base"]))
    return Row(
        SECTION,
        label,
        f"{workload}; wall {Stat.of(wall[key]).show(ms)}; CPU {ms(Stat.of(cpu[key]).median)}, "
        f"CPU ratio {cpu_ratio.show(times)}",
        ms(Stat.of(wall[key]).median),
        f"urllib3.request + json.loads {ms(Stat.of(wall['base']).median)}",
        ratio.show(times),
        f"≤ {target:g}x baseline (wall)",
        verdict(ratio.median <= target),
    )


def run(ctx: Context) -> list[Row]:
    _compile_bytecode()
    repeats = ctx.pick(3, 15)
    with ServerProcess(max_wait=5) as srv:
        created = srv.http.post_json("/audit/v1/operations", {"metadata": METADATA})
        name: str = created["operation"]["name"]
        commands = _commands(srv.url, name)
        cli_label = f"{_cli_argv(name)[1]}, URL from LRO_BASE_URL"
        missing_cli = ""
        for key, (argv, env) in list(commands.items()):
            try:
                _check(argv, env, name, key)
            except NotMeasured as exc:
                missing_cli = str(exc)
                del commands[key]
        wall, cpu = _samples(commands, repeats)
        runs = ctx.pick(1, 3)
        extra = {
            key: _extra_imports(commands, key, runs) for key in ("lro", "cli") if key in commands
        }
    workload = f"fresh process, spawn to exit, GET one operation, {repeats} rotating repeats"
    base = Stat.of(wall["base"])
    rows = [
        Row(
            SECTION,
            "baseline: `urllib3.request` + `json.loads` script",
            f"{workload}; wall {base.show(ms)}; CPU {ms(Stat.of(cpu['base']).median)}",
            "—",
            ms(base.median),
            "1x",
            f"— (`python -c pass`: {ms(Stat.of(wall['bare']).median)})",
            INFO,
        ),
        _row("`import lro; Client(url).get(name)`", "lro", wall, cpu, workload, LRO_TARGET),
    ]
    if "cli" in commands:
        rows.append(_row(cli_label, "cli", wall, cpu, workload, CLI_TARGET))
    else:
        rows.append(Row.not_measured(SECTION, cli_label, missing_cli))
    for key, text in extra.items():
        who = "the one-shot lro process" if key == "lro" else "`lro get`"
        ctx.note(f"Beyond the baseline script's imports, {who} loads {text}.")
    return rows
