"""Simulated operations: they report progress for a while, then finish.

Each one is a task that writes through the same `Operations` methods a worker
would call over HTTP (update, finalize), so `:wait` callers wake exactly as they
would for real traffic. Its plan is stored in the database; a restarted server
resumes the plans that had not finished, on the original wall-clock schedule.

Metadata: `{"@type": ".../lro.example.ProgressMetadata", "progressPercent": 40,
"progress": 0.4, "step": 4, "stepsTotal": 10, "startTime": "..."}`; step k of n is
reported at k/n of the duration. Outcomes: `response` (a SimulationResult),
`error` (13 INTERNAL) or `cancelled` (1 CANCELLED, as a cancel leaves it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import asdict, dataclass

from .errors import ApiError, Code, invalid_argument
from .service import Operations, cancelled_status, status
from .store import Store
from .wire import NANOS_PER_SECOND, JsonObject, format_timestamp

logger = logging.getLogger("lro_server")

PROGRESS_TYPE = "type.googleapis.com/lro.example.ProgressMetadata"
RESULT_TYPE = "type.googleapis.com/lro.example.SimulationResult"
SIMULATOR = "simulator"  # the updater of simulated progress and results
OUTCOMES = ("response", "error", "cancelled")
MAX_COUNT = 10_000
MAX_STEPS = 1000
MAX_DURATION_SECONDS = 86_400.0


@dataclass(frozen=True)
class Plan:
    name: str
    start_ns: int
    duration_ns: int
    steps: int
    outcome: str

    def at(self, step: int) -> int:
        """Wall-clock time (ns) of `step`; step `steps` is the end."""
        return self.start_ns + self.duration_ns * step // self.steps

    def progress(self, step: int) -> JsonObject:
        return progress(step, self.steps, self.start_ns)


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
    def __init__(self, operations: Operations, store: Store) -> None:
        self._operations = operations
        self._store = store
        self._tasks: set[asyncio.Task[None]] = set()

    def start(
        self,
        creator: str,
        *,
        count: int = 1,
        duration: float = 1.0,
        outcome: str = "response",
        parent: str = "",
        steps: int = 10,
    ) -> list[JsonObject]:
        """Create `count` running operations and start their simulations."""
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
        started = []
        for _ in range(count):
            start_ns = time.time_ns()
            op = self._operations.create(
                creator, parent=parent, metadata=progress(0, steps, start_ns)
            )
            plan = Plan(op["name"], start_ns, round(duration * NANOS_PER_SECOND), steps, outcome)
            self._store.save_plan(plan.name, asdict(plan))
            self._spawn(plan)
            started.append(op)
        return started

    def resume(self) -> int:
        """Restart the simulations a previous run of the server left unfinished."""
        plans = [Plan(**data) for data in self._store.plans()]
        for plan in plans:
            self._spawn(plan)
        return len(plans)

    async def close(self) -> None:
        # Plans stay in the store: the next start resumes them.
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, plan: Plan) -> None:
        task = asyncio.get_running_loop().create_task(self._run(plan))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, plan: Plan) -> None:
        try:
            now = time.time_ns()
            for step in range(1, plan.steps):
                if plan.at(step + 1) <= now:
                    continue  # resumed late: of the steps already due, report only the latest
                await _sleep_until(plan.at(step))
                self._operations.update(SIMULATOR, plan.name, plan.progress(step))
            await _sleep_until(plan.at(plan.steps))
            self._finish(plan)
        except ApiError as e:
            # Finished by someone else first (cancel, abort, finalize): the plan is over.
            logger.debug("simulation of %s stopped: %s", plan.name, e.message)
        self._store.drop_plan(plan.name)

    def _finish(self, plan: Plan) -> None:
        if plan.outcome == "response":
            self._operations.update(SIMULATOR, plan.name, plan.progress(plan.steps))
            op_id = plan.name.rsplit("/", 1)[-1]
            result = {
                "@type": RESULT_TYPE,
                "outputUri": f"memory://simulations/{op_id}",
                "items": plan.steps,
            }
            self._operations.finalize(SIMULATOR, plan.name, response=result)
        elif plan.outcome == "error":
            failure = status(Code.INTERNAL, "simulated failure", "SIMULATED_FAILURE", plan.name)
            self._operations.finalize(SIMULATOR, plan.name, error=failure)
        else:
            self._operations.finalize(
                SIMULATOR, plan.name, error=cancelled_status(plan.name, SIMULATOR)
            )


async def _sleep_until(ns: int) -> None:
    delay = (ns - time.time_ns()) / NANOS_PER_SECOND
    if delay > 0:
        await asyncio.sleep(delay)
