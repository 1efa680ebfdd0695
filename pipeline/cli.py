"""The `khuyencong` command: init, template, demo, ingest, run, serve, history, export, labels.

Every command takes --inputs, --outputs, --ledger and --config (a command ignores those it does not use;
they are hidden from its help) and resolves them once (pipeline.paths.Workspace.resolve); the configuration
folder is loaded and checked before any work starts, and a broken file is refused in one line.
Prefect is imported only by the commands that run flows, after PREFECT_HOME is pointed at the working
folder, so Prefect's database and logs stay in the project rather than in the user's home.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from pipeline.configfile import ConfigError
from pipeline.configuration import Configuration, load_configuration
from pipeline.export import Format as ExportFormat
from pipeline.paths import CONFIG_ENV, Workspace, packaged_config
from pipeline.periods import PeriodError, parse_period
from pipeline.programme import ProgrammeError, programme_for_year

app = typer.Typer(
    help="Consolidated reporting for the Bình Phước industrial-promotion programme.",
    no_args_is_help=True,
    add_completion=False,
)

# Options whose default is worked out at run time (pipeline.paths.Workspace) say it in `show_default`, which
# Typer prints as "[default: (…)]" (text in square brackets inside `help` would be taken for Rich markup and
# vanish from the help).
_INPUTS = "Folder of district workbooks"
_OUTPUTS = "Folder for reports and receipts"
_LEDGER = "Ledger: a SQLite file, or a PostgreSQL URL (postgresql+psycopg://user:pw@host/db)"
_CONFIG = "Configuration folder"
_CONFIG_DEFAULT = f"${CONFIG_ENV}, else ./config if there is one, else the packaged defaults"
InputsOpt = Annotated[Path | None, typer.Option(help=_INPUTS, show_default="./inputs")]
OutputsOpt = Annotated[Path | None, typer.Option(help=_OUTPUTS, show_default="./outputs")]
LedgerOpt = Annotated[str | None, typer.Option(help=_LEDGER, show_default="./khuyencong.sqlite")]
ConfigOpt = Annotated[Path | None, typer.Option(help=_CONFIG, show_default=_CONFIG_DEFAULT)]
# the same options, accepted (so one set of options works with every command) but unused by the command
NoInputs = Annotated[Path | None, typer.Option("--inputs", help=_INPUTS, hidden=True)]
NoOutputs = Annotated[Path | None, typer.Option("--outputs", help=_OUTPUTS, hidden=True)]
NoLedger = Annotated[str | None, typer.Option("--ledger", help=_LEDGER, hidden=True)]


def _ws(
    inputs: Path | None, outputs: Path | None, ledger: str | None, config: Path | None
) -> tuple[Workspace, Configuration]:
    """The command's folders and its configuration, loaded and checked (a broken file ends the command)."""
    ws = Workspace.resolve(inputs, outputs, ledger, config)
    try:
        loaded = load_configuration(ws.config)
    except ConfigError as exc:
        _fail(f"configuration error: {exc}")
    return ws, loaded


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
        typer.echo(
            "Prefect: starting a temporary server for this command (the first time in a folder it may "
            "take a minute; `khuyencong serve` keeps one running)",
            err=True,
        )


def _require_inputs(ws: Workspace) -> None:
    if not ws.inputs.is_dir():
        _fail(f"inputs folder {ws.inputs} does not exist: create it or pass --inputs")


def _ready(ws: Workspace) -> None:
    """Refuse to start, in one line, when the outputs, the archive or the ledger cannot be written."""
    from pipeline import faults

    try:
        faults.preflight({"outputs": ws.outputs, "archive": ws.archive}, ws.ledger)
    except faults.Fault as exc:
        _fail(str(exc))


@contextmanager
def _faults_in_one_line() -> Iterator[None]:
    """A fault of the machine during a run (disk full, permissions) as one line and exit status 2."""
    from pipeline import faults

    quiet = _MachineFaultsWithoutTraceback()
    loggers = [logging.getLogger(name) for name in _RUN_LOGGERS]
    for logger in loggers:
        logger.addFilter(quiet)
    try:
        yield
    except Exception as exc:
        said = faults.describe(exc, "an output or the ledger")
        if said is None:
            raise
        _fail(said)
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)


_RUN_LOGGERS = ("prefect.task_runs", "prefect.flow_runs", "prefect.task_engine", "prefect.flow_engine")


