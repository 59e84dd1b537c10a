"""Simulated operations: they report progress for a while, then finish.

They write through the same `Operations` as a worker over HTTP would, so `:wait`
callers wake exactly as they would for real traffic. Each plan is stored with its
operation (in the same transaction); a restarted server resumes the plans that had
not finished, on the original wall-clock schedule.

One scheduler task runs them all: due steps are applied in batches of `BATCH`,
one transaction each, and the loop yields between batches, so 10,000 simulations
(the most one call may start, `MAX_COUNT`) never stall other requests. Creating
them is batched the same way. A step that comes due after its successor's time
is skipped (a resumed or busy server reports only the latest progress).

Metadata: `{"@type": ".../lro.example.ProgressMetadata", "progressPercent": 40,
"progress": 0.4, "step": 4, "stepsTotal": 10, "startTime": "..."}`; step k of n is
reported at k/n of the duration. The progress pattern (`PATTERNS`) shapes what the
updates say: `linear` (the default) reports k/n; `stepwise` the same rounded down to
a quarter (flat stretches, then jumps: 0, 25, 50, 75 %); `irregular` an uneven rate
(a random monotone curve from 0 to 1, the same for an operation on every run: seeded
by its name), `none` no progress at all. Only `linear` reports `step`/`stepsTotal`
(the others would contradict their own `progress`). Outcomes: `response` (a SimulationResult),
`error` (13 INTERNAL) or `cancelled` (1 CANCELLED, as a cancel leaves it).
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from .clock import Clock
from .errors import Code, invalid_argument
from .service import Operations, Step, cancelled_status, status
from .store import Store
from .wire import NANOS_PER_SECOND, JsonObject, format_timestamp

logger = logging.getLogger("lro_server")

PROGRESS_TYPE = "type.googleapis.com/lro.example.ProgressMetadata"
RESULT_TYPE = "type.googleapis.com/lro.example.SimulationResult"
SIMULATOR = "simulator"  # the updater of simulated progress and results
OUTCOMES = ("response", "error", "cancelled")
PATTERNS = ("linear", "stepwise", "irregular", "none")
MAX_COUNT = 10_000
MAX_STEPS = 1000
MAX_DURATION_SECONDS = 86_400.0
BATCH = 250  # operations created, or steps applied, per transaction


@dataclass(frozen=True)
class Plan:
    name: str
    start_ns: int
    duration_ns: int
    steps: int
    outcome: str
    pattern: str = "linear"  # (absent from plans stored before patterns existed)

    @functools.cached_property
    def _curve(self) -> list[float]:
        """`irregular`: the fraction reported at each step, rising at an uneven rate."""
        rng = random.Random(self.name)
        gaps = [rng.choice((0.2, 0.5, 1.0, 2.0, 4.0)) for _ in range(self.steps)]
        total, done, curve = sum(gaps), 0.0, [0.0]
        for gap in gaps:
            done += gap
            curve.append(done / total)
        return curve

    def fraction(self, step: int) -> float | None:
        """The progress reported at `step` (None: the pattern reports none)."""
        if self.pattern == "none":
            return None
        if step >= self.steps:
            return 1.0
        if self.pattern == "stepwise":
            return (4 * step // self.steps) / 4
        if self.pattern == "irregular":
            return self._curve[step]
        return step / self.steps

    def metadata(self, step: int) -> JsonObject:
        if self.pattern == "linear":
            return progress(step, self.steps, self.start_ns)
        value = self.fraction(step)
        meta: JsonObject = {"@type": PROGRESS_TYPE}
        if value is not None:
            meta.update(progressPercent=int(value * 100), progress=value)
        meta["startTime"] = format_timestamp(self.start_ns)
        return meta

    def at(self, step: int) -> int:
        """Wall-clock time (ns) of `step`; step `steps` is the end."""
        return self.start_ns + self.duration_ns * step // self.steps

    def next_step(self, after: int, now_ns: int) -> int:
        """The step to report after `after`: the latest one whose successor is not due."""
        step = after + 1
        while step < self.steps and self.at(step + 1) <= now_ns:
            step += 1
        return step

    def change(self, step: int) -> Step:
        if step < self.steps:
            return Step(self.name, metadata=self.metadata(step))
        if self.outcome == "response":
            op_id = self.name.rsplit("/", 1)[-1]
            result = {
                "@type": RESULT_TYPE,
                "outputUri": f"memory://simulations/{op_id}",
                "items": self.steps,
            }
            return Step(self.name, metadata=self.metadata(self.steps), response=result)
        if self.outcome == "error":
            failure = status(Code.INTERNAL, "simulated failure", "SIMULATED_FAILURE", self.name)
            return Step(self.name, error=failure)
        return Step(self.name, error=cancelled_status(self.name, SIMULATOR))


def _planner(
    start_ns: int, duration_ns: int, steps: int, outcome: str, pattern: str, made: list[Plan]
) -> Callable[[JsonObject], JsonObject]:
    """The plan of each new operation, as stored; the plans are collected in `made`."""

    def plan_of(op: JsonObject) -> JsonObject:
        plan = Plan(op["name"], start_ns, duration_ns, steps, outcome, pattern)
        made.append(plan)
        return asdict(plan)

    return plan_of


def progress(step: int, steps: int, start_ns: int) -> JsonObject:
    return {
        "@type": PROGRESS_TYPE,
        "progressPercent": step * 100 // steps,
        "progress": step / steps,
        "step": step,
        "stepsTotal": steps,
        "startTime": format_timestamp(start_ns),
    }


class Simulator:
    def __init__(self, operations: Operations, store: Store, clock: Clock | None = None) -> None:
        self._operations = operations
        self._clock = clock or Clock()
        self._store = store
        self._due: list[tuple[int, int, Plan, int]] = []  # (time ns, tie-break, plan, step)
        self._order = itertools.count()
        self._wakeup = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None

    def start(
        self,
        creator: str,
        *,
        count: int = 1,
        duration: float = 1.0,
        outcome: str = "response",
        parent: str = "",
        steps: int = 10,
        pattern: str = "linear",
    ) -> list[JsonObject]:
        """Create `count` running operations and start their simulations."""
        batches = self._batches(creator, count, duration, outcome, parent, steps, pattern)
        return [op for batch in batches for op in batch]

    async def start_soon(
        self,
        creator: str,
        *,
        count: int = 1,
        duration: float = 1.0,
        outcome: str = "response",
        parent: str = "",
        steps: int = 10,
        pattern: str = "linear",
    ) -> list[JsonObject]:
        """`start`, yielding to other requests between batches."""
        started: list[JsonObject] = []
        for batch in self._batches(creator, count, duration, outcome, parent, steps, pattern):
            started += batch
            await asyncio.sleep(0)
        return started

    def _batches(
        self,
        creator: str,
        count: int,
        duration: float,
        outcome: str,
        parent: str,
        steps: int,
        pattern: str = "linear",
    ) -> Iterator[list[JsonObject]]:
        # Checked before the first batch: a bad request creates nothing.
        if not 1 <= count <= MAX_COUNT:
            raise invalid_argument(f"count must be between 1 and {MAX_COUNT}")
        if not 0 <= duration <= MAX_DURATION_SECONDS:
            raise invalid_argument(
                f"durationSeconds must be between 0 and {MAX_DURATION_SECONDS:g}"
            )
        if outcome not in OUTCOMES:
            raise invalid_argument(f"outcome must be one of {', '.join(OUTCOMES)}")
        if not 1 <= steps <= MAX_STEPS:
            raise invalid_argument(f"steps must be between 1 and {MAX_STEPS}")
        if pattern not in PATTERNS:
            raise invalid_argument(f"progress must be one of {', '.join(PATTERNS)}")
        duration_ns = round(duration * NANOS_PER_SECOND)
        return self._create(creator, count, duration_ns, outcome, parent, steps, pattern)

    def _create(
        self,
        creator: str,
        count: int,
        duration_ns: int,
        outcome: str,
        parent: str,
        steps: int,
        pattern: str,
    ) -> Iterator[list[JsonObject]]:
        for first in range(0, count, BATCH):
            start_ns = self._clock.time_ns()
            plans: list[Plan] = []
            plan_of = _planner(start_ns, duration_ns, steps, outcome, pattern, plans)
            first_step = Plan("", start_ns, duration_ns, steps, outcome, pattern).metadata(0)
            metadatas = [dict(first_step) for _ in range(min(BATCH, count - first))]
            ops = self._operations.create_many(creator, metadatas, parent=parent, plan=plan_of)
            for plan in plans:
                self._schedule(plan, 0)
            yield ops

    def resume(self) -> int:
        """Restart the simulations a previous run of the server left unfinished."""
        plans = [Plan(**data) for data in self._store.plans()]
        for plan in plans:
            self._schedule(plan, 0)
        return len(plans)

    async def close(self) -> None:
        # Plans stay in the store: the next start resumes them.
        if self._runner is not None:
            self._runner.cancel()
            await asyncio.gather(self._runner, return_exceptions=True)

    def _schedule(self, plan: Plan, after: int) -> None:
        step = plan.next_step(after, self._clock.time_ns())
        heapq.heappush(self._due, (plan.at(step), next(self._order), plan, step))
        self._wakeup.set()
        if self._runner is None or self._runner.done():
            self._runner = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self._wakeup.clear()
            if not self._due:
                await self._wakeup.wait()
                continue
            delay_ns = self._due[0][0] - self._clock.time_ns()
            if delay_ns > 0:
                await self._clock.wait_event(
                    self._wakeup, delay_ns, drives=False
                )  # or earlier, when woken
                continue
            now = self._clock.time_ns()
            batch: list[tuple[Plan, int]] = []
            while self._due and self._due[0][0] <= now and len(batch) < BATCH:
                _, _, plan, step = heapq.heappop(self._due)
                batch.append((plan, step))
            try:
                self._apply(batch)
            except Exception:  # a bug or a broken store: these steps are lost, not the rest
                logger.exception("simulation steps failed")
            await asyncio.sleep(0)  # let requests in between batches

    def _apply(self, batch: list[tuple[Plan, int]]) -> None:
        stopped = set(self._operations.advance(SIMULATOR, [plan.change(s) for plan, s in batch]))
        over = [plan.name for plan, step in batch if step == plan.steps or plan.name in stopped]
        for plan, step in batch:
            if step < plan.steps and plan.name not in stopped:
                self._schedule(plan, step)
        if over:
            # Finished here, or by someone else first (cancel, abort, finalize): plan over.
            self._store.drop_plans(over)
