"""3. Decoding: one list page of 1,000 operations into ``lro.Operation`` objects against
``json.loads`` alone.

The page is synthetic but shaped as the reference server writes the audited view: Any
payloads in ``metadata``/``response``/``error.details``, RFC 3339 timestamps with nine
fractional digits, audit fields. Decoding does what the client does: the SDK's JSON
reader (``lro._core.jsonvalues.loads``: ``json.loads`` keeping numbers a float cannot
hold), build the operations, iterate and read ``name``, ``done`` and ``create_time``.
"""

from __future__ import annotations

import gc
import json
import random
import time
from collections.abc import Callable
from typing import Any

from .common import INFO, Context, NotMeasured, Row, Stat, ms, ratios, times, verdict

SECTION = "3 decode"
TARGET = 3.0
PAGE_SIZE = 1000


def _stamp(rng: random.Random) -> str:
    return (
        f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
        f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 10**9 - 1):09d}Z"
    )


def _operation(i: int, rng: random.Random) -> dict[str, Any]:
    created = _stamp(rng)
    op: dict[str, Any] = {
        "name": f"projects/p{i % 7}/locations/eu/operations/{rng.getrandbits(96):024x}",
        "metadata": {
            "@type": "type.googleapis.com/google.cloud.common.OperationMetadata",
            "createTime": created,
            "target": f"projects/p{i % 7}/models/m{i}",
            "verb": "create",
            "statusDetail": f"step {i % 10} of 10",
            "progressPercent": i % 100,
            "apiVersion": "v1",
        },
        "createTime": created,
        "creator": "alice",
        "updateTime": _stamp(rng),
        "updater": "worker-7",
    }
    kind = i % 6
    if kind in (0, 1, 2, 3):
        op["done"] = True
        op["response"] = {
            "@type": "type.googleapis.com/example.v1.Model",
            "name": f"projects/p/models/m{i}",
            "sizeBytes": str(rng.getrandbits(40)),
            "labels": {"team": "ml", "tier": "gold"},
        }
        op["seenByCreatorTime"] = _stamp(rng)
    elif kind == 4:
        op["done"] = True
        op["error"] = {
            "code": 13,
            "message": "worker crashed",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "WORKER_CRASHED",
                    "domain": "lro.example",
                    "metadata": {"worker": "7"},
                }
            ],
        }
    return op


def make_page(size: int = PAGE_SIZE, seed: int = 7) -> str:
    """A ``ListOperations`` page of the audited view as JSON text."""
    rng = random.Random(seed)
    operations = [_operation(i, rng) for i in range(size)]
    page = {"operations": operations, "totalSize": size * 3, "nextPageToken": "opaque-token"}
    return json.dumps(page, separators=(",", ":"))


def _lro_decoder() -> Callable[[str], object]:
    try:
        from lro import Operation
        from lro._core.jsonvalues import loads  # the clients' reader (numbers kept)
    except ImportError as exc:
        raise NotMeasured(f"lro.Operation unavailable: {exc}") from exc
    from_dict = Operation.from_dict

    def decode(text: str) -> object:
        touched = 0
        for op in (from_dict(raw) for raw in loads(text)["operations"]):
            if op.name and op.done and op.create_time is not None:
                touched += 1
        return touched

    return decode


def _generated_decoder() -> Callable[[str], object]:
    from lro_api.models import V1ListOperationsResponse

    def decode(text: str) -> object:
        touched = 0
        for op in V1ListOperationsResponse.from_json(text).operations or []:
            if op.name and op.done and op.create_time is not None:
                touched += 1
        return touched

    return decode


def _round(contenders: dict[str, Callable[[str], object]], text: str, n: int) -> dict[str, float]:
    """Mean CPU seconds per decode of each contender, calls interleaved one by one so that
    drift on a shared machine hits every contender alike."""
    spent = dict.fromkeys(contenders, 0.0)
    for _ in range(n):
        for key, fn in contenders.items():
            gc.collect()
            start = time.process_time()  # this process's CPU: other load is not counted
            fn(text)
            spent[key] += time.process_time() - start
    return {key: total / n for key, total in spent.items()}


def run(ctx: Context) -> list[Row]:
    rounds, inner = ctx.pick(3, 9), ctx.pick(3, 5)
    text = make_page()
    workload = f"audited list page, {PAGE_SIZE} ops, {len(text) // 1024} KiB; {rounds}x{inner} runs"
    contenders: dict[str, Callable[[str], object]] = {"loads": json.loads}
    rows: list[Row] = []
    try:
        contenders["lro"] = _lro_decoder()
        contenders["lro"](text)
    except NotMeasured as exc:
        contenders.pop("lro", None)
        rows.append(Row.not_measured(SECTION, "page → lro.Operation", str(exc)))
    contenders["gen"] = _generated_decoder()
    expected = sum(1 for i in range(PAGE_SIZE) if i % 6 < 5)
    for key in ("lro", "gen"):
        if key in contenders and contenders[key](text) != expected:
            raise RuntimeError(f"{key} decoder touched the wrong number of done operations")
    samples: dict[str, list[float]] = {key: [] for key in contenders}
    for _ in range(rounds):
        for key, mean in _round(contenders, text, inner).items():
            samples[key].append(mean)
    base = samples["loads"]
    base_text = f"json.loads {ms(Stat.of(base).median)}"
    if "lro" in samples:
        ratio = Stat.of(ratios(samples["lro"], base))
        rows.append(
            Row(
                SECTION,
                "page → lro.Operation (read name, done, create_time)",
                workload,
                ms(Stat.of(samples["lro"]).median),
                base_text,
                ratio.show(times),
                "≤ 3x json.loads",
                verdict(ratio.median <= TARGET),
            )
        )
    ratio = Stat.of(ratios(samples["gen"], base))
    rows.append(
        Row(
            SECTION,
            "page → generated pydantic models (same reads)",
            "`V1ListOperationsResponse.from_json`, same page",
            ms(Stat.of(samples["gen"]).median),
            base_text,
            ratio.show(times),
            "— (comparison)",
            INFO,
        )
    )
    return rows
