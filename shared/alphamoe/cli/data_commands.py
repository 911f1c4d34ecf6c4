"""`alphamoe data …`: generate the synthetic market, import real daily CSVs and index series, check quality.

Every `--out`/`--data` takes a folder or `s3://bucket/prefix` (endpoint from ALPHAMOE_S3_ENDPOINT_URL or
AWS_ENDPOINT_URL, credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from alphamoe.cli.common import (
    JsonOutOption,
    LegacyJsonFile,
    console,
    friendly_errors,
    json_out_file,
    load_settings,
    parse_day,
)
from alphamoe.errors import DataError
from alphamoe.report.terminal import more_line

if TYPE_CHECKING:  # the command bodies import these: `alphamoe --help` loads no pandas or pyarrow
    from alphamoe.data.actions.model import CorporateAction
    from alphamoe.data.quality import Finding
    from alphamoe.data.store_write import WriteReport
    from alphamoe.market.bars import BarStore

data_app = typer.Typer(no_args_is_help=True, help="Market data: generate the embedded market or import real CSVs.")

IMPORT_FORMATS = ("ganlei", "akshare", "tushare", "baostock", "qmt")
OutOption = Annotated[
    str | None,  # text, not Path: a Path folds s3://bucket into s3:/bucket
    typer.Option(
        "--out", help="bar store: a folder or s3://bucket/prefix (default $ALPHAMOE_DATA or the per-user one)"
    ),
]
DataOption = Annotated[
    str | None,
    typer.Option(
        "--data", help="bar store: a folder or s3://bucket/prefix (default $ALPHAMOE_DATA or the per-user one)"
    ),
]
ReplaceOption = Annotated[
    bool,
    typer.Option("--replace", help="allow the write to remove stored days or stocks' bars (a backup is kept)"),
]
IndexOption = Annotated[
    Path | None,
    typer.Option("--index", help="folder of index CSVs (date,open,close,high,low,volume,amount) to import too"),
]


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _print_write(report: WriteReport) -> None:
    def days(items: list[date]) -> str:
        return f"{len(items):,}" + (f" ({items[0]} … {items[-1]})" if items else "")

    line = f"days added {days(report.added_days)}, replaced {days(report.replaced_days)}, "
    line += f"unchanged {days(report.unchanged_days)}"
    if report.removed_days:
        line += f", removed {days(report.removed_days)}"
    console.print(line + (f"; backup of what was replaced: {report.backup}" if report.backup else ""))


def _print_summary(store: BarStore, title: str) -> None:
    from alphamoe.data.summary import summarize

    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    for key, value in summarize(store).table_rows():
        table.add_row(key, value)
    console.print(table)


@data_app.command()
def generate(
    symbols: Annotated[int, typer.Option(help="stocks in the market, all boards")] = 5500,
    start: Annotated[str, typer.Option(help="first day, YYYY-MM-DD")] = "2025-01-02",
    end: Annotated[str, typer.Option(help="last day, YYYY-MM-DD")] = "2026-06-30",
    seed: Annotated[int, typer.Option(help="random seed: the same seed gives the same market")] = 7,
    out: OutOption = None,
    replace: ReplaceOption = False,
) -> None:
    """Generate the deterministic synthetic A-share market and write it as a bar store.

    Into an existing store it refuses to remove what the new market lacks unless --replace."""
    from alphamoe.data.synthetic import write_market

    with friendly_errors():
        first, last = parse_day("--start", start), parse_day("--end", end)
        if last < first:
            raise DataError(f"--end {last} is before --start {first}")
        target = load_settings(out).data
        with _progress(f"simulating {symbols:,} stocks") as update:
            store = write_market(
                target, symbols=symbols, start=first, end=last, seed=seed, progress=update, replace=replace
            )
        _print_summary(store, f"synthetic market → {target}")


@data_app.command("import")
def import_(
    path: Annotated[Path, typer.Option("--path", help="folder of daily CSV files (or one file)")],
    fmt: Annotated[str, typer.Option("--format", help=f"CSV layout: {', '.join(IMPORT_FORMATS)}")] = "ganlei",
    out: OutOption = None,
    index: IndexOption = None,
    replace: ReplaceOption = False,
    no_check: Annotated[
        bool, typer.Option("--no-check", help="append the days after the store's last one without the quality gate")
    ] = False,
) -> None:
    """Add or replace the days of real daily bars in a bar store, keeping every other day.

    Into an existing store, the days after its last one go through the quality gate (`data check` rules) unless
    --no-check: a failing day is quarantined with every finding (`data quarantine`) and the command exits 1.
    A first import and re-imported days skip and count rows with unreadable numbers; a stored day whose stocks
    the files lack refuses unless --replace."""
    from alphamoe.data.sources import import_source
    from alphamoe.data.universe import write_indices
    from alphamoe.market.bars import BarStore

    with friendly_errors():
        if fmt not in IMPORT_FORMATS:
            raise DataError(f"--format {fmt!r} is not supported (supported: {', '.join(IMPORT_FORMATS)})")
        settings = load_settings(out)
        started = time.perf_counter()
        with _progress(f"reading {path}") as update:
            outcome = import_source(
                fmt, path, settings.data, s3=settings.s3, progress=update, replace=replace, check=not no_check
            )
        spent = time.perf_counter() - started
        store = BarStore(settings.data, s3=settings.s3)
        if outcome.imported is not None:
            _print_write(outcome.written)
        if outcome.gate is not None:
            gate = outcome.gate
            console.print(
                f"quality gate on the days after the store's last one ({outcome.gated_after}): "
                f"admitted {_days(gate.admitted)}, quarantined {_days(outcome.quarantined)}"
            )
            if gate.admitted:
                _print_write(gate.report)
            if outcome.undated_rows:
                console.print(f"[yellow]note[/yellow] {outcome.undated_rows:,} rows without a readable date")
            _print_quarantined(gate.quarantined)
        if index is not None:
            console.print(f"indices: {', '.join(write_indices(index, store))}")
        _print_summary(store, f"{fmt} import → {settings.data}")
        rows = (outcome.imported.report.rows if outcome.imported is not None else 0) + outcome.gated_rows
        console.print(f"{rows:,} rows in {spent:.1f} s ({rows / max(spent, 1e-9):,.0f} rows/s)")
        if outcome.imported is not None:
            for note in outcome.imported.report.notes:
                console.print(f"[yellow]note[/yellow] {note}")
            for example in outcome.imported.report.examples:
                console.print(f"[yellow]skipped[/yellow] {example}")
            inferred = store.meta().get("last_write", {}).get("details", store.meta()).get("actions_inferred", 0)
            console.print(
                f"{inferred:,} corporate actions inferred from the previous close "
                "(`data check` lists them; `data actions` imports published ones, which replace them)"
            )
        if outcome.quarantined:
            raise typer.Exit(1)


def _print_quarantined(quarantined: dict[date, list[dict[str, Any]]]) -> None:
    # each held day with its first findings, and where the rest are
    for held, findings in quarantined.items():
        for finding in findings[:10]:
            console.print(f"{held} {finding['symbol']} [bold]{finding['rule']}[/bold] {finding['detail']}")
        if len(findings) > 10:
            console.print(more_line(len(findings) - 10, "`alphamoe data quarantine` lists every one"), markup=False)
        console.print(f"[red]{held} quarantined[/red] ({len(findings)} findings): `alphamoe data quarantine`")


@data_app.command("actions")
def actions_(
    path: Annotated[Path, typer.Option("--path", help="a corporate-action CSV, or a folder of them")],
    fmt: Annotated[str, typer.Option("--format", help="layout: tushare (pro.dividend) or akshare (分红/配股)")],
    data: DataOption = None,
) -> None:
    """Import published corporate actions beside the bars: the (stock, ex date)s they bring are replaced."""
    from alphamoe.data.quality import check_actions, session_calendar
    from alphamoe.data.sources import write_actions_source
    from alphamoe.market.bars import BarStore, has_bar_store

    with friendly_errors():
        settings = load_settings(data)
        result, total = write_actions_source(fmt, path, settings.data, s3=settings.s3)
        report = result.report
        console.print(
            f"{report.rows:,} corporate actions from {report.files} {fmt} file(s) → {settings.data} "
            f"({total:,} stored); {report.skipped_rows:,} rows skipped"
        )
        for reason, count in report.skipped.items():
            console.print(f"[yellow]skipped[/yellow] {count:,} × {reason}")
        for example in report.examples:
            console.print(f"[yellow]skipped[/yellow] {example}")
        if not has_bar_store(settings.data, s3=settings.s3):
            console.print("[yellow]no bars in this store: the actions are not checked against prices[/yellow]")
            return
        bars = BarStore(settings.data, s3=settings.s3).frame(columns=["date", "symbol", "close", "prev_close"])
        bars = bars[bars["symbol"].isin({a.symbol for a in result.actions})]
        if bars.empty:
            console.print("[yellow]no bars of these stocks: the actions are not checked against prices[/yellow]")
            return
        calendar = session_calendar(bars["date"].min(), bars["date"].max())
        faults = [f for f in check_actions(result.actions, bars, calendar) if f.rule != "action_inferred"]
        for finding in faults:
            console.print(f"{finding.symbol} {finding.day} [bold]{finding.rule}[/bold] {finding.detail}")
        console.print(f"{len(faults):,} findings against the prices and the calendar")


@data_app.command("index")
def index_(
    path: Annotated[Path, typer.Option("--path", help="folder of index CSVs, one per index (sh000300.csv …)")],
    out: OutOption = None,
) -> None:
    """Import index series (benchmarks, and the SSE Composite as the calendar outside XSHG coverage) beside the bars."""
    from alphamoe.data.universe import write_indices
    from alphamoe.market.bars import BarStore

    with friendly_errors():
        settings = load_settings(out)
        store = BarStore(settings.data, s3=settings.s3)
        console.print(f"indices → {settings.data}: {', '.join(write_indices(path, store))}")


@data_app.command("quarantine")
def quarantine_(
    data: DataOption = None,
    release: Annotated[
        str | None, typer.Option("--release", help="publish this quarantined day (YYYY-MM-DD) anyway: needs --force")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="confirm --release despite the findings")] = False,
) -> None:
    """List the days the quality gate held back, with every finding; `--release DAY --force` publishes one."""
    from alphamoe.data.quarantine import quarantined_days
    from alphamoe.data.store_write import release_day
    from alphamoe.storage import open_store

    with friendly_errors():
        settings = load_settings(data)
        objects = open_store(settings.data, s3=settings.s3)
        if release is not None:
            day = parse_day("--release", release)
            if not force:
                raise DataError(f"--release {day} publishes a day that failed the quality gate: add --force")
            _print_write(release_day(objects, day))
            return
        held = quarantined_days(objects)
        table = Table(title=f"quarantine · {settings.data}", title_justify="left")
        for column in ("day", "source", "rows", "findings", "first reasons"):
            table.add_column(column)
        for q in held:
            rules = sorted({f["rule"] for f in q.findings})
            table.add_row(q.day.isoformat(), q.source, f"{q.rows:,}", f"{len(q.findings):,}", ", ".join(rules))
        console.print(table)
        for q in held:
            for finding in q.findings:
                console.print(f"{q.day} {finding['symbol']} [bold]{finding['rule']}[/bold] {finding['detail']}")
        console.print(f"{len(held):,} quarantined day(s)")


@data_app.command("update")
def update_(
    source: Annotated[
        str | None,
        typer.Option("--source", help="tushare, akshare, baostock, tdx or files (default $ALPHAMOE_DATA_SOURCE__NAME)"),
    ] = None,
    day: Annotated[str | None, typer.Option("--date", help="fetch exactly this session (YYYY-MM-DD)")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="backfill from this session; days done are skipped (resumable)")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="last session to fetch (default: the last closed session)")
    ] = None,
    path: Annotated[
        Path | None, typer.Option("--path", help="tdx: a TDX install or its vipdoc; files: a folder of daily CSVs")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help=f"files: {', '.join(IMPORT_FORMATS)}")] = None,
    data: DataOption = None,
) -> None:
    """Bring the store up to the last closed session from a vendor, each day through the quality gate."""
    from alphamoe.data.update import open_source, update_store
    from alphamoe.market.bars import BarStore, has_bar_store

    with friendly_errors():
        if day is not None and since is not None:
            raise DataError("give --date D (one session) or --since D (a backfill), not both")
        settings = load_settings(data)
        config = settings.data_source
        name = source or config.name
        folder = {"tdx_dir": path} if name == "tdx" else {"files_dir": path} if name == "files" else {}
        changes = {k: v for k, v in {**folder, "files_format": fmt}.items() if v is not None}
        config = config.model_validate({**config.model_dump(), **changes})

        def actions_on(d: date) -> list[CorporateAction]:
            # TDX files carry no previous close: the store's published actions give the ex-rights reference
            if not has_bar_store(settings.data, s3=settings.s3):
                return []
            return BarStore(settings.data, s3=settings.s3).actions_on(d)

        vendor = open_source(name, config, actions_on=actions_on)
        with _progress(f"updating from {vendor.name}") as progress:
            report = update_store(
                settings.data,
                vendor,
                day=parse_day("--date", day) if day else None,
                since=parse_day("--since", since) if since else None,
                until=parse_day("--until", until) if until else None,
                s3=settings.s3,
                progress=progress,
            )
        table = Table(title=f"data update · {vendor.name} → {settings.data}", show_header=False, title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        table.add_row("target", report.target.isoformat())
        table.add_row("admitted", _days(report.admitted))
        table.add_row("quarantined", _days(list(report.quarantined)))
        table.add_row("already done", _days(report.skipped))
        table.add_row("bars / actions", f"{report.rows:,} / {report.actions:,}")
        table.add_row("time", f"{report.seconds:.1f} s")
        console.print(table)
        for note in report.notes:
            console.print(f"[yellow]note[/yellow] {note}")
        _print_quarantined(report.quarantined)
        if report.quarantined:
            raise typer.Exit(1)


def _days(days: list[date]) -> str:
    if not days:
        return "—"
    return days[0].isoformat() if len(days) == 1 else f"{len(days)}: {days[0]} … {days[-1]}"


@data_app.command("check")
def check(
    data: DataOption = None,
    calendar_index: Annotated[
        str, typer.Option("--calendar-index", help="imported index: the calendar outside XSHG coverage")
    ] = "SSE",
    json_out: JsonOutOption = None,
    show: Annotated[int, typer.Option("--show", help="findings to print per rule")] = 5,
    strict: Annotated[
        bool, typer.Option("--strict", help="exit 1 when there is any finding but informational ones")
    ] = False,
    legacy_json: LegacyJsonFile = None,
) -> None:
    """Check a bar store: OHLC, limit bands, calendar gaps, duplicates, zero volume, stale names, units, actions."""
    from alphamoe.data.quality import INFORMATIONAL, RULES, check_store
    from alphamoe.data.universe import index_sessions
    from alphamoe.market.bars import BarStore

    with friendly_errors():
        settings = load_settings(data)
        store = BarStore(settings.data, s3=settings.s3)
        try:
            sessions = index_sessions(store, calendar_index)
        except DataError:
            console.print(
                f"[yellow]no index {calendar_index} imported: only exchange_calendars' XSHG sessions count[/yellow]"
            )
            sessions = []
        findings = check_store(store, sessions)
        table = Table(title=f"data check · {settings.data}", title_justify="left")
        for column in ("rule", "findings", "first", "what it checks"):
            table.add_column(column)
        by_rule: dict[str, list[Finding]] = {}
        for finding in findings:
            by_rule.setdefault(finding.rule, []).append(finding)
        for rule, meaning in RULES.items():
            hits = by_rule.get(rule, [])
            first = f"{hits[0].symbol} {hits[0].day}" if hits else ""
            table.add_row(rule, f"{len(hits):,}", first, meaning)
        console.print(table)
        for rule, hits in by_rule.items():
            for finding in hits[:show]:
                console.print(f"{finding.symbol} {finding.day} [bold]{rule}[/bold] {finding.detail}")
            if len(hits) > show:
                console.print(more_line(len(hits) - show, f"{rule}; use --show N / --json-out FILE"), markup=False)
        json_out = json_out_file(json_out, legacy_json)
        if json_out is not None:
            rows = [
                {"symbol": f.symbol, "day": f.day.isoformat(), "rule": f.rule, "detail": f.detail} for f in findings
            ]
            json_out.parent.mkdir(parents=True, exist_ok=True)
            json_out.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        console.print(f"{len(findings):,} findings")
        if strict and any(f.rule not in INFORMATIONAL for f in findings):
            raise typer.Exit(1)


@data_app.command("evidence")
def evidence_(
    since: Annotated[str, typer.Option("--since", help="first publication day to fetch, YYYY-MM-DD")],
    until: Annotated[
        str | None, typer.Option("--until", help="last publication day (default: today, Asia/Shanghai)")
    ] = None,
    source: Annotated[
        str, typer.Option("--source", help="vendor: tushare (ALPHAMOE_DATA_SOURCE__TOKEN) or akshare (eastmoney)")
    ] = "tushare",
    data: DataOption = None,
) -> None:
    """Fetch announcements, news and financial indicators into the evidence archive, day by day.

    Kept in ALPHAMOE_EVIDENCE, else <data>/evidence; deduplicated, so a day fetched again adds only what is new."""
    from alphamoe.evidence.archive import EvidenceArchive
    from alphamoe.evidence.items import SHANGHAI
    from alphamoe.evidence.sources import evidence_root, open_evidence_source
    from alphamoe.evidence.update import calendar_days, update_evidence

    with friendly_errors():
        settings = load_settings(data)
        first = parse_day("--since", since)
        last = parse_day("--until", until) if until is not None else datetime.now(SHANGHAI).date()
        if last < first:
            raise DataError(f"--until {last} is before --since {first}")
        vendor = open_evidence_source(source, settings.data_source)
        archive = EvidenceArchive(evidence_root(settings.data, settings.llm.evidence))
        fetched = added = 0
        for day in calendar_days(first, last):
            done = update_evidence(archive, vendor, day)
            fetched, added = fetched + done.fetched, added + done.added
            console.print(f"{day} fetched {done.fetched:,}, new {done.added:,}, already kept {done.duplicates:,}")
            for reason, rows in done.skipped.items():
                console.print(f"[yellow]skipped[/yellow] {rows:,} × {reason}")
        console.print(f"evidence {first} … {last} from {source} → {archive.url}: {fetched:,} fetched, {added:,} new")
