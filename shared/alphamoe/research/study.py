"""The search: Optuna studies (TPE or grid) asked in batches, every batch's trials run on one executor.

Several studies (one per walk-forward window) advance together, `SPAN_CACHE` at a time: each round asks up
to `batch` trials of every study of the group that is not done and runs them all at once, so windows run
in parallel as trials do, and every worker keeps the group's sliced spans instead of slicing a window's
span again each round. The batch size, not the number of workers nor the grouping, fixes what TPE sees
before each ask (each study has its own seeded sampler), so the same seed and batch give the same trials
on one process, a local pool or Ray. Studies live in one append-only file (Optuna's journal storage, one
user attribute per trial: a few milliseconds of CPU a trial, where its SQLite storage took ~50 ms in
SQLAlchemy): a rerun of the same search continues where the last stopped.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from alphamoe.errors import ConfigurationError
from alphamoe.research.execute import Executor, Task
from alphamoe.research.objective import Objective
from alphamoe.research.space import Choice, FloatRange, IntRange, ParamSpace
from alphamoe.research.trial import SPAN_CACHE, Span, TrialOutcome

Sampler = Literal["tpe", "grid"]
SAMPLERS = ("tpe", "grid")


@dataclass(frozen=True)
class SearchSetup:
    """How to search: the space, the objective, the sampler, the trials per study, the seed and the batch."""

    space: ParamSpace
    objective: Objective
    sampler: Sampler = "tpe"
    trials: int = 100
    seed: int = 0
    batch: int = 8

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ConfigurationError(f"unknown sampler {self.sampler!r}; valid samplers: {', '.join(SAMPLERS)}")
        if self.trials < 1:
            raise ConfigurationError(f"--trials must be ≥ 1, was {self.trials}")
        if self.batch < 1:
            raise ConfigurationError(f"--batch must be ≥ 1, was {self.batch}")

    @property
    def target(self) -> int:
        """Trials per study: `trials`, at most the grid's size for a grid search."""
        return min(self.trials, self.space.grid_size()) if self.sampler == "grid" else self.trials

    def identity(self, **more: Any) -> str:
        """Return a study name for this setup over `more` (range, universe, window): a rerun finds it again."""
        what = {
            "space": self.space.describe(),
            "objective": self.objective.model_dump(),
            "sampler": self.sampler,
            "seed": self.seed,
            "batch": self.batch,
            **more,
        }
        digest = hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()[:12]
        return f"{self.space.strategy}-{self.sampler}-{digest}"


@dataclass(frozen=True)
class TrialRecord:
    """A finished trial as the study stores it."""

    number: int
    params: dict[str, Any]
    value: float | None
    figures: dict[str, float | None]
    violations: list[str]
    daily_sharpe: float

    @property
    def feasible(self) -> bool:
        return self.value is not None and not self.violations


def storage_url(runs_dir: Path) -> str:
    """Return the journal file of every study under the data folder's runs/ (its folder created if missing)."""
    folder = runs_dir / "search"
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / "studies.log")


def _optuna() -> Any:
    try:
        import optuna
    except ImportError:
        raise ConfigurationError("search needs the research extra: pip install 'alphamoe[research]' (optuna)") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def open_storage(path: str) -> Any:
    """Return Optuna's journal storage in the file `path` (appended to under a file lock)."""
    optuna = _optuna()
    from optuna.storages.journal import JournalFileBackend

    return optuna.storages.JournalStorage(JournalFileBackend(path))


def open_study(setup: SearchSetup, storage: str, name: str) -> Any:
    """Return the study `name` in `storage`, created or loaded (resumed)."""
    optuna = _optuna()
    if setup.sampler == "grid":  # the points are enqueued (`grid_plan`): Optuna's GridSampler stops a study
        sampler = optuna.samplers.RandomSampler(seed=setup.seed)  # only inside optimize(), not under ask/tell
    else:
        sampler = optuna.samplers.TPESampler(seed=setup.seed)  # constrained by each trial's set_constraint
    return optuna.create_study(
        study_name=name, storage=open_storage(storage), sampler=sampler, direction="maximize", load_if_exists=True
    )


def grid_plan(setup: SearchSetup) -> list[dict[str, Any]]:
    """Return the grid points a grid search runs, in order: all of them, or a seeded sample of `trials`."""
    grid = setup.space.grid()
    sizes = [len(v) for v in grid.values()]
    size = setup.space.grid_size()
    order = range(size) if setup.trials >= size else random.Random(setup.seed).sample(range(size), setup.trials)
    points = []
    for index in order:
        point, rest = {}, index
        for (name, values), n in zip(reversed(grid.items()), reversed(sizes), strict=True):
            rest, k = divmod(rest, n)
            point[name] = values[k]
        points.append({name: point[name] for name in grid})
    return points