class _MachineFaultsWithoutTraceback(logging.Filter):
    """Prefect logs a failed run with its traceback; for a fault of the machine (full disk, permissions) the
    record keeps its one-line message and loses the traceback - the command's last line says what to do."""

    def filter(self, record: logging.LogRecord) -> bool:
        from pipeline import faults

        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and faults.describe(exc, "") is not None:
            record.exc_info = record.exc_text = None
        return True


def _unit(cfg: Configuration, name: str):
    """The unit an officer named (name, code or alias), or a one-line error listing the valid units."""
    found = cfg.units.find(name)
    if found is None:
        valid = ", ".join(f"{u.name} ({u.code})" for u in cfg.units.units)
        _fail(f"unknown unit: {name}. Units: {valid}")
    return found


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


@app.command()
def template(
    unit: Annotated[str, typer.Option(help='Reporting unit, e.g. "Bù Đăng"')],
    period: Annotated[str, typer.Option(help="Period code, e.g. 2012-03, 2012-Q3")],
    out: Annotated[
        Path | None,
        typer.Option(help="Output file (its folder must exist)", show_default="./bao-cao-<unit>-<period>.xlsx"),
    ] = None,
    config: ConfigOpt = None,
    inputs: NoInputs = None,
    outputs: NoOutputs = None,
    ledger: NoLedger = None,
) -> None:
    """Write the blank official workbook for one unit and period."""
    from pipeline.workbook import template_name, write_template

    _, cfg = _ws(inputs, outputs, ledger, config)
    try:
        p = parse_period(period)
        programme = programme_for_year(cfg.programmes, p.first[0])
    except (PeriodError, ProgrammeError) as exc:
        _fail(str(exc))
    found = _unit(cfg, unit)
    if not found.exists_during(p):
        _fail(f"{found.name} did not exist during {p.code} (valid from {found.valid_from})")
    target = out or Path(template_name(found, p))
    if not target.parent.is_dir():
        _fail(f"folder {target.parent} does not exist: create it first or choose another --out")
    path = write_template(programme, found, p, target)
    typer.echo(str(path))


@app.command()
def demo(
    inputs: InputsOpt = None,
    seed: Annotated[
        int, typer.Option(help="Seed of the random figures (the same seed, the same workbooks)")
    ] = 20111220,
    config: ConfigOpt = None,
    outputs: NoOutputs = None,
    ledger: NoLedger = None,
) -> None:
    """Fill plausible workbooks for every unit over the whole programme (deterministic); creates the inputs
    folder if needed."""
    from pipeline.demo import generate

    ws, cfg = _ws(inputs, outputs, ledger, config)
    files = generate(ws.inputs, cfg.programmes[0], cfg.units, seed=seed)
    typer.echo(f"{len(files)} demo workbooks written under {ws.inputs}")


@app.command()
def ingest(
    inputs: InputsOpt = None, outputs: OutputsOpt = None, ledger: LedgerOpt = None, config: ConfigOpt = None
) -> None:
    """Read new or changed workbooks into the ledger and write their receipts."""
    ws, _ = _ws(inputs, outputs, ledger, config)
    _require_inputs(ws)
    _ready(ws)
    _prefect_env(Path.cwd())
    import flows

    with _faults_in_one_line():
        summary = flows.ingest_inputs(str(ws.inputs), str(ws.outputs), str(ws.ledger), config=str(ws.config))
    typer.echo(
        f"{summary.new} new files: {summary.accepted} accepted, {summary.rejected} rejected; receipts in {ws.receipts}"
    )


