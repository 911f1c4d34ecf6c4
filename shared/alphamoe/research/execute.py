"""Where trials run: this process, a pool of local processes (the default), or Ray actors (`--ray`).

Every executor returns the outcomes in task order, and a trial is a pure function of (span, parameters),
so the same tasks give the same outcomes on any executor. The study market is loaded once: local workers
inherit it from the parent (fork, copy-on-write; nothing pickled per trial); on Ray it is put in the
object store once (`ray.put`) and each actor maps it when it starts.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

from alphamoe.errors import ConfigurationError
from alphamoe.research.trial import Span, StudyMarket, TrialOutcome, run_trial

Task = tuple[Span, dict[str, Any]]


class Executor(Protocol):
    workers: int

    def run(self, tasks: Sequence[Task]) -> list[TrialOutcome]: ...

    def close(self) -> None: ...


class InProcess:
    """Trials one after another in this process."""

    workers = 1

    def __init__(self, study: StudyMarket) -> None:
        self.study = study

    def run(self, tasks: Sequence[Task]) -> list[TrialOutcome]:
        return [run_trial(self.study, span, params) for span, params in tasks]

    def close(self) -> None:
        return None


_STUDY: StudyMarket | None = None  # the study market a forked worker inherits


def _run_inherited(task: Task) -> TrialOutcome:
    assert _STUDY is not None, "a local worker runs only under LocalPool, which sets the study market first"
    return run_trial(_STUDY, *task)


class LocalPool:
    """Trials on `workers` local processes forked from this one, which share its loaded market."""

    def __init__(self, study: StudyMarket, workers: int) -> None:
        global _STUDY
        _STUDY = study
        self.workers = workers
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))

    def run(self, tasks: Sequence[Task]) -> list[TrialOutcome]:
        return list(self._pool.map(_run_inherited, tasks))

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


class RayActors:
    """Trials on Ray actors, one per CPU the cluster offers (or `workers`); the market put once in the store."""

    def __init__(self, study: StudyMarket, address: str, workers: int | None = None) -> None:
        try:
            import ray
            from ray.util import ActorPool
        except ImportError:
            raise ConfigurationError("--ray needs the research extra: pip install 'alphamoe[research]' (ray)") from None
        if not ray.is_initialized():
            ray.init(address=None if address == "local" else address, include_dashboard=False)
        cpus = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
        self.workers = max(1, min(workers or cpus, cpus))
        ref = ray.put(study)
        actor = ray.remote(num_cpus=1)(TrialActor)
        self._actors: list[Any] = [actor.remote(ref) for _ in range(self.workers)]
        self._pool = ActorPool(self._actors)
        self._ray = ray

    def run(self, tasks: Sequence[Task]) -> list[TrialOutcome]:
        return list(self._pool.map(lambda a, t: a.run.remote(t), list(tasks)))

    def worker_cpu(self) -> float:
        """Return the CPU seconds the actors' processes have used so far (their sum; benchmarks' split)."""
        return float(sum(self._ray.get([a.cpu.remote() for a in self._actors])))

    def close(self) -> None:
        for a in self._actors:
            self._ray.kill(a)


class TrialActor:
    """A Ray actor holding the study market (resolved from the object store once) and its span cache."""

    def __init__(self, study: StudyMarket) -> None:
        self.study = study

    def run(self, task: Task) -> TrialOutcome:
        return run_trial(self.study, *task)

    def cpu(self) -> float:
        return time.process_time()


def make_executor(study: StudyMarket, *, workers: int | None = None, ray: str | None = None) -> Executor:
    """Return Ray actors when `ray` is given (`auto`, an address, or `local`), else local processes."""
    if ray:
        return RayActors(study, ray, workers)
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count < 1:
        raise ConfigurationError(f"--workers must be ≥ 1, was {count}")
    return InProcess(study) if count == 1 else LocalPool(study, count)