def _suggest(trial: Any, space: ParamSpace) -> dict[str, Any]:
    params: dict[str, Any] = dict(space.fixed)
    for d in space.dimensions:
        if isinstance(d, IntRange):
            params[d.name] = trial.suggest_int(d.name, d.low, d.high, step=d.step)
        elif isinstance(d, FloatRange):
            params[d.name] = trial.suggest_float(d.name, d.low, d.high, log=d.log)
        elif isinstance(d, Choice):
            params[d.name] = trial.suggest_categorical(d.name, list(d.values))
    return params


def finished(study: Any) -> list[Any]:
    optuna = _optuna()
    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.FAIL)
    return [t for t in study.get_trials(deepcopy=False) if t.state in done]


def records(study: Any) -> list[TrialRecord]:
    """Return the study's finished trials, in trial order."""
    out = []
    for t in finished(study):
        attrs = t.user_attrs.get("outcome", {})
        out.append(
            TrialRecord(
                number=t.number,
                params=attrs.get("params", t.params),
                value=t.value,
                figures=attrs.get("figures", {}),
                violations=attrs.get("violations", ["failed"]),
                daily_sharpe=float(attrs.get("daily_sharpe", 0.0)),
            )
        )
    return out


Progress = Callable[[int, int], None]


def run_studies(
    jobs: Sequence[tuple[Any, Span]],
    setup: SearchSetup,
    executor: Executor,
    *,
    progress: Progress | None = None,
) -> None:
    """Advance every (study, span) to `setup.target` finished trials, a batch of each per round (docstring)."""
    optuna = _optuna()
    total = setup.target * len(jobs)
    plan = grid_plan(setup) if setup.sampler == "grid" else []
    done = [len(finished(study)) for study, _ in jobs]  # counted here from now on, not re-read from storage
    for group in range(0, len(jobs), SPAN_CACHE):
        members = range(group, min(group + SPAN_CACHE, len(jobs)))
        while True:
            asked: list[tuple[int, Any, dict[str, Any]]] = []
            tasks: list[Task] = []
            for j in members:
                study, span = jobs[j]
                for k in range(min(setup.target - done[j], setup.batch)):
                    if plan:
                        study.enqueue_trial(plan[done[j] + k], skip_if_exists=False)
                    trial = study.ask()
                    params = _suggest(trial, setup.space)
                    asked.append((j, trial, params))
                    tasks.append((span, params))
            if not tasks:
                break
            for (j, trial, params), out in zip(asked, executor.run(tasks), strict=True):
                _tell(jobs[j][0], trial, params, out, setup, optuna)
                done[j] += 1
            if progress is not None:
                progress(sum(done), total)


def _tell(study: Any, trial: Any, params: dict[str, Any], out: TrialOutcome, setup: SearchSetup, optuna: Any) -> None:
    # One user attribute per trial: each is a journal append (an fsync) of its own.
    violations = setup.objective.violations(out.figures)
    outcome = {"params": params, "figures": out.figures, "violations": violations, "daily_sharpe": out.daily_sharpe}
    trial.set_user_attr("outcome", outcome)
    for key, excess in setup.objective.constraints(out.figures).items():
        trial.set_constraint(key, excess)
    value = out.figures.get(setup.objective.metric)
    if value is None:
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    else:
        study.tell(trial, value)


def best(recs: Sequence[TrialRecord], objective: Objective, where: str = "") -> TrialRecord:
    """Return the feasible trial with the highest objective; none feasible raises, saying what was seen."""
    feasible = [r for r in recs if r.feasible]
    if feasible:
        return max(feasible, key=lambda r: (r.value or 0.0, -r.number))
    drawdowns = [r.figures["max_drawdown"] for r in recs if r.figures.get("max_drawdown") is not None]
    trips = [int(r.figures.get("round_trips") or 0) for r in recs]
    seen = []
    if drawdowns:
        seen.append(f"lowest max drawdown {min(drawdowns):.1%}")  # type: ignore[type-var]
    if trips:
        seen.append(f"most round trips {max(trips)}")
    raise ConfigurationError(
        f"no trial{where} satisfies the objective ({objective.describe()}) out of {len(recs)}: "
        f"{', '.join(seen) or 'no trial finished'}; loosen --max-drawdown / --min-trades or widen the space"
    )


def ranked(recs: Sequence[TrialRecord]) -> list[TrialRecord]:
    """Return trials best first: feasible ones by objective, then the rest by objective."""
    return sorted(recs, key=lambda r: (not r.feasible, -(r.value if r.value is not None else float("-inf")), r.number))


def importance(study: Any) -> dict[str, float]:
    """Return each searched parameter's importance (Optuna's fANOVA); empty with too few distinct trials."""
    optuna = _optuna()
    complete = [t for t in finished(study) if t.state == optuna.trial.TrialState.COMPLETE]
    if len(complete) < 4:
        return {}
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
        return dict(optuna.importance.get_param_importances(study, evaluator=evaluator))
    except (RuntimeError, ValueError):  # every trial the same value, or one parameter value throughout
        return {}