@app.command()
def run(
    period: Annotated[list[str], typer.Option(help="Period code(s), e.g. 2012-Q3; repeat for several")],
    inputs: InputsOpt = None,
    outputs: OutputsOpt = None,
    ledger: LedgerOpt = None,
    task_runner: Annotated[str, typer.Option(help="local (threads, parsing across processes) or dask")] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address (tcp://host:8786), for --task-runner dask",
            show_default="none: a local Dask cluster",
        ),
    ] = None,
    number: Annotated[
        int | None,
        typer.Option(
            min=1, help="Document number, e.g. 5 for 'Số: 05/BC-SCT'", show_default="blank, to fill in by hand"
        ),
    ] = None,
    signer: Annotated[
        str | None,
        typer.Option(
            help="Name of the person who signs (under KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC of recipients.yaml)",
            show_default="issuer.signer.name of recipients.yaml",
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Run the report flow matching each period (monthly, quarterly, annual, programme). The office's own text
    for a period, `assessments/<period>.md` beside the inputs folder, is placed in its reports."""
    from pipeline import assessment, signing
    from pipeline.reports import signing_key, unfinished

    ws, cfg = _ws(inputs, outputs, ledger, config)
    _require_inputs(ws)
    try:
        periods = [parse_period(p) for p in period]
        for p in periods:
            programme_for_year(cfg.programmes, p.last[0])
        own = {p.code: assessment.load(ws.assessments, p.code) for p in periods}
        book = cfg.recipients.signed_by(signer)
        key = signing_key(book, ws.config, os.environ)
        if key is not None:
            signing.holder(key)  # the certificate opens, before any work
    except (PeriodError, ProgrammeError, assessment.AssessmentError, signing.SigningError) as exc:
        _fail(str(exc))
    if number is not None and len(periods) > 1:
        _fail("--number gives one document number: run one period at a time with it")
    _ready(ws)
    _prefect_env(Path.cwd())
    import flows

    for p in periods:
        run_flow = flows.with_task_runner(flows.FLOW_FOR_KIND[p.kind], task_runner, scheduler)
        with _faults_in_one_line():
            paths = run_flow(
                p.code,
                str(ws.inputs),
                str(ws.outputs),
                str(ws.ledger),
                number=number,
                config=str(ws.config),
                signer=signer,
            )
        typer.echo(f"{p.code}: reports in {ws.reports / p.code}")
        for path in paths:
            typer.echo(f"  {path}")
        for line in unfinished(book, own[p.code]):
            typer.secho(f"  Lưu ý: {line}", fg=typer.colors.YELLOW)


@app.command()
def serve(
    inputs: InputsOpt = None,
    outputs: OutputsOpt = None,
    ledger: LedgerOpt = None,
    port: Annotated[
        int, typer.Option(help="Port of the local Prefect server started when PREFECT_API_URL is not set")
    ] = 4200,
    watch: Annotated[
        bool, typer.Option(help="Start the intake on file-system events (polling stays the fallback)")
    ] = True,
    web_port: Annotated[int, typer.Option(help="Port of the web portal on 127.0.0.1 (0: no portal)")] = 8080,
    config: ConfigOpt = None,
) -> None:
    """Serve the scheduled report flows and the intake (the one thing staff start). Prefect's UI shows the runs:
    http://127.0.0.1:<port> when this command started the server. Ctrl-C or SIGTERM stops everything."""
    from contextlib import ExitStack

    from pipeline import ops

    ws, cfg = _ws(inputs, outputs, ledger, config)
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
                    say(
                        f"Prefect: starting a server on 127.0.0.1:{port} (the first time in a folder it may "
                        "take a minute)"
                    )
                    url = stack.enter_context(ops.local_server(port))  # sets PREFECT_API_URL for Prefect
                stack.enter_context(ops.announce_server(home, url))
                say(
                    f"Prefect API: {url} (UI: {url.removesuffix('/api')}), "
                    f"ready after {time.monotonic() - started:.0f} s"
                )
                import flows

                if web_port:
                    from pipeline.web import server

                    ui = url.removesuffix("/api")
                    portal = server.running(cfg, ws, port=web_port, prefect_ui=ui, rerun=flows.start_report)
                    say(f"web portal: {stack.enter_context(portal)}/")

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
    config: ConfigOpt = None,
    inputs: NoInputs = None,
    outputs: NoOutputs = None,
) -> None:
    """Show every version a unit sent for a period, which one counts and why."""
    from pipeline import history as hist
    from pipeline import ledger as ledger_mod

    ws, cfg = _ws(inputs, outputs, ledger, config)
    try:
        p = parse_period(period)
    except PeriodError as exc:
        _fail(str(exc))
    found = _unit(cfg, unit)
    if isinstance(ws.ledger, Path) and not ws.ledger.exists():
        _fail(f"no ledger at {ws.ledger}: run `khuyencong ingest` first")
    with ledger_mod.open_ledger(ws.ledger) as conn:
        subs, seen, probs = (
            ledger_mod.submissions_frame(conn),
            ledger_mod.sightings_frame(conn),
            ledger_mod.problems_frame(conn),
        )
    typer.echo(hist.history_text(found.full_name(p.end), p, hist.history(subs, seen, probs, found.code, p)))


@app.command("export")
def export_cmd(
    period: Annotated[str, typer.Option(help="Period code, e.g. 2012-Q3")],
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="vi: CSV (';', decimal comma, UTF-8 with BOM) and .xlsx with Vietnamese headers, for Excel "
            "under Vietnamese regional settings; machine: CSV (',', decimal point, ASCII headers, "
            "times in UTC) for programs",
        ),
    ] = ExportFormat.VI,
    outputs: OutputsOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
    inputs: NoInputs = None,
) -> None:
    """Write a period's export into <outputs>/export: the values behind its figures (with file and cell), the
    figures, and the problems found in the period's files - on demand, from the ledger as it is now (a report
    run publishes the same files with its reports in <outputs>/reports/<period>/)."""
    from pipeline import aggregating, export
    from pipeline import ledger as ledger_mod

    ws, cfg = _ws(inputs, outputs, ledger, config)
    try:
        p = parse_period(period)
        programme = programme_for_year(cfg.programmes, p.last[0])
    except (PeriodError, ProgrammeError) as exc:
        _fail(str(exc))
    if isinstance(ws.ledger, Path) and not ws.ledger.exists():
        _fail(f"no ledger at {ws.ledger}: run `khuyencong ingest` first")
    with ledger_mod.open_ledger(ws.ledger) as conn:
        subs, vals, probs = (
            ledger_mod.submissions_frame(conn),
            ledger_mod.values_frame(conn),
            ledger_mod.problems_frame(conn),
        )
    report = aggregating.aggregate(subs, vals, programme, cfg.units, p, cfg.rules, problems=probs)
    values = export.provenance(subs, vals, programme, p, report.cumulative_period)
    with _faults_in_one_line():
        paths = export.write_exports(
            report, values, ws.outputs / "export", export.period_problems(subs, probs, report), fmt
        )
    for path in paths:
        typer.echo(str(path))


