"""Shared fixtures: the real programme and unit list, and workbooks written by the project's own writer."""

from __future__ import annotations

import os

# openpyxl writes its XML through lxml when lxml is installed (python-docx and pyHanko bring it), with other bytes
# than its own writer (<c …></c> for <c …/>): the test corpora are generated, and compared byte for byte, with
# openpyxl's own writer. Set before anything imports openpyxl.
os.environ.setdefault("OPENPYXL_LXML", "False")

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline import intake, ledger
from pipeline.paths import packaged_config
from pipeline.periods import Period, parse_period
from pipeline.programme import Programme, load_programmes, programme_for_year
from pipeline.units import Unit, UnitRegistry, load_units
from pipeline.validating import ValidationReport
from pipeline.workbook import COL_RESULT, SHEET, Filling, template_name, write_template

FIRST = {"test_serve"}  # real `khuyencong run`/`serve` processes, minutes each: about half of the suite's time


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules in FIRST run first. `scripts/test.sh` hands whole modules to two pytest-xdist workers (`--dist
    loadfile`: a module's fixtures are built once) in this order: one worker starts on the long process-level tests
    while the other runs the rest of the suite, instead of both waiting for them at the end."""
    items.sort(key=lambda item: getattr(getattr(item, "module", None), "__name__", "") not in FIRST)


@pytest.fixture(scope="session")
def programmes() -> list[Programme]:
    return load_programmes(packaged_config())


@pytest.fixture(scope="session")
def programme(programmes: list[Programme]) -> Programme:
    return programme_for_year(programmes, 2012)


@pytest.fixture(scope="session")
def units() -> UnitRegistry:
    return load_units(packaged_config())


def stamp(received: date | datetime) -> float:
    """A file modification time for the day a file was "dropped" (09:00 UTC unless a time is given)."""
    if not isinstance(received, datetime):
        received = datetime.combine(received, time(9, 0))
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    return received.timestamp()


PG_URL = os.environ.get("KHUYENCONG_TEST_PG_URL")  # set by .ci/run (scripts/postgres.sh starts the server)


def request_pg_schema(tmp_path: Path) -> str:
    """A PostgreSQL ledger URL on a fresh schema of its own (the test database is scratch space)."""
    from uuid import uuid4

    from sqlalchemy import create_engine, text

    schema = f"t_{uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_target(request, tmp_path):
    """A fresh ledger: a SQLite file, or a PostgreSQL schema of its own when KHUYENCONG_TEST_PG_URL is set."""
    if request.param == "sqlite":
        yield tmp_path / "ledger.sqlite"
        return
    if not PG_URL:
        pytest.skip("KHUYENCONG_TEST_PG_URL is not set (bash scripts/postgres.sh starts a server and prints it)")
    url = request_pg_schema(tmp_path)
    yield url
    engine = ledger._ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()


@pytest.fixture(scope="session")
def harness():
    """One Prefect test harness (a temporary database and API) for the whole session, with the start-up
    allowance a busy machine needs (a first start migrates a database: over a minute under load)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=600):
        yield


@pytest.fixture
def make_workbook(programmes: list[Programme], units: UnitRegistry) -> Callable[..., Path]:
    """make_workbook(tmp_path, unit, period, filling) -> path of a workbook under tmp_path/"inputs".

    `unit` is a code or a Unit, `period` a code or a Period. Keywords: `name` (file name, default the
    template's), `received` (sets the file's mtime), `programme` (default: the one covering the period).
    """

    def make(
        tmp_path: Path,
        unit: str | Unit,
        period: str | Period,
        filling: Filling | None = None,
        *,
        name: str | None = None,
        received: date | datetime | None = None,
        programme: Programme | None = None,
    ) -> Path:
        u = units.by_code[unit] if isinstance(unit, str) else unit
        p = parse_period(period) if isinstance(period, str) else period
        if programme is None:
            covering = [x for x in programmes if x.first_year <= p.first[0] <= x.last_year]
            programme = covering[0] if covering else programmes[0]
        path = write_template(programme, u, p, tmp_path / "inputs" / (name or template_name(u, p)), filling)
        if received is not None:
            os.utime(path, (stamp(received), stamp(received)))
        return path

    return make


@pytest.fixture
def ingest(programmes: list[Programme], units: UnitRegistry) -> Callable[[Path, Path], list[ValidationReport]]:
    """ingest(inputs, ledger_path): one intake run (find new files, archive, read, validate, store, remember),
    as flows._ingest wires it, receipts owed to inputs/../outputs/receipts (not written). Every run is a
    backlog load (the backlog is never marked loaded): files' own dates are their received times."""

    def run(inputs: Path, ledger_path: Path | str) -> list[ValidationReport]:
        receipts_dir = inputs.parent / "outputs" / "receipts"
        with ledger.open_ledger(ledger_path) as conn:
            pending = intake.find_pending(inputs, conn, inputs.parent / "archive")
            reports = intake.process(pending.new, programmes, units)
            intake.store(conn, reports, pending.copies, receipts_dir)
            intake.remember(conn, pending.known, pending.refused, receipts_dir, end_backlog=False)
        return reports

    return run


def frames(ledger_path: Path):
    """(submissions, values, problems) frames of a ledger file."""
    with ledger.open_ledger(ledger_path) as conn:
        return ledger.submissions_frame(conn), ledger.values_frame(conn), ledger.problems_frame(conn)


def count_rows(ledger_path: Path | str, table: str) -> int:
    with ledger.open_ledger(ledger_path) as conn:
        return ledger.count(conn, table)


# --- locating cells in a written workbook (openpyxl, independently of pipeline.reading) ----------------


def ref_of(path: Path, value: object) -> str:
    """The one cell of the report sheet holding exactly `value`, as "BaoCao!C7"."""
    ws = load_workbook(path)[SHEET]
    hits = [c.coordinate for row in ws.iter_rows() for c in row if c.value == value]
    assert len(hits) == 1, f"{value!r} found in {hits}"
    return f"{SHEET}!{hits[0]}"


def _column_of(ws, header: str, after_row: int = 1) -> tuple[int, int]:
    """(row, column) of the first header cell `header` at or below `after_row`."""
    for row in ws.iter_rows(min_row=after_row):
        for c in row:
            if c.value == header:
                return c.row, c.column
    raise AssertionError(f"no header {header!r}")


def _row_of(ws, code: str, after_row: int) -> int:
    for row in ws.iter_rows(min_row=after_row + 1, min_col=2, max_col=2):
        if row[0].value == code:
            return row[0].row
    raise AssertionError(f"no row with code {code!r}")


def result_ref(path: Path, code: str) -> str:
    """Where the result of indicator `code` was written: its row in table A, column "Thực hiện trong kỳ"."""
    ws = load_workbook(path)[SHEET]
    head_row, col = _column_of(ws, COL_RESULT)
    return f"{SHEET}!{ws.cell(_row_of(ws, code, head_row), col).coordinate}"


def budget_ref(path: Path, subprogramme: str, source: str) -> str:
    """Where sub-programme `subprogramme`'s spending from `source` was written in table B."""
    ws = load_workbook(path)[SHEET]
    head_row, col = _column_of(ws, source)
    return f"{SHEET}!{ws.cell(_row_of(ws, subprogramme, head_row), col).coordinate}"


def has_vietnamese(text: str) -> bool:
    return any(ch in text for ch in "ăâđêôơưáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")
