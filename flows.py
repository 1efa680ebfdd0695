"""Prefect flows: wire the pipeline's stages into tasks. No business logic lives here.

Flows: `monthly_report`, `quarterly_report` (also half-year and nine-month periods), `annual_report`,
`programme_report` (cumulative over the whole programme) and `ingest_inputs`. Each report flow ingests
new files, aggregates the requested period and renders PDF, HTML and Excel for every recipient and the CSV
export, published together as one set (pipeline.publish).
Retries are on I/O tasks only.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from pipeline import aggregating, artifacts, assessment, export, intake, ledger, publish
from pipeline.assessment import Assessment
from pipeline.completeness import load_rules
from pipeline.faults import Fault
from pipeline.files import remove_temporaries
from pipeline.intake import IngestSummary
from pipeline.locking import Busy, run_lock
from pipeline.notify import Mailed, load_notifications, mail_receipts, notify
from pipeline.paths import Workspace
from pipeline.periods import Kind, Period, parse_period
from pipeline.programme import Programme, load_programmes, programme_for_year
from pipeline.reading import FileInfo
from pipeline.recipients import RecipientBook, load_recipients
from pipeline.reports import publish_reports, signing_key, unfinished
from pipeline.schedules import period_for, schedules
from pipeline.units import UnitRegistry, load_units
from pipeline.validating import ValidationReport
from pipeline.web.accounts import unit_addresses

AHEAD, DASK_AHEAD = 2, 16  # batches parsed ahead of the one being stored
BATCH = 1000  # files per read-and-validate task; tasks share one set of worker processes, and each batch is
#               stored and receipted as soon as it is parsed, while later batches are still being parsed
DASK_BATCH = 200  # on a Dask cluster, smaller tasks spread over its workers


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def scan_inputs(ws: Workspace, settle_seconds: float = 0) -> intake.Pending:
    with ledger.open_ledger(ws.ledger) as conn:
        return intake.find_pending(ws.inputs, conn, ws.archive, settle_seconds)


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def clean_temporaries(ws: Workspace) -> int:
    """What a killed run left: temporary files, staging folders of report sets, report sets no longer kept."""
    return len(remove_temporaries(ws.outputs)) + len(remove_temporaries(ws.archive)) + len(publish.tidy(ws.reports))


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def publish_ingest(summary: IngestSummary, tally: artifacts.IngestTally) -> None:
    create_markdown_artifact(
        artifacts.ingest_markdown(summary, tally.rejected),
        key="ingest-summary",
        description="Tệp đã đọc, tệp bị từ chối",
    )
    create_table_artifact(
        artifacts.submission_rows(tally.shown),
        key="submission-status",
        description="Trạng thái từng tệp trong lần chạy (tệp có lỗi, lưu ý trước)",
    )


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def publish_report(report: aggregating.Consolidated, paths: list[Path]) -> None:
    create_markdown_artifact(
        artifacts.report_markdown(report, paths),
        key=f"report-{report.period.code.lower().replace('..', '-')}",
        description=f"Báo cáo {report.period.title}",
    )


@task(retries=1, retry_delay_seconds=10, cache_policy=NO_CACHE)
def send_notification(ws: Workspace, event: str, subject: str, body: str) -> list[str]:
    return notify(load_notifications(ws.config), event, subject, body)


@task(cache_policy=NO_CACHE)
def mail_unit_receipts(ws: Workspace) -> Mailed:
    """The receipts written and not yet mailed, each to its unit's address (once: the ledger marks them). No
    retries: a mail server down is said in the log, and the receipts left are mailed at the next intake."""
    with ledger.open_ledger(ws.ledger) as conn:
        return mail_receipts(conn, load_notifications(ws.config), ws.receipts, unit_addresses(ws.config))


@task(cache_policy=NO_CACHE)
def read_and_validate(
    files: list[FileInfo], programmes: list[Programme], units: UnitRegistry, processes: bool = True
) -> list[ValidationReport]:
    """Workers only parse and return records; the flow alone writes the ledger."""
    if processes:
        return intake.process_parallel(files, programmes, units, min_files=1)  # a crash costs one file only
    return intake.process(files, programmes, units)  # on a Dask worker: Dask provides the parallelism


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def store_reports(ws: Workspace, reports: list[ValidationReport], copies: dict[str, list[FileInfo]]) -> int:
    """One transaction: the batch's submissions, its files' sightings and seen marks, its receipts owed."""
    with ledger.open_ledger(ws.ledger) as conn:
        return len(intake.store(conn, reports, copies, ws.receipts, load_rules(ws.config).deadline_rule))


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def remember_seen(ws: Workspace, known: list[FileInfo], refused: list[ValidationReport]) -> list[ValidationReport]:
    """One transaction: copies of files already received and refused files, each with its receipt owed; the
    backlog is loaded. Returns the refusals not seen before."""
    with ledger.open_ledger(ws.ledger) as conn:
        return intake.remember(conn, known, refused, ws.receipts, load_rules(ws.config).deadline_rule)


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def write_receipts(ws: Workspace) -> int:
    """Every receipt the ledger says is owed to this outputs folder (a killed run's too)."""
    with ledger.open_ledger(ws.ledger) as conn:
        return len(intake.write_owed(conn, ws.receipts))


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def aggregate_period(ws: Workspace, programme: Programme, period: Period) -> aggregating.Consolidated:
    with ledger.open_ledger(ws.ledger) as conn:
        subs, vals = ledger.submissions_frame(conn), ledger.values_frame(conn)
        probs = ledger.problems_frame(conn, rejected_only=True)  # all a report shows of problems
    return aggregating.aggregate(
        subs, vals, programme, load_units(ws.config), period, load_rules(ws.config), problems=probs
    )


def _not_a_fault(task, task_run, state) -> bool:
    """Retry, unless the task failed on a fault of the machine (a full disk, a permission): waiting seconds
    does not mend it, and the fault's one line says what to do."""
    return not isinstance(state.result(raise_on_failure=False), Fault)


@task(retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_not_a_fault, cache_policy=NO_CACHE)
def render_reports(
    ws: Workspace,
    report: aggregating.Consolidated,
    book: RecipientBook,
    number: int | None = None,
    own: Assessment | None = None,
) -> list[Path]:
    """The report stage: every recipient's PDF, Excel and HTML and the export (pipeline.export: values, figures
    and the period's problems; the provenance frame made once for the Excel data sheets and the export),
    published together as outputs/reports/<period>/."""
    from prefect.runtime import flow_run

    with ledger.open_ledger(ws.ledger) as conn:
        subs, vals, probs = ledger.submissions_frame(conn), ledger.values_frame(conn), ledger.problems_frame(conn)
    values = export.provenance(subs, vals, report.programme, report.period, report.cumulative_period)
    return publish_reports(
        report,
        book,
        ws.reports,
        number,
        values,
        export.period_problems(subs, probs, report),
        str(flow_run.id) if flow_run.id else None,
        own,
        signing_key(book, ws.config, os.environ),
    )


def _ingest(ws: Workspace) -> IngestSummary:
    """One pass over the inputs, repeated while files are still settling (being copied) - so a file dropped
    while the run goes on is read in the same run, once it has stopped changing."""
    logger = get_run_logger()
    rules = load_rules(ws.config)
    tally = artifacts.IngestTally()
    known = unchanged = 0
    write_receipts(ws)  # owed by a run that stopped before writing them
    for round_ in range(6):
        pending = scan_inputs(ws, rules.settle_seconds)
        for reports in _parsed(ws, pending.new):
            store_reports(
                ws,
                quote(reports),
                quote(
                    {r.file.sha256: pending.copies[r.file.sha256] for r in reports if r.file.sha256 in pending.copies}
                ),
            )
            write_receipts(ws)
            tally.add(reports)
        tally.add(remember_seen(ws, quote(pending.known), quote(pending.refused)))
        write_receipts(ws)
        known += len(pending.known) + sum(len(c) for c in pending.copies.values())
        unchanged = pending.unchanged
        if not pending.settling:
            break
        logger.info(
            "waiting for %d file(s) still being written: %s", len(pending.settling), ", ".join(pending.settling[:5])
        )
        time.sleep(rules.settle_seconds if round_ < 5 else 0)
    for r in tally.rejected[:100]:
        logger.warning("rejected %s: %s", r.file.name, "; ".join(f"{p.code} at {p.cell}" for p in r.errors))
    summary = IngestSummary(tally.new, tally.new - len(tally.rejected), len(tally.rejected), known, unchanged)
    logger.info("ingest: %s", summary)
    _mail_receipts(ws)
    publish_ingest(summary, tally)
    if tally.rejected:
        _notify(
            ws,
            "rejected",
            f"{len(tally.rejected)} tệp báo cáo khuyến công bị từ chối",
            artifacts.rejected_text(tally.rejected),
        )
    return summary


def _parsed(ws: Workspace, files: list[FileInfo]) -> Iterator[list[ValidationReport]]:
    """The files' reports, a batch at a time in order. A few batches are parsed ahead (tasks running
    concurrently) while the flow stores the current one; never more, so memory stays flat however many files
    there are. Large arguments are quoted: Prefect would otherwise walk every record to find dependencies."""
    on_dask = _on_dask()
    size, ahead = (DASK_BATCH, DASK_AHEAD) if on_dask else (BATCH, AHEAD)
    wrap = (lambda x: x) if on_dask else quote  # quoted arguments do not reach Dask workers unwrapped
    programmes, units = wrap(load_programmes(ws.config)), wrap(load_units(ws.config))  # once per run
    batches = (files[i : i + size] for i in range(0, len(files), size))
    running = deque(read_and_validate.submit(wrap(b), programmes, units, not on_dask) for b in islice(batches, ahead))
    while running:
        reports = running.popleft().result()
        if (batch := next(batches, None)) is not None:
            running.append(read_and_validate.submit(wrap(batch), programmes, units, not on_dask))
        yield reports


def _notify(ws: Workspace, event: str, subject: str, body: str) -> None:
    """Send a notification; if it cannot be sent (after its retries), say so in the log - the run's work
    (receipts, reports) is done and must not be reported as failed because a mail server is down."""
    state = send_notification(ws, event, subject, body, return_state=True)
    if state.is_failed():
        get_run_logger().error("notification %r could not be sent: %s", subject, state.message)


def _mail_receipts(ws: Workspace) -> None:
    """Mail the units their receipts; a failure is logged, never the run's (its receipts are written)."""
    state = mail_unit_receipts(ws, return_state=True)
    if state.is_failed():
        get_run_logger().error("receipts could not be mailed: %s", state.message)
        return
    mailed: Mailed = state.result()
    if mailed.sent:
        get_run_logger().info("%d receipt(s) mailed to their units", mailed.sent)
    if mailed.failed:
        get_run_logger().error("receipts could not all be mailed (the rest at the next intake): %s", mailed.failed)


@contextmanager
def _locked(ws: Workspace, wait_seconds: float = 3600):
    """One run at a time per output folder; the first thing a run does is clear what a killed run left."""
    logger = get_run_logger()
    with run_lock(
        ws.outputs,
        wait_seconds,
        on_wait=lambda: logger.warning("another run is writing %s: waiting for it to finish", ws.outputs),
    ):
        clean_temporaries(ws)
        yield


def _report(ws: Workspace, period: Period, number: int | None = None, signer: str | None = None) -> list[Path]:
    logger = get_run_logger()
    book = load_recipients(ws.config).signed_by(signer)
    own = assessment.load(ws.assessments, period.code)  # a fault in the office's text stops the run, said whole
    with _locked(ws):
        _ingest(ws)
        programme = programme_for_year(load_programmes(ws.config), period.last[0])
        report = aggregate_period(ws, programme, period)
        paths = render_reports(ws, report, book, number, own)
        link = ws.reports / period.code
        logger.info("reports for %s published: %s -> %s", period.code, link, os.readlink(link))
        todo = unfinished(book, own)
        for line in todo:
            logger.warning("%s: %s", period.code, line)
        publish_report(report, paths)
        text = "\n".join([artifacts.report_text(report, paths), *todo])
        _notify(ws, "report", f"Đã lập báo cáo khuyến công {period.title}", text)
    return paths


def resolve_period(period: str | int | None, kind: Kind, config: Path, today: date | None = None) -> Period | None:
    """The requested period (a year may arrive as a number: `-p period=2012`), or the one a run on `today`
    reports on (pipeline.schedules). Without `today`: the run's scheduled date in the schedules' time zone. A
    run started by a schedule outside every programme gets None (nothing to do); one started by hand without a
    period reports the last completed period, clamped to the end of the latest programme."""
    if period not in (None, ""):
        return parse_period(str(period))
    clamp = True
    if today is None:
        from prefect.context import FlowRunContext
        from prefect.runtime import flow_run

        scheduled = flow_run.scheduled_start_time
        zone = ZoneInfo(load_rules(config).timezone)
        today = datetime.fromisoformat(str(scheduled)).astimezone(zone).date() if scheduled else date.today()
        context = FlowRunContext.get()
        clamp = not (context and context.flow_run and context.flow_run.auto_scheduled)
    chosen = period_for(kind, today, load_programmes(config), clamp)
    if chosen is not None:
        _log_info("no period given: reporting on %s (%s)", chosen.code, chosen.title)
    return chosen


def _log_info(message: str, *args: object) -> None:
    from prefect.exceptions import MissingContextError

    with suppress(MissingContextError):
        get_run_logger().info(message, *args)


def _report_or_skip(ws: Workspace, period: Period | None, number: int | None, signer: str | None) -> list[Path]:
    if period is None:
        get_run_logger().info("no programme period to report on at this date: nothing to do")
        return []
    return _report(ws, period, number, signer)


def _workspace(
    inputs: str | None, outputs: str | None, ledger_path: str | None, config: str | None = None
) -> Workspace:
    return Workspace.resolve(inputs, outputs, ledger_path, config)


def _run_name(kind: str):
    def name() -> str:
        from prefect.runtime import flow_run

        return f"{kind}-{flow_run.parameters.get('period') or 'latest'}"

    return name


@flow(name="ingest_inputs", flow_run_name="ingest")
def ingest_inputs(
    inputs: str | None = None, outputs: str | None = None, ledger_file: str | None = None, config: str | None = None
) -> IngestSummary:
    """Read every new or changed workbook, store it in the ledger and write its receipt."""
    ws = _workspace(inputs, outputs, ledger_file, config)
    try:
        with _locked(ws, wait_seconds=0):
            return _ingest(ws)
    except Busy:  # a report run is ingesting and holds the outputs: the next poll picks up what is left
        get_run_logger().info("another run holds %s: this intake is skipped", ws.outputs)
        return IngestSummary(0, 0, 0, 0, 0)


def _report_flow(name: str, kind: Kind, what: str):
    """One report flow (`name`, Prefect's and this module's) for a kind of period; all four share this body."""

    def report(
        period: str | int | None = None,
        inputs: str | None = None,
        outputs: str | None = None,
        ledger_file: str | None = None,
        number: int | None = None,
        config: str | None = None,
        signer: str | None = None,
    ) -> list[Path]:
        ws = _workspace(inputs, outputs, ledger_file, config)
        return _report_or_skip(ws, resolve_period(period, kind, ws.config), number, signer)

    report.__name__ = report.__qualname__ = name  # deployments load a flow by its module-level name
    report.__doc__ = (
        f"The {what} report: ingest what is new, aggregate `period` (default: the last {what} period that "
        "has ended) and publish every recipient's set."
    )
    return flow(name=name, flow_run_name=_run_name(name.removesuffix("_report")))(report)


monthly_report = _report_flow("monthly_report", Kind.MONTH, "monthly")
quarterly_report = _report_flow("quarterly_report", Kind.QUARTER, "quarterly")
annual_report = _report_flow("annual_report", Kind.YEAR, "annual")
programme_report = _report_flow("programme_report", Kind.SPAN, "programme")


FLOW_FOR_KIND = {
    Kind.MONTH: monthly_report,
    Kind.QUARTER: quarterly_report,
    Kind.HALF: quarterly_report,
    Kind.NINE_MONTHS: quarterly_report,
    Kind.YEAR: annual_report,
    Kind.SPAN: programme_report,
}


FLOW_BY_NAME = {f.name: f for f in (monthly_report, quarterly_report, annual_report, programme_report)}
SCHEDULED = "scheduled"  # the name of each report flow's deployment


def deployment_for(period: Period) -> str:
    """The deployment that reports on `period`: "<flow name>/scheduled" of the flow for its kind."""
    return f"{FLOW_FOR_KIND[period.kind].name}/{SCHEDULED}"


def start_report(period_code: str) -> str:
    """Start the report deployment for a period without waiting for the run (the portal's "chạy lại"
    button; `serve` gives it to the portal). Returns what it did, in Vietnamese."""
    from prefect.deployments import run_deployment

    period = parse_period(period_code)
    run = run_deployment(deployment_for(period), parameters={"period": period.code}, timeout=0, as_subflow=False)
    return f"Đã bắt đầu lập lại báo cáo {period.title}: lượt chạy {run.name} (mã {run.id}), xem trong Prefect."


def deployments(
    inputs: str | None = None, outputs: str | None = None, ledger_file: str | None = None, config: str | None = None
) -> list:
    """What `khuyencong serve` serves: the four report flows on their cron schedules (Asia/Ho_Chi_Minh,
    config/reporting.yaml), and the intake flow without a schedule (serve's intake loop starts it in-process
    when files are new or changed; the deployment is there to start it by hand). A scheduled run leaves
    `period` empty: it reports on the period its scheduled date implies."""
    from prefect.schedules import Cron

    ws = _workspace(inputs, outputs, ledger_file, config)
    rules = load_rules(ws.config)
    params = {
        "inputs": str(ws.inputs),
        "outputs": str(ws.outputs),
        "ledger_file": str(ws.ledger),
        "config": str(ws.config),
    }
    out = [
        FLOW_BY_NAME[s.flow].to_deployment(
            name=SCHEDULED,
            schedules=[Cron(s.cron, timezone=s.timezone)],
            parameters=params,
            tags=["khuyencong"],
            concurrency_limit=1,
            description=f"Báo cáo định kỳ ({s.cron}, {s.timezone})",
        )
        for s in schedules(rules)
    ]
    out.append(
        ingest_inputs.to_deployment(
            name="intake",
            parameters=params,
            tags=["khuyencong"],
            concurrency_limit=1,
            description="Tiếp nhận tệp mới trong inputs/ (serve chạy tự động khi "
            "có tệp mới hoặc thay đổi; nút Run để chạy ngay)",
        )
    )
    return out


def _on_dask() -> bool:
    from prefect.context import get_run_context

    return type(get_run_context().task_runner).__name__ == "DaskTaskRunner"


def with_task_runner(flow_fn, task_runner: str = "local", scheduler: str | None = None):
    """The flow as it should run: on the local thread runner (parsing across processes), or on a Dask
    cluster through prefect-dask - an existing one at `scheduler` (tcp://host:8786), else a local one."""
    if task_runner == "local":
        return flow_fn
    if task_runner != "dask":
        raise ValueError(f"unknown task runner {task_runner!r} (local, dask)")
    from prefect_dask import DaskTaskRunner

    runner = (
        DaskTaskRunner(address=scheduler)
        if scheduler
        else DaskTaskRunner(
            cluster_kwargs={"n_workers": os.cpu_count() or 2, "processes": True, "threads_per_worker": 1}
        )
    )
    return flow_fn.with_options(task_runner=runner)


def serve(ws: Workspace, api_url: str, watch: bool = True, echo=print) -> None:
    """The part of `khuyencong serve` that runs on Prefect (the CLI starts or finds the server first, since
    Prefect reads PREFECT_API_URL when imported): the deployments on a runner that picks up runs within 2 s,
    and the intake loop (pipeline.ops.IntakeLoop) starting an intake in this process when files are new or
    changed. Returns when the runner stops (Ctrl-C, SIGTERM), having stopped the loop and the workers."""
    import asyncio

    from prefect.runner import Runner

    from pipeline import ops

    started = time.monotonic()
    rules = load_rules(ws.config)
    runner = Runner(name="khuyencong", query_seconds=2, pause_on_shutdown=False)
    served = deployments(str(ws.inputs), str(ws.outputs), str(ws.ledger), str(ws.config))
    for d in served:
        runner.add_deployment(d)
    loop = ops.IntakeLoop(
        ws.inputs,
        changed=lambda: _unread(ws),
        run=lambda: _intake_now(ws),
        poll_seconds=rules.intake_poll_seconds,
        settle_seconds=rules.settle_seconds,
    )
    try:
        intake.start_workers(load_programmes(ws.config), load_units(ws.config))
        loop.start(watch)
        echo(
            f"Ready: {len(served)} deployments registered in {time.monotonic() - started:.0f} s; watching "
            f"{ws.inputs}. Start a report by hand:\n  PREFECT_API_URL={api_url} "
            f"{Path(sys.executable).with_name('prefect')} deployment run 'annual_report/scheduled' "
            "-p period=2013\nCtrl-C stops everything."
        )
        signal.signal(signal.SIGINT, lambda *_: _stop_runner(runner, echo))  # as the runner does SIGTERM
        asyncio.run(runner.start())
    finally:
        loop.stop(wait=5)  # an intake under way finishes (its receipts are written) if it can in 5 s
        intake.shutdown_workers()
        _drain_prefect_clients(timeout=3)


def _drain_prefect_clients(timeout: float) -> None:
    """Send the last logs and events while the server still answers (it is stopped right after)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=timeout)


def _stop_runner(runner, echo) -> None:
    """Stop the runner from a signal handler (its own SIGTERM handling, also for Ctrl-C), without tracebacks."""
    if not runner.started or runner.stopping:
        raise KeyboardInterrupt
    echo("stopping…")
    runner.stopping = True
    runner.execute_in_background(runner.astop)


def _unread(ws: Workspace) -> dict[str, tuple[int, int]]:
    if not ws.inputs.is_dir():
        return {}
    with ledger.open_ledger(ws.ledger) as conn:
        return intake.unread(ws.inputs, conn)


def _intake_now(ws: Workspace) -> None:
    """One intake flow run, unless another run holds the outputs (the loop tries again shortly)."""
    try:
        with run_lock(ws.outputs, wait_seconds=0):
            pass
    except Busy:
        return
    ingest_inputs(str(ws.inputs), str(ws.outputs), str(ws.ledger), str(ws.config))