@app.command()
def labels(
    map_: Annotated[
        tuple[str, str] | None, typer.Option("--map", help='Map a label to an indicator: --map "label" P1.2')
    ] = None,
    ignore: Annotated[str | None, typer.Option(help="Set a label aside: it is no indicator")] = None,
    undo: Annotated[str | None, typer.Option(help="Remove the decision on a label")] = None,
    by: Annotated[str | None, typer.Option(help="Who decides", show_default="$USER")] = None,
    outputs: OutputsOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
    inputs: NoInputs = None,
) -> None:
    """List the row labels no indicator matched across the received files, or decide one (pipeline.labels):
    the files holding it are read again from the archive and their receipts issued again."""
    from pipeline import labels as vocab
    from pipeline import ledger as ledger_mod

    ws, cfg = _ws(inputs, outputs, ledger, config)
    chosen = [x for x in (map_, ignore, undo) if x is not None]
    if len(chosen) > 1:
        _fail("give one of --map, --ignore, --undo")
    with _faults_in_one_line(), ledger_mod.open_ledger(ws.ledger) as conn:
        if not chosen:
            for p in vocab.unmatched(conn):
                hints = ", ".join(
                    f"{c} ({str(s).replace('.', ',')})" for c, s in sorted(p.suggestions.items(), key=lambda x: -x[1])
                )
                typer.echo(
                    f"«{p.label}»\t{len(p.files)} tệp\tĐVT: {', '.join(sorted(p.units)) or '-'}\tgợi ý: {hints or '-'}"
                )
            return
        label, indicator = map_ if map_ is not None else (ignore or undo or "", None)
        try:
            done = vocab.decide(
                conn,
                ws.config,
                ws.archive,
                ws.receipts,
                cfg.programmes,
                cfg.units,
                label,
                indicator,
                by,
                undo is not None,
            )
        except vocab.DecisionRefused as exc:
            _fail(f"refused: {exc}")
    typer.echo(f"{done.decision}: {len(done.changed)} files read again")
    for name, lines in done.changed.items():
        typer.echo(f"  {name}: {'; '.join(lines)}")


