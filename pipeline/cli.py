"""The `khuyencong` command: template, demo, ingest, run, export.

Prefect is imported only by the commands that run flows, after PREFECT_HOME is pointed at the working
folder, so Prefect's database and logs stay in the project rather than in the user's home.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from pipeline.paths import Workspace
from pipeline.periods import PeriodError, parse_period
from pipeline.programme import ProgrammeError, load_programmes, programme_for_year
from pipeline.units import load_units

app = typer.Typer(help="Consolidated reporting for the Bình Phước industrial-promotion programme.",
                  no_args_is_help=True, add_completion=False)

InputsOpt = Annotated[Path | None, typer.Option(help="Folder of district workbooks [default: ./inputs]")]
OutputsOpt = Annotated[Path | None, typer.Option(help="Folder for reports and receipts [default: ./outputs]")]
LedgerOpt = Annotated[str | None, typer.Option(
    help="Ledger: a SQLite file, or a PostgreSQL URL (postgresql+psycopg://user:pw@host/db) "
         "[default: ./khuyencong.sqlite]")]


def _ws(inputs: Path | None, outputs: Path | None, ledger: str | None) -> Workspace:
    d = Workspace.default()
    target = (ledger if "://" in ledger else Path(ledger)) if ledger else d.ledger
    return Workspace(inputs or d.inputs, outputs or d.outputs, target)


def _prefect_env(workdir: Path) -> None:
    """Prefect's settings for this folder, and the server flows report to: PREFECT_API_URL if set, else the one
    a running `serve` announced in this folder, else a temporary one (said on the console: it takes a while)."""
    from pipeline import ops

    home = ops.prefect_settings(workdir)
    if os.environ.get("PREFECT_API_URL"):
        return
    url = ops.announced_server(home)
    if url:
        os.environ["PREFECT_API_URL"] = url
        typer.echo(f"Prefect: using the server of `khuyencong serve` at {url}", err=True)
    else:
        typer.echo("Prefect: starting a temporary server for this command (the first time in a folder it may "
                   "take a minute; `khuyencong serve` keeps one running)", err=True)


def _require_inputs(ws: Workspace) -> None:
    if not ws.inputs.is_dir():
        _fail(f"inputs folder {ws.inputs} does not exist: create it or pass --inputs")


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


@app.command()
def template(
    unit: Annotated[str, typer.Option(help='Reporting unit, e.g. "Bù Đăng"')],
    period: Annotated[str, typer.Option(help="Period code, e.g. 2012-03, 2012-Q3")],
    out: Annotated[Path | None, typer.Option(help="Output file [default: ./bao-cao-<unit>-<period>.xlsx]")] = None,
) -> None:
    """Write the blank official workbook for one unit and period."""
    from pipeline.workbook import template_name, write_template

    try:
        p = parse_period(period)
        programme = programme_for_year(load_programmes(), p.first[0])
    except (PeriodError, ProgrammeError) as exc:
        _fail(str(exc))
    found = load_units().find(unit)
    if found is None:
        _fail(f"unknown unit: {unit}")
    if not found.exists_during(p):
        _fail(f"{found.name} did not exist during {p.code} (valid from {found.valid_from})")
    path = write_template(programme, found, p, out or Path(template_name(found, p)))
    typer.echo(str(path))


@app.command()
def demo(inputs: InputsOpt = None, seed: int = 20111220) -> None:
    """Fill plausible workbooks for every unit over the whole programme (deterministic)."""
    from pipeline.demo import generate

    folder = inputs or Workspace.default().inputs
    files = generate(folder, load_programmes()[0], load_units(), seed=seed)
    typer.echo(f"{len(files)} demo workbooks written under {folder}")


@app.command()
def ingest(inputs: InputsOpt = None, outputs: OutputsOpt = None, ledger: LedgerOpt = None) -> None:
    """Read new or changed workbooks into the ledger and write their receipts."""
    ws = _ws(inputs, outputs, ledger)
    _prefect_env(Path.cwd())
    import flows

    summary = flows.ingest_inputs(str(ws.inputs), str(ws.outputs), str(ws.ledger))
    typer.echo(f"{summary.new} new files: {summary.accepted} accepted, {summary.rejected} rejected; "
               f"receipts in {ws.receipts}")


@app.command()
def run(
    period: Annotated[list[str], typer.Option(help="Period code(s), e.g. 2012-Q3; repeat for several")],
    inputs: InputsOpt = None,
    outputs: OutputsOpt = None,
    ledger: LedgerOpt = None,
    task_runner: Annotated[str, typer.Option(help="local (threads, parsing across processes) or dask")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (tcp://host:8786); "
                                                       "without it --task-runner dask starts a local cluster")] = None,
    number: Annotated[int | None, typer.Option(min=1, help="Document number, e.g. 5 for 'Số: 05/BC-SCT' "
                                               "(left blank to fill in by hand if omitted)")] = None,
) -> None:
    """Run the report flow matching each period (monthly, quarterly, annual, programme)."""
    ws = _ws(inputs, outputs, ledger)
    try:
        periods = [parse_period(p) for p in period]
        programmes = load_programmes(ws.config)
        for p in periods:
            programme_for_year(programmes, p.last[0])
    except (PeriodError, ProgrammeError) as exc:
        _fail(str(exc))
    if number is not None and len(periods) > 1:
        _fail("--number gives one document number: run one period at a time with it")
    _prefect_env(Path.cwd())
    import flows

    for p in periods:
        run_flow = flows.with_task_runner(flows.FLOW_FOR_KIND[p.kind], task_runner, scheduler)
        paths = run_flow(p.code, str(ws.inputs), str(ws.outputs), str(ws.ledger), number=number)
        typer.echo(f"{p.code}: reports in {ws.reports / p.code}")
        for path in paths:
            typer.echo(f"  {path}")


@app.command()
def serve(
    inputs: InputsOpt = None,
    outputs: OutputsOpt = None,
    ledger: LedgerOpt = None,
    port: Annotated[int, typer.Option(help="Port of the local Prefect server started when PREFECT_API_URL "
                                           "is not set")] = 4200,
    watch: Annotated[bool, typer.Option(help="Start the intake on file-system events (polling stays the "
                                             "fallback)")] = True,
) -> None:
    """Serve the scheduled report flows and the intake (the one thing staff start). Prefect's UI shows the runs:
    http://127.0.0.1:<port> when this command started the server. Ctrl-C or SIGTERM stops everything."""
    from contextlib import ExitStack

    from pipeline import ops

    ws = _ws(inputs, outputs, ledger)
    _require_inputs(ws)
    home = ops.prefect_settings(Path.cwd())
    say = lambda message: typer.echo(message, err=True)  # noqa: E731
    started = time.monotonic()
    with ops.interrupt_on_sigterm():
        try:
            with ExitStack() as stack:
                url = os.environ.get("PREFECT_API_URL")
                if not url:
                    if ops.announced_server(home):
                        _fail(f"khuyencong serve is already running in {Path.cwd()}")
                    say(f"Prefect: starting a server on 127.0.0.1:{port} (the first time in a folder it may "
                        "take a minute)")
                    url = stack.enter_context(ops.local_server(port))  # sets PREFECT_API_URL for Prefect
                stack.enter_context(ops.announce_server(home, url))
                say(f"Prefect API: {url} (UI: {url.removesuffix('/api')}), "
                    f"ready after {time.monotonic() - started:.0f} s")
                import flows

                flows.serve(ws, url, watch, echo=say)
        except ops.ServeError as exc:
            _fail(str(exc))
        except KeyboardInterrupt:  # before the runner started, or a second Ctrl-C
            pass
    say(f"khuyencong serve stopped ({time.monotonic() - started:.0f} s after start).")


