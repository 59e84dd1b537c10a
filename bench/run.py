"""Runs every benchmark, prints one table and writes it to the results file.

    python bench/run.py                # full run (`make bench`): a few minutes on 2 cores
    python bench/run.py --quick        # CI: the harness still works (< 60 s)
    python bench/run.py --only 2 --only 4 --out /tmp/results.md
    python bench/run.py --only wait_eta --out /tmp/eta.md   # one module (a name in it)

Targets never fail the run; the exit status is non-zero only when the harness itself
breaks (a section raises something other than "cannot be measured here").
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # run as a script: import `bench` as a package, not its files
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

#: (section title, module) in the order of the table.
SECTIONS: list[tuple[str, str]] = [
    ("1 import", "bench.imports"),
    ("2 per-call", "bench.overhead"),
    ("2 per-call", "bench.async_get"),
    ("3 decode", "bench.decode"),
    ("4 waiting", "bench.wait_real"),
    ("4 waiting", "bench.wait_all_real"),
    ("4 waiting", "bench.wait_sim"),
    ("4 waiting", "bench.wait_eta"),
    ("5 server", "bench.server_rps"),
    ("5 server", "bench.server_held"),
    ("5 server", "bench.server_scale"),
    ("6 scaling", "bench.scaling"),
    ("7 one-shot", "bench.oneshot"),
]
DEFAULT_OUT = Path(__file__).resolve().parent / "results.md"


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats (CI)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results file (Markdown)")
    parser.add_argument(
        "--only", action="append", default=[], metavar="N", help="only sections starting with N"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    from bench.common import NA, Context, NotMeasured, Row
    from bench.table import render_document, render_table

    args = _parse(argv)
    ctx = Context(quick=args.quick)
    rows: list[Row] = []
    broken: list[str] = []
    started = time.perf_counter()
    for title, module in SECTIONS:
        if args.only and not any(title.startswith(o) or o in module for o in args.only):
            continue
        print(f"[bench] {module} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            rows += importlib.import_module(module).run(ctx)
        except NotMeasured as exc:
            rows.append(Row.not_measured(title, module.removeprefix("bench."), str(exc)))
        except Exception as exc:
            traceback.print_exc()
            broken.append(module)
            why = f"harness error: {type(exc).__name__}: {exc}"
            rows.append(Row(title, module.removeprefix("bench."), why, "—", "—", "—", "—", NA))
        print(f"[bench] {module}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    wall = time.perf_counter() - started
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    document = render_document(rows, ctx.notes, quick=args.quick, wall_s=wall, when=when)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(document, encoding="utf-8")
    print(render_table(rows))
    for note in ctx.notes:
        print(f"- {note}")
    print(f"\n{len(rows)} rows in {wall:.0f} s; written to {args.out}", file=sys.stderr)
    if broken:
        print(f"harness errors in: {', '.join(broken)}", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