@app.command()
def init(
    folder: Annotated[
        Path, typer.Argument(help="The working folder to write", show_default="the current folder")
    ] = Path(),
    config: Annotated[
        Path | None, typer.Option(help="Configuration to copy", show_default="the packaged defaults")
    ] = None,
    inputs: NoInputs = None,
    outputs: NoOutputs = None,
    ledger: NoLedger = None,
) -> None:
    """Write a working folder: an editable copy of the configuration (config/), empty inputs/ and outputs/, and
    a short README in Vietnamese. Commands run in that folder use its config/."""
    from pipeline.workfolder import init_folder

    try:
        written = init_folder(folder, load_configuration(config or packaged_config()))
    except ConfigError as exc:
        _fail(f"configuration error: {exc}")
    except FileExistsError as exc:
        _fail(f"{exc.filename} already exists: nothing was overwritten (edit it, or choose another folder)")
    for path in written:
        typer.echo(str(path))
    typer.echo(f"working folder ready: read {folder / 'README.txt'}, then run the commands inside {folder}")


@app.command("check")
def check_cmd(
    files: Annotated[list[Path], typer.Argument(help="Workbooks to check", exists=False)],
    config: ConfigOpt = None,
    inputs: NoInputs = None,
    outputs: NoOutputs = None,
    ledger: NoLedger = None,
) -> None:
    """Check workbooks as the intake would (the same guards, reading and validation), storing nothing: each
    receipt to stdout. Exit status: 0 all accepted, 1 accepted with warnings, 2 any rejected."""
    from pipeline import check

    _, cfg = _ws(inputs, outputs, ledger, config)
    worst = 0
    for n, path in enumerate(files):
        if not path.is_file():
            typer.echo(f"{path}: không tìm thấy tệp", err=True)
            worst = 2
            continue
        report = check.dry_run(path, cfg.programmes, cfg.units, name=str(path))
        typer.echo(("\n" if n else "") + check.check_text(report), nl=False)
        worst = max(worst, check.exit_status(report))
    raise typer.Exit(worst)


users_app = typer.Typer(help="Accounts of the web portal (config/users.yaml).", no_args_is_help=True)
app.add_typer(users_app, name="users")


def _own_config(ws: Workspace) -> None:
    """Accounts belong to a province's own configuration folder, never to the packaged defaults."""
    if ws.config.resolve() == packaged_config().resolve():
        _fail("no configuration folder of your own: run `khuyencong init` first, or pass --config")


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Sign-in name: lower-case letters, digits, . _ -")],
    role: Annotated[str, typer.Option(help="officer (of one unit) or staff (sees every unit)")] = "officer",
    unit: Annotated[str | None, typer.Option(help='The officer\'s unit, e.g. "Bù Đăng"')] = None,
    email: Annotated[str | None, typer.Option(help="The unit's e-mail address")] = None,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input")] = False,
    config: ConfigOpt = None,
) -> None:
    """Add an account to the portal (the password is stored as an argon2 hash)."""
    from pipeline.web.accounts import set_account

    ws, cfg = _ws(None, None, None, config)
    _own_config(ws)
    if role not in ("officer", "staff"):
        _fail("--role is officer or staff")
    try:
        account = set_account(ws.config, cfg.units, username, _password(password_stdin), role, unit, email)
    except ValueError as exc:
        _fail(str(exc))
    typer.echo(f"user {account.username} added ({account.role}{', ' + account.unit if account.unit else ''})")


@users_app.command("reset")
def users_reset(
    username: Annotated[str, typer.Argument(help="Sign-in name")],
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input")] = False,
    config: ConfigOpt = None,
) -> None:
    """Set a new password for an account."""
    from pipeline.web.accounts import set_account

    ws, cfg = _ws(None, None, None, config)
    _own_config(ws)
    try:
        set_account(ws.config, cfg.units, username, _password(password_stdin), new=False)
    except ValueError as exc:
        _fail(str(exc))
    typer.echo(f"password of {username} reset")


@app.command()
def web(
    host: Annotated[str, typer.Option(help="Address to listen on (put the portal behind HTTPS)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8080,
    inputs: InputsOpt = None,
    outputs: OutputsOpt = None,
    ledger: LedgerOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Serve the web portal: officers check and submit workbooks, staff follow who has reported."""
    from pipeline.web import server

    ws, cfg = _ws(inputs, outputs, ledger, config)
    _require_inputs(ws)
    typer.echo(f"web portal: http://{host}:{port}/", err=True)
    server.run(cfg, ws, host, port)


def main() -> None:  # pragma: no cover
    sys.exit(app())