@app.command()
def history(
    unit: Annotated[str, typer.Option(help='Reporting unit, e.g. "Bù Đăng"')],
    period: Annotated[str, typer.Option(help="Period code, e.g. 2012-Q3")],
    ledger: LedgerOpt = None,
) -> None:
    """Show every version a unit sent for a period, which one counts and why."""
    from pipeline import history as hist
    from pipeline import ledger as ledger_mod

    ws = _ws(None, None, ledger)
    try:
        p = parse_period(period)
    except PeriodError as exc:
        _fail(str(exc))
    found = load_units().find(unit)
    if found is None:
        _fail(f"unknown unit: {unit}")
    if isinstance(ws.ledger, Path) and not ws.ledger.exists():
        _fail(f"no ledger at {ws.ledger}: run `khuyencong ingest` first")
    with ledger_mod.open_ledger(ws.ledger) as conn:
        subs, seen, probs = (ledger_mod.submissions_frame(conn), ledger_mod.sightings_frame(conn),
                             ledger_mod.problems_frame(conn))
    typer.echo(hist.history_text(found.full_name(p.end), p, hist.history(subs, seen, probs, found.code, p)))


@app.command("export")
def export_cmd(
    period: Annotated[str, typer.Option(help="Period code, e.g. 2012-Q3")],
    outputs: OutputsOpt = None,
    ledger: LedgerOpt = None,
) -> None:
    """Write the values behind a period's figures (with file and cell) and the figures, as CSV."""
    from pipeline import aggregating, export
    from pipeline import ledger as ledger_mod
    from pipeline.completeness import load_rules
    from pipeline.paths import CONFIG_DIR

    ws = _ws(None, outputs, ledger)
    try:
        p = parse_period(period)
        programme = programme_for_year(load_programmes(), p.last[0])
    except (PeriodError, ProgrammeError) as exc:
        _fail(str(exc))
    if isinstance(ws.ledger, Path) and not ws.ledger.exists():
        _fail(f"no ledger at {ws.ledger}: run `khuyencong ingest` first")
    with ledger_mod.open_ledger(ws.ledger) as conn:
        subs, vals = ledger_mod.submissions_frame(conn), ledger_mod.values_frame(conn)
    report = aggregating.aggregate(subs, vals, programme, load_units(), p, load_rules(CONFIG_DIR))
    folder = ws.outputs / "export"
    a = export.write_csv(export.provenance(subs, vals, programme, p, report.cumulative_period),
                         folder / f"{p.code}-gia-tri.csv")
    b = export.write_csv(export.figures(report), folder / f"{p.code}-so-lieu.csv")
    typer.echo(f"{a}\n{b}")


def main() -> None:  # pragma: no cover
    sys.exit(app())
