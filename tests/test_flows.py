"""End to end through real Prefect runs: template-made workbooks in, PDF/Excel/CSV reports out."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

import flows
from pipeline import ledger
from pipeline.formatting import number, percent
from pipeline.paths import packaged_config
from pipeline.periods import month, parse_period, quarter
from pipeline.programme import load_programmes
from pipeline.units import load_units
from pipeline.workbook import Filling, write_template

CONFIG = packaged_config()
PROGRAMME = load_programmes(CONFIG)[0]
UNITS = load_units(CONFIG)

# (unit, period) -> what the officer typed. Đồng Xoài sends July and then the whole quarter (which counts).
SUBMISSIONS = {
    ("bu-dang", month(2012, 3)): Filling(results={"P1.2": 3, "P2.1": 1}, spending={"P1": {"KCQG": Decimal("2.5")}}),
    ("bu-dang", month(2012, 7)): Filling(results={"P1.2": 5, "P4.3": 2}, spending={"P1": {"KCQG": Decimal("12.5")}}),
    ("bu-dang", month(2012, 8)): Filling(
        results={"P1.2": 6}, spending={"P1": {"KCQG": Decimal("0.3"), "KCĐP": Decimal("1.1")}}
    ),
    ("bu-dang", month(2012, 9)): Filling(
        results={"P1.2": 7, "P4.3": 1},
        spending={"P1": {"KCQG": Decimal("7.25")}},
        notes="Đề nghị hỗ trợ thêm kinh phí đào tạo nghề.",
    ),
    ("dong-xoai", month(2012, 7)): Filling(results={"P1.2": 4}, spending={"P1": {"KCQG": Decimal("9")}}),
    ("dong-xoai", quarter(2012, 3)): Filling(
        results={"P1.2": 10, "P4.3": 3}, spending={"P1": {"KCQG": Decimal("20.1")}, "P4": {"Khác": 15}}
    ),
}
Q3 = parse_period("2012-Q3")

# file -> (unit, period, filling): one of each kind of bad file (plus hong.xlsx, random bytes, and
# khong-bang-b.xlsx, whose table B is deleted after writing).
BAD_FILES = {
    "la.xlsx": ("bu-dop", month(2012, 8), Filling(results={"P1.2": 50}, unit_text="Huyện Không Tồn Tại")),
    "ky-la.xlsx": ("bu-dop", month(2012, 7), Filling(results={"P1.2": 50}, period_text="Tháng ba/2012")),
    "ky-lech.xlsx": ("bu-dop", month(2012, 9), Filling(results={"P1.2": 50}, title_period_text="Quý II năm 2012")),
    "ngoai-ct.xlsx": ("bu-dop", month(2016, 1), Filling(results={"P1.2": 50})),
    "phu-rieng-2012.xlsx": ("phu-rieng", month(2012, 8), Filling(results={"P1.2": 50})),
    "chu.xlsx": ("hon-quan", month(2012, 8), Filling(results={"P1.2": 5, "P4.3": "khoảng 12 người"})),
    "loc-ninh-am.xlsx": ("loc-ninh", month(2012, 8), Filling(results={"P1.2": -2})),
    "khong-bang-b.xlsx": ("chon-thanh", month(2012, 8), Filling(results={"P1.2": 50})),
}
# file -> (problem code, how to find the cell at fault in the file independently of the reader)
EXPECTED_REJECTIONS = {
    "la.xlsx": ("UNIT_UNKNOWN", "Huyện Không Tồn Tại"),
    "ky-la.xlsx": ("PERIOD_UNKNOWN", "Tháng ba/2012"),
    "ky-lech.xlsx": ("PERIOD_MISMATCH", "Quý II năm 2012"),
    "ngoai-ct.xlsx": ("PERIOD_OUTSIDE_PROGRAMME", "tháng 1 năm 2016"),
    "phu-rieng-2012.xlsx": ("UNIT_NOT_IN_PERIOD", "huyện Phú Riềng"),
    "chu.xlsx": ("NOT_A_NUMBER", "khoảng 12 người"),
    "loc-ninh-am.xlsx": ("NEGATIVE", -2),
    "khong-bang-b.xlsx": ("TABLE_MISSING", None),
    "hong.xlsx": ("NOT_A_WORKBOOK", None),
}


def _expected(kind: str, code: str, source: str, window) -> Decimal:
    """Independent roll-up for this test's data: a unit's quarter replaces its months."""
    total = Decimal(0)
    for (unit, period), filling in SUBMISSIONS.items():
        if not window.contains(period):
            continue
        if period.kind == "month" and any(
            u == unit and p.kind == "quarter" and p.contains(period) and window.contains(p) for u, p in SUBMISSIONS
        ):
            continue
        given = filling.results.get(code) if kind == "indicator" else filling.spending.get(code, {}).get(source)
        total += Decimal(str(given or 0))
    return total


@pytest.fixture(scope="module")
def run(tmp_path_factory, harness):
    root = tmp_path_factory.mktemp("e2e")
    inputs = root / "inputs"
    for (unit_code, period), filling in SUBMISSIONS.items():
        write_template(PROGRAMME, UNITS.by_code[unit_code], period, inputs / f"{unit_code}-{period.code}.xlsx", filling)
    # Bad files, one of each kind: they are rejected, and the others still reach the report.
    for name, (unit_code, period, filling) in BAD_FILES.items():
        write_template(PROGRAMME, UNITS.by_code[unit_code], period, inputs / name, filling)
    wb = load_workbook(inputs / "khong-bang-b.xlsx")
    ws = wb["BaoCao"]
    head_b = next(c.row for c in ws["A"] if c.value and str(c.value).startswith("B. KINH PHÍ"))
    for merged in [m for m in ws.merged_cells.ranges if m.min_row >= head_b]:
        ws.unmerge_cells(str(merged))
    ws.delete_rows(head_b, ws.max_row - head_b + 1)
    wb.save(inputs / "khong-bang-b.xlsx")
    (inputs / "hong.xlsx").write_bytes(b"not a workbook at all")
    before = {p: p.read_bytes() for p in inputs.iterdir()}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(flows, "BATCH", 4)  # several batches, each stored and receipted as it is parsed
        paths = flows.quarterly_report(
            period="2012-Q3", inputs=str(inputs), outputs=str(root / "outputs"), ledger_file=str(root / "ledger.sqlite")
        )
    return root, paths, before


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_reports_written_for_both_recipients(run):
    root, paths, _ = run
    names = sorted(p.name for p in paths)
    for recipient in ("ubnd-tinh", "bo-cong-thuong"):
        for ext in ("pdf", "xlsx", "html"):
            assert f"bao-cao-2012-Q3-{recipient}.{ext}" in names
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)


def test_excel_figures_equal_independent_totals(run):
    root, _, _ = run
    wb = load_workbook(root / "outputs/reports/2012-Q3/bao-cao-2012-Q3-ubnd-tinh.xlsx")
    ws = wb["PhuLuc01"]
    header = [c.value for c in ws[3]]
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    col_period = header.index("Thực hiện trong kỳ")
    col_cum = next(i for i, h in enumerate(header) if h.startswith("Lũy kế từ đầu chương trình"))
    for code in ("P1.2", "P2.1", "P4.3"):
        assert Decimal(str(rows[code][col_period] or 0)) == _expected("indicator", code, "", Q3)
        cum = _expected("indicator", code, "", Q3) + _expected("indicator", code, "", month(2012, 3))
        assert Decimal(str(rows[code][col_cum] or 0)) == cum
    assert _expected("indicator", "P1.2", "", Q3) == 5 + 6 + 7 + 10  # the quarter replaces Đồng Xoài's July

    ws = wb["PhuLuc02"]
    header = [c.value for c in ws[3]]
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    kcqg = header.index("Trong kỳ: KCQG")
    assert Decimal(str(rows["P1"][kcqg])) == _expected("budget", "P1", "KCQG", Q3) == Decimal("40.15")


def test_pdf_text_shows_the_same_figures(run):
    root, _, _ = run
    text = _pdf_text(root / "outputs/reports/2012-Q3/bao-cao-2012-Q3-ubnd-tinh.pdf")
    assert "quý III năm 2012" in text
    line = next(ln for ln in text.splitlines() if ln.startswith("P1.2") and " 300 " in ln)  # Phụ lục 01, not the chart
    p12 = _expected("indicator", "P1.2", "", Q3)
    cum = p12 + _expected("indicator", "P1.2", "", month(2012, 3))
    assert re.search(rf"\b{p12}\b.*\b{cum}\b.*\b300\b", line), line
    assert percent(cum / 300) in line  # "10,3 %"
    assert number(_expected("budget", "P1", "KCQG", Q3)) in text  # "40,15"
    assert "Đề nghị hỗ trợ thêm kinh phí đào tạo nghề." in " ".join(text.split())  # may wrap over two lines
    bct = _pdf_text(root / "outputs/reports/2012-Q3/bao-cao-2012-Q3-bo-cong-thuong.pdf")
    assert "Bộ Công Thương" in bct and number(_expected("budget", "P1", "KCQG", Q3)) in bct


@pytest.mark.parametrize("name", sorted(EXPECTED_REJECTIONS))
def test_each_bad_file_is_rejected_with_its_cell_and_receipt(run, name):
    root, _, _ = run
    code, marker = EXPECTED_REJECTIONS[name]
    with ledger.open_ledger(root / "ledger.sqlite") as conn:
        subs = ledger.submissions_frame(conn).set_index("file_name")
        probs = ledger.problems_frame(conn)
    assert subs.loc[name, "status"] == "rejected"
    errors = probs[(probs["submission_id"] == subs.loc[name, "id"]) & (probs["severity"] == "error")]
    assert list(errors["code"]) == [code]
    if marker is not None:  # the cell is where the offending value really is
        ws = load_workbook(root / "inputs" / name)["BaoCao"]
        where = [c.coordinate for row in ws.iter_rows() for c in row if c.value == marker]
        assert errors.iloc[0]["cell"] == f"BaoCao!{where[0]}"
    receipt = (root / "outputs/receipts" / f"{name}.txt").read_text(encoding="utf-8")
    assert "BỊ TỪ CHỐI" in receipt and errors.iloc[0]["cell"] in receipt and errors.iloc[0]["message"] in receipt


def test_good_files_accepted_with_receipts(run):
    root, _, _ = run
    for unit_code, period in SUBMISSIONS:
        receipt = (root / "outputs/receipts" / f"{unit_code}-{period.code}.xlsx.txt").read_text(encoding="utf-8")
        assert "ĐÃ TIẾP NHẬN" in receipt


def test_inputs_untouched_archived_and_second_run_parses_nothing(run):
    root, _, before = run
    inputs = root / "inputs"
    assert {p: p.read_bytes() for p in inputs.iterdir()} == before
    for data in before.values():  # every file, good or bad, has its archive copy
        sha = hashlib.sha256(data).hexdigest()
        assert (root / "archive" / sha[:2] / f"{sha}.xlsx").read_bytes() == data
    summary = flows.ingest_inputs(
        inputs=str(inputs), outputs=str(root / "outputs"), ledger_file=str(root / "ledger.sqlite")
    )
    assert (summary.new, summary.unchanged) == (0, len(before))


def test_export_lists_every_value_with_its_cell(run):
    root, paths, _ = run
    import pandas as pd

    folder = root / "outputs/reports/2012-Q3"  # the export belongs to the set
    assert sorted(p for p in paths if p.name.startswith("2012-Q3-")) == sorted(
        folder / f"2012-Q3-{stem}.{ext}" for stem in ("gia-tri", "so-lieu", "van-de") for ext in ("csv", "xlsx")
    )
    values = pd.read_csv(
        folder / "2012-Q3-gia-tri.csv",
        sep=";",
        decimal=",",
        encoding="utf-8-sig",
        dtype={"Nguồn": str},
        keep_default_na=False,
    )
    july = values[(values["Mã đơn vị"] == "dong-xoai") & (values["Kỳ báo cáo"] == "tháng 7 năm 2012")]
    assert len(july) and set(july["Tính trong kỳ"]) == {"không"}  # replaced by the quarter
    row = values[
        (values["Mã đơn vị"] == "bu-dang")
        & (values["Kỳ báo cáo"] == "tháng 8 năm 2012")
        & (values["Mã chỉ tiêu"] == "P1")
        & (values["Nguồn"] == "KCĐP")
    ].iloc[0]
    ws = load_workbook(root / "inputs/bu-dang-2012-08.xlsx")["BaoCao"]
    p1_rows = [c.row for c in ws["B"] if c.value == "P1"]  # table A's heading row, then table B's row
    kcdp_col = next(c.column_letter for c in ws[p1_rows[1] - 1] if c.value == "KCĐP")
    assert ws[f"{kcdp_col}{p1_rows[1]}"].value == 1.1
    assert (row["Giá trị"], row["Ô"], row["Tính trong kỳ"], row["Đơn vị"]) == (
        1.1,
        f"BaoCao!{kcdp_col}{p1_rows[1]}",
        "có",
        "huyện Bù Đăng",
    )
    counted = values[values["Tính trong kỳ"] == "có"]
    for code, source in (("P1.2", ""), ("P4.3", ""), ("P1", "KCQG")):
        kind = "budget" if source else "indicator"
        mine = counted[(counted["Mã chỉ tiêu"] == code) & (counted["Nguồn"] == source)]
        assert Decimal(str(round(mine["Giá trị"].sum(), 3))) == _expected(kind, code, source, Q3), code


def test_export_lists_the_problems_of_the_periods_files(run):
    """The van-de export has every file rejected for the quarter and those whose period could not be used (the
    report lists them in every period, as ngoai-ct.xlsx of 2016, outside the programme), each with the cell and
    the code of its problem."""
    root, _, _ = run
    ws = load_workbook(root / "outputs/reports/2012-Q3/2012-Q3-van-de.xlsx").active
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)]
    errors = {r["Tệp"]: r for r in rows if r["Mức độ"] == "lỗi"}
    assert set(errors) == set(EXPECTED_REJECTIONS)
    for name, r in errors.items():
        assert r["Mã vấn đề"] == EXPECTED_REJECTIONS[name][0] and r["Trạng thái tệp"] == "Bị từ chối", name
    with ledger.open_ledger(root / "ledger.sqlite") as conn:
        probs = ledger.problems_frame(conn)
    assert errors["loc-ninh-am.xlsx"]["Ô"] in set(probs["cell"]) and errors["loc-ninh-am.xlsx"]["Tìm thấy"] == "-2"


@pytest.mark.parametrize(
    ("kind", "today", "expected"),
    [
        ("month", "2013-02-10", "2013-01"),
        ("quarter", "2013-02-10", "2012-Q4"),
        ("year", "2013-02-10", "2012"),
        ("month", "2026-11-29", "2015-12"),  # after the programme: its last period
        ("quarter", "2026-11-29", "2015-Q4"),
        ("span", "2026-11-29", "2011-2015"),
    ],
)
def test_default_period_is_last_completed(kind, today, expected):
    from datetime import date

    from pipeline.periods import Kind

    assert flows.resolve_period(None, Kind(kind), CONFIG, date.fromisoformat(today)).code == expected
    assert flows.resolve_period("2012-H1", Kind(kind), CONFIG).code == "2012-H1"


def test_a_report_started_by_hand_without_a_period_reports_the_last_completed_one(tmp_path, harness) -> None:
    """Started by hand (not by its schedule) after the programme's end, the annual flow reports the
    programme's last year, and a year typed as a number (`-p period=2012`) is a period like "2012"."""
    inputs = tmp_path / "inputs"
    write_template(
        PROGRAMME,
        UNITS.by_code["bu-dang"],
        parse_period("2015"),
        inputs / "bu-dang-2015.xlsx",
        Filling(results={"P1.2": 9}),
    )
    args = dict(inputs=str(inputs), outputs=str(tmp_path / "out"), ledger_file=str(tmp_path / "l.sqlite"))
    paths = flows.annual_report(**args)
    last_year = str(PROGRAMME.last_year)
    assert {p.parent.name for p in paths if p.parent.parent.name == "reports"} == {last_year}
    assert f"năm {last_year}" in PdfReader(next(p for p in paths if p.suffix == ".pdf")).pages[0].extract_text()
    typed = flows.annual_report(period=2012, **args)
    assert {p.parent.name for p in typed if p.parent.parent.name == "reports"} == {"2012"}


