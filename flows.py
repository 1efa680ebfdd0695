"""Prefect flows: wire the pipeline's stages into tasks. No business logic lives here.

Flows: `monthly_report`, `quarterly_report` (also half-year and nine-month periods), `annual_report`,
`programme_report` (cumulative over the whole programme) and `ingest_inputs`. Each report flow ingests
new files, aggregates the requested period and renders PDF, HTML and Excel for every recipient.
Retries are on I/O tasks only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipeline import aggregating, excel_report, export, intake, ledger, receipts, rendering
from pipeline.completeness import load_rules
from pipeline.paths import Workspace
from pipeline.periods import Kind, Period, last_completed, parse_period
from pipeline.programme import Programme, load_programmes, programme_for_year
from pipeline.reading import FileInfo
from pipeline.recipients import load_recipients
from pipeline.units import load_units
from pipeline.validating import ValidationReport

BATCH = 200  # files per read-and-validate task: one task per file would cost more than the reading


@dataclass(frozen=True)
class IngestSummary:
    new: int
    accepted: int
    rejected: int
    already_known: int
    unchanged: int


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def scan_inputs(ws: Workspace) -> intake.Pending:
    with ledger.open_ledger(ws.ledger) as conn:
        return intake.find_pending(ws.inputs, conn, ws.archive)


@task(cache_policy=NO_CACHE)
def read_and_validate(files: list[FileInfo], config: Path) -> list[ValidationReport]:
    return intake.process(files, load_programmes(config), load_units(config))


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def store_reports(ws: Workspace, reports: list[ValidationReport], seen: list[FileInfo]) -> int:
    with ledger.open_ledger(ws.ledger) as conn:
        stored = ledger.store(conn, reports)
        intake.remember(conn, seen)
    return len(stored)


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def write_receipts(ws: Workspace, reports: list[ValidationReport], known: list[FileInfo]) -> list[Path]:
    with ledger.open_ledger(ws.ledger) as conn:
        duplicates = intake.duplicate_receipts(conn, ws.receipts, known)
    return [receipts.write_receipt(ws.receipts, r) for r in reports] + duplicates


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def aggregate_period(ws: Workspace, programme: Programme, period: Period) -> aggregating.Consolidated:
    with ledger.open_ledger(ws.ledger) as conn:
        subs, vals, probs = ledger.submissions_frame(conn), ledger.values_frame(conn), ledger.problems_frame(conn)
    return aggregating.aggregate(subs, vals, programme, load_units(ws.config), period,
                                 load_rules(ws.config), problems=probs)


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def render_reports(ws: Workspace, report: aggregating.Consolidated, number: int | None = None) -> list[Path]:
    book = load_recipients(ws.config)
    with ledger.open_ledger(ws.ledger) as conn:
        subs, vals = ledger.submissions_frame(conn), ledger.values_frame(conn)
    values = export.provenance(subs, vals, report.programme, report.period, report.cumulative_period)
    out: list[Path] = []
    folder = ws.reports / report.period.code
    for recipient in book.recipients:
        base = folder / rendering.report_basename(report, recipient)
        out.append(rendering.render_pdf(report, recipient, book.issuer, base.with_suffix(".pdf"), number))
        out.append(excel_report.write_excel_report(report, recipient, book.issuer, base.with_suffix(".xlsx"),
                                                   number, values))
        out.append(rendering.write_html(report, recipient, book.issuer, base.with_suffix(".html"), number))
    return out


@task(retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def export_csv(ws: Workspace, report: aggregating.Consolidated) -> list[Path]:
    with ledger.open_ledger(ws.ledger) as conn:
        subs, vals = ledger.submissions_frame(conn), ledger.values_frame(conn)
    folder = ws.outputs / "export"
    code = report.period.code
    values = export.provenance(subs, vals, report.programme, report.period, report.cumulative_period)
    return [export.write_csv(values, folder / f"{code}-gia-tri.csv"),
            export.write_csv(export.figures(report), folder / f"{code}-so-lieu.csv")]


def _ingest(ws: Workspace) -> IngestSummary:
    logger = get_run_logger()
    pending = scan_inputs(ws)
    batches = [pending.new[i:i + BATCH] for i in range(0, len(pending.new), BATCH)]
    reports = [r for batch in read_and_validate.map(batches, ws.config).result() for r in batch] if batches else []
    store_reports(ws, reports, pending.new + pending.known)
    write_receipts(ws, reports, pending.known)
    rejected = [r for r in reports if r.status.value == "rejected"]
    for r in rejected:
        logger.warning("rejected %s: %s", r.file.name, "; ".join(f"{p.code} at {p.cell}" for p in r.errors))
    summary = IngestSummary(len(reports), len(reports) - len(rejected), len(rejected), len(pending.known),
                            pending.unchanged)
    logger.info("ingest: %s", summary)
    return summary


def _report(ws: Workspace, period: Period, number: int | None = None) -> list[Path]:
    logger = get_run_logger()
    _ingest(ws)
    programme = programme_for_year(load_programmes(ws.config), period.last[0])
    report = aggregate_period(ws, programme, period)
    paths = render_reports(ws, report, number) + export_csv(ws, report)
    logger.info("reports for %s written to %s", period.code, ws.reports / period.code)
    return paths


def resolve_period(period: str | None, kind: Kind, config: Path, today: date | None = None) -> Period:
    """The requested period, or the last completed one (clamped to the latest programme's end)."""
    if period:
        return parse_period(period)
    programmes = load_programmes(config)
    if kind is Kind.SPAN:
        return parse_period(programmes[-1].code)
    candidate = last_completed(kind, today or date.today())
    end_year = programmes[-1].last_year
    return candidate if candidate.last[0] <= end_year else last_completed(kind, date(end_year + 1, 1, 1))


def _workspace(inputs: str | None, outputs: str | None, ledger_path: str | None) -> Workspace:
    default = Workspace.default()
    return Workspace(inputs=Path(inputs) if inputs else default.inputs,
                     outputs=Path(outputs) if outputs else default.outputs,
                     ledger=Path(ledger_path) if ledger_path else default.ledger)


def _run_name(kind: str):
    def name() -> str:
        from prefect.runtime import flow_run
        return f"{kind}-{flow_run.parameters.get('period') or 'latest'}"
    return name


@flow(name="ingest_inputs", flow_run_name="ingest")
def ingest_inputs(inputs: str | None = None, outputs: str | None = None,
                  ledger_file: str | None = None) -> IngestSummary:
    """Read every new or changed workbook, store it in the ledger and write its receipt."""
    return _ingest(_workspace(inputs, outputs, ledger_file))


@flow(name="monthly_report", flow_run_name=_run_name("monthly"))
def monthly_report(period: str | None = None, inputs: str | None = None, outputs: str | None = None,
                   ledger_file: str | None = None, number: int | None = None) -> list[Path]:
    ws = _workspace(inputs, outputs, ledger_file)
    return _report(ws, resolve_period(period, Kind.MONTH, ws.config), number)


@flow(name="quarterly_report", flow_run_name=_run_name("quarterly"))
def quarterly_report(period: str | None = None, inputs: str | None = None, outputs: str | None = None,
                     ledger_file: str | None = None, number: int | None = None) -> list[Path]:
    ws = _workspace(inputs, outputs, ledger_file)
    return _report(ws, resolve_period(period, Kind.QUARTER, ws.config), number)


@flow(name="annual_report", flow_run_name=_run_name("annual"))
def annual_report(period: str | None = None, inputs: str | None = None, outputs: str | None = None,
                  ledger_file: str | None = None, number: int | None = None) -> list[Path]:
    ws = _workspace(inputs, outputs, ledger_file)
    return _report(ws, resolve_period(period, Kind.YEAR, ws.config), number)


@flow(name="programme_report", flow_run_name=_run_name("programme"))
def programme_report(period: str | None = None, inputs: str | None = None, outputs: str | None = None,
                     ledger_file: str | None = None, number: int | None = None) -> list[Path]:
    ws = _workspace(inputs, outputs, ledger_file)
    return _report(ws, resolve_period(period, Kind.SPAN, ws.config), number)


FLOW_FOR_KIND = {
    Kind.MONTH: monthly_report,
    Kind.QUARTER: quarterly_report,
    Kind.HALF: quarterly_report,
    Kind.NINE_MONTHS: quarterly_report,
    Kind.YEAR: annual_report,
    Kind.SPAN: programme_report,
}