@pytest.mark.parametrize(
    ("period", "deployment"),
    [
        ("2012-03", "monthly_report/scheduled"),
        ("2012-Q3", "quarterly_report/scheduled"),
        ("2012-H1", "quarterly_report/scheduled"),
        ("2012-9M", "quarterly_report/scheduled"),
        ("2012", "annual_report/scheduled"),
        ("2011-2015", "programme_report/scheduled"),
    ],
)
def test_the_portals_rerun_starts_the_deployment_of_the_periods_flow(period, deployment, tmp_path) -> None:
    assert flows.deployment_for(parse_period(period)) == deployment
    served = {
        f"{d.flow_name}/{d.name}" for d in flows.deployments(config=str(packaged_config()), outputs=str(tmp_path))
    }
    assert deployment in served


def test_start_report_creates_a_run_of_the_periods_deployment_without_waiting(tmp_path, harness) -> None:
    """The deployment registered on a real Prefect API (no runner serves it here: the run stays scheduled)."""
    from prefect import get_client

    quarterly = next(
        d
        for d in flows.deployments(config=str(packaged_config()), outputs=str(tmp_path))
        if d.name == "scheduled" and d.flow_name == "quarterly_report"
    )
    deployment_id = quarterly.apply()
    said = flows.start_report("2012-Q3")
    assert said.startswith("Đã bắt đầu lập lại báo cáo quý III năm 2012: lượt chạy ")
    run_id = re.search(r"\(mã ([0-9a-f-]{36})\)", said).group(1)
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(run_id)
    assert run.deployment_id == deployment_id
    assert run.parameters["period"] == "2012-Q3" and run.parameters["outputs"] == str(tmp_path.resolve())
    assert not run.state.is_final()
