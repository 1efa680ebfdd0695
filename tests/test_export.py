"""Export: provenance has one row per accepted value (superseded versions too), its figures match aggregate(), and
the files read back - the CSV with ";" and a decimal comma, the .xlsx with openpyxl, the machine CSV with
pandas' defaults - give the totals this test works out from the workbooks' own figures."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from conftest import frames
from openpyxl import load_workbook

from pipeline import export
from pipeline.aggregating import aggregate
from pipeline.export import Cell, Column, Format, Table, figures, period_problems, provenance, write_exports
from pipeline.periods import month, quarter, through
from pipeline.validating import Status
from pipeline.workbook import Filling

Q1 = quarter(2012, 1)


def filling(k: int) -> Filling:
    return Filling(
        results={"P1.2": k, "P4.3": 2 * k + 1},
        spending={"P1": {"KCQG": Decimal(k) + Decimal("0.25")}, "P5": {"KCĐP": 3 * k, "Khác": 1}},
    )


# What the officers typed, and which of it counts for Q1 (the test's own reading of the roll-up rule).
COUNTED_IN_Q1 = [filling(3), filling(4), filling(7), Filling(results={"P4.1": 1})]  # t1-sua, bu-dang 02, Q1, Bù Gia Mập
BEFORE_Q1 = [filling(1)]  # December 2011: in the cumulative figures only


@pytest.fixture
def ledger_with_history(tmp_path, make_workbook, ingest):
    """Two units; a superseded month, a quarter with its months, an earlier year, a later month; a rejected
    file in the period, one after it and one whose period cannot be read; a file accepted with a warning; a
    file whose name a spreadsheet would take for a formula."""
    added = [
        ("bu-dang", month(2011, 12), filling(1), date(2012, 1, 3), None),
        ("bu-dang", month(2012, 1), filling(2), date(2012, 2, 2), "bu-dang-t1.xlsx"),
        ("bu-dang", month(2012, 1), filling(3), date(2012, 2, 6), "bu-dang-t1-sua.xlsx"),  # supersedes
        ("bu-dang", month(2012, 2), filling(4), date(2012, 3, 2), None),
        ("loc-ninh", month(2012, 1), filling(5), date(2012, 2, 2), None),
        ("loc-ninh", month(2012, 2), filling(6), date(2012, 3, 2), None),
        ("loc-ninh", Q1, filling(7), date(2012, 4, 2), None),  # counts instead of its months
        ("loc-ninh", month(2012, 4), filling(8), date(2012, 5, 2), None),  # outside the window
        ("bu-dop", month(2012, 2), Filling(results={"P1.2": -1, "P4.3": 2}), date(2012, 3, 2), None),  # rejected
        ("bu-dop", month(2012, 5), Filling(results={"P1.2": -3}), date(2012, 6, 2), "bu-dop-t5.xlsx"),  # after Q1
        (
            "bu-dop",
            month(2012, 3),
            Filling(results={"P1.2": 2}, period_text="tháng ba", title_period_text="?"),
            date(2012, 4, 2),
            "bu-dop-ky.xlsx",
        ),  # rejected: no period could be read
        ("bu-gia-map", month(2012, 3), Filling(results={"P4.1": 1}), date(2012, 4, 3), "=bu-gia-map-t3.xlsx"),
    ]
    for unit, period, f, received, name in added:
        make_workbook(tmp_path, unit, period, f, received=received, name=name)
    reports = ingest(tmp_path / "inputs", tmp_path / "ledger.sqlite")
    return tmp_path / "ledger.sqlite", reports


def test_one_row_per_accepted_value(ledger_with_history, programme) -> None:
    db, reports = ledger_with_history
    subs, vals, _ = frames(db)
    window = through(programme.first_year, Q1)
    prov = provenance(subs, vals, programme, Q1, window)
    expected = sorted(
        (r.unit.code, r.period.code, r.file.name, v.kind, v.code, v.source, v.amount, v.cell)
        for r in reports
        if r.status is not Status.REJECTED and window.contains(r.period)
        for v in r.values
    )
    got = sorted(
        zip(
            prov["unit"],
            prov["period_reported"],
            prov["file"],
            prov["kind"],
            prov["code"],
            prov["source"],
            map(Decimal, prov["value"]),
            prov["cell"],
            strict=True,
        )
    )
    assert got == expected
    assert not any("E" in v for v in prov["value"])  # plain decimals, as people read them
    assert "bu-dop" not in set(prov["unit"])  # the rejected file's valid cells are not exported
    assert "2012-04" not in set(prov["period_reported"])
    sha = {r.file.name: r.file.sha256 for r in reports}
    assert all(sha[f] == s for f, s in zip(prov["file"], prov["sha256"], strict=True))


def test_counts_flags(ledger_with_history, programme) -> None:
    db, _ = ledger_with_history
    subs, vals, _ = frames(db)
    prov = provenance(subs, vals, programme, Q1, through(programme.first_year, Q1))
    flags = prov.groupby("file")[["counts_in_period", "counts_cumulative"]].agg(set)
    assert {f: (tuple(r.counts_in_period), tuple(r.counts_cumulative)) for f, r in flags.iterrows()} == {
        "bao-cao-bu-dang-2011-12.xlsx": ((False,), (True,)),  # before the period, inside the cumulative window
        "bu-dang-t1.xlsx": ((False,), (False,)),  # superseded
        "bu-dang-t1-sua.xlsx": ((True,), (True,)),
        "bao-cao-bu-dang-2012-02.xlsx": ((True,), (True,)),
        "bao-cao-loc-ninh-2012-01.xlsx": ((False,), (False,)),  # covered by the quarter
        "bao-cao-loc-ninh-2012-02.xlsx": ((False,), (False,)),
        "bao-cao-loc-ninh-2012-Q1.xlsx": ((True,), (True,)),
        "=bu-gia-map-t3.xlsx": ((True,), (True,)),  # accepted with a warning: it counts
    }


def _sums(prov: pd.DataFrame, flag: str) -> dict[tuple[str, str, str], Decimal]:
    out: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for r in prov[prov[flag]].itertuples():
        out[r.kind, r.code, r.source] += Decimal(r.value)
    return out


def test_figures_match_aggregate(ledger_with_history, programme, units) -> None:
    db, _ = ledger_with_history
    subs, vals, probs = frames(db)
    report = aggregate(subs, vals, programme, units, Q1, problems=probs)
    prov = provenance(subs, vals, programme, report.period, report.cumulative_period)
    now, total = _sums(prov, "counts_in_period"), _sums(prov, "counts_cumulative")
    for i in report.indicators:
        assert (i.in_period, i.cumulative) == (now["indicator", i.code, ""], total["indicator", i.code, ""]), i.code
    for b in report.budget:
        for src in programme.source_codes:
            assert b.in_period[src] == now["budget", b.subprogramme, src]
            assert b.cumulative[src] == total["budget", b.subprogramme, src]
    assert now["indicator", "P1.2", ""] == 3 + 4 + 7  # corrected January, February, the quarter
    fig = figures(report)
    assert len(fig) == len(programme.indicators) + len(programme.subprogrammes) * len(programme.source_codes)
    assert set(fig[fig["kind"] == "context"]["code"]) == {"C1", "C2", "C3"}
    fig = fig[fig["kind"] != "context"]
    for r in fig.itertuples():
        assert r.in_period == now[r.kind, r.code, r.source]
        assert r.cumulative == total[r.kind, r.code, r.source]
    p12 = fig[(fig["kind"] == "indicator") & (fig["code"] == "P1.2")].iloc[0]
    assert (p12["in_period"], p12["target"]) == (14, 300)


# --- the files ---------------------------------------------------------------------------------------------


def _typed(fillings: list[Filling]) -> dict[tuple[str, str, str], Decimal]:
    """What the officers typed, added up by (kind, code, source) - the test's own arithmetic."""
    out: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for f in fillings:
        for code, v in f.results.items():
            out["indicator", code, ""] += Decimal(str(v))
        for sp, by_source in f.spending.items():
            for src, v in by_source.items():
                out["budget", sp, src] += Decimal(str(v))
    return out


@pytest.fixture
def exported(ledger_with_history, programme, units, tmp_path):
    """The Q1 export in both formats, into a folder of its own; (report, Vietnamese paths, machine paths)."""
    db, _ = ledger_with_history
    subs, vals, probs = frames(db)
    report = aggregate(subs, vals, programme, units, Q1, problems=probs)
    values = provenance(subs, vals, programme, Q1, report.cumulative_period)
    problems = period_problems(subs, probs, report)
    folder = tmp_path / "out" / "export"
    before = sorted(p for p in tmp_path.rglob("*") if "out" not in p.parts)
    vi = write_exports(report, values, folder, problems)
    machine = write_exports(report, values, folder, problems, Format.MACHINE)
    assert sorted(p for p in tmp_path.rglob("*") if "out" not in p.parts) == before  # nothing outside `folder`
    assert sorted(folder.iterdir()) == sorted(vi + machine)  # and no temporary left
    return report, vi, machine


def _vi_csv(path: Path) -> pd.DataFrame:
    """A Vietnamese CSV as Excel under Vietnamese settings reads it: ";" between fields, decimal comma (empty
    cells of a number column are NaN, of a text column "")."""
    frame = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", dtype={"Mã chỉ tiêu": str, "Nguồn": str})
    text = [c for c in frame.columns if frame[c].dtype.kind not in "if"]
    return frame.fillna(dict.fromkeys(text, ""))


def test_vietnamese_files_are_named_and_encoded_for_excel(exported) -> None:
    _, vi, machine = exported
    assert [p.name for p in vi] == [
        f"2012-Q1-{stem}.{ext}" for stem in ("gia-tri", "so-lieu", "van-de") for ext in ("csv", "xlsx")
    ]
    assert [p.name for p in machine] == ["2012-Q1-values.csv", "2012-Q1-figures.csv", "2012-Q1-problems.csv"]
    for path, table in zip(vi[::2], (export.VALUES, export.FIGURES, export.PROBLEMS), strict=True):
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with its BOM
        assert raw[3:].decode("utf-8").split("\r\n")[0] == ";".join(c.title for c in table.columns)
    for path, table in zip(machine, (export.VALUES, export.FIGURES, export.PROBLEMS), strict=True):
        raw = path.read_bytes()
        assert raw.split(b"\r\n")[0] == ",".join(c.key for c in table.columns).encode("ascii")  # no BOM


def test_vietnamese_csv_and_xlsx_add_up_to_what_the_units_typed(exported, programme) -> None:
    _, vi, _ = exported
    now, before = _typed(COUNTED_IN_Q1), _typed(BEFORE_Q1)
    values = _vi_csv(vi[0])
    assert list(values.columns) == [
        "Mã đơn vị",
        "Đơn vị",
        "Kỳ báo cáo",
        "Loại",
        "Mã chỉ tiêu",
        "Chỉ tiêu",
        "Nguồn",
        "Giá trị",
        "Đơn vị tính",
        "Tệp",
        "Ô",
        "SHA-256",
        "Thời điểm nhận",
        "Tính trong kỳ",
        "Tính lũy kế",
    ]
    assert values["Giá trị"].dtype.kind in "if"  # the decimal comma read as numbers
    kind = {"chỉ tiêu": "indicator", "kinh phí": "budget"}
    for flag, expected in (("Tính trong kỳ", now), ("Tính lũy kế", _add(now, before))):
        got: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for r in values[values[flag] == "có"].itertuples(index=False):
            got[kind[r[3]], r[4], r[6]] += Decimal(str(r[7]))
        assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}
    assert now["budget", "P1", "KCQG"] == Decimal("14.75")  # a decimal comma really was read: 3,25 + 4,25 + 7,25
    p12 = values[values["Mã chỉ tiêu"] == "P1.2"]
    assert set(zip(p12["Mã đơn vị"], p12["Đơn vị"], strict=True)) == {
        ("bu-dang", "huyện Bù Đăng"),
        ("loc-ninh", "huyện Lộc Ninh"),
    }
    assert set(p12["Chỉ tiêu"]) == {programme.indicators["P1.2"].name} and set(p12["Đơn vị tính"]) == {"người"}
    assert "tháng 1 năm 2012" in set(values["Kỳ báo cáo"]) and "quý I năm 2012" in set(values["Kỳ báo cáo"])

    figures_csv = _vi_csv(vi[2]).set_index(["Mã chỉ tiêu", "Nguồn"])
    book = load_workbook(vi[3])
    ws = book.active
    header = [c.value for c in ws[1]]
    rows = {
        (r[header.index("Mã chỉ tiêu")], r[header.index("Nguồn")] or ""): r
        for r in ws.iter_rows(min_row=2, values_only=True)
    }
    for (k, code, source), amount in now.items():
        cumulative = amount + before.get((k, code, source), Decimal(0))
        row = figures_csv.loc[(code, source)]
        assert Decimal(str(row["Thực hiện trong kỳ"])) == amount, (code, source)
        assert Decimal(str(row["Lũy kế từ đầu chương trình"])) == cumulative
        xrow = rows[code, source]
        assert Decimal(str(xrow[header.index("Thực hiện trong kỳ")])) == amount
        assert Decimal(str(xrow[header.index("Lũy kế từ đầu chương trình")])) == cumulative
    assert rows["P1.2", ""][header.index("Chỉ tiêu")] == "Lao động được đào tạo mới"


def _add(a: dict, b: dict) -> dict:
    out = defaultdict(Decimal, a)
    for k, v in b.items():
        out[k] += v
    return out


def test_xlsx_has_the_csvs_rows_numbers_as_numbers_and_a_usable_header(exported) -> None:
    _, vi, _ = exported
    for csv_path, xlsx_path in zip(vi[::2], vi[1::2], strict=True):
        table = _vi_csv(csv_path)
        ws = load_workbook(xlsx_path).active
        assert [c.value for c in ws[1]] == list(table.columns)
        assert all(c.font.b for c in ws[1])  # bold header
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
        assert ws.max_row == len(table) + 1
        assert all(ws.column_dimensions[c.column_letter].width > 8 for c in ws[1])
    ws = load_workbook(vi[1]).active
    header = [c.value for c in ws[1]]
    value, received = header.index("Giá trị"), header.index("Thời điểm nhận")
    cells = list(ws.iter_rows(min_row=2))
    assert all(r[value].data_type == "n" and isinstance(r[value].value, int | float) for r in cells)
    assert any(r[value].value == 3.25 for r in cells)
    assert all(r[received].is_date for r in cells)
    # 02/02/2012 09:00 UTC is 16:00 on the province's clock, in the CSV as in the .xlsx
    times = {r[header.index("Tệp")].value: r[received].value for r in cells}
    assert times["bu-dang-t1.xlsx"].strftime("%d/%m/%Y %H:%M") == "02/02/2012 16:00"
    table = _vi_csv(vi[0])
    assert set(table[table["Tệp"] == "bu-dang-t1.xlsx"]["Thời điểm nhận"]) == {"02/02/2012 16:00:00"}


def test_problems_of_the_periods_files_are_exported(exported) -> None:
    _, vi, machine = exported
    problems = _vi_csv(vi[4])
    assert list(problems.columns) == [
        "Mã đơn vị",
        "Đơn vị",
        "Kỳ báo cáo",
        "Tệp",
        "SHA-256",
        "Thời điểm nhận",
        "Trạng thái tệp",
        "Tính trong kỳ",
        "Ô",
        "Mã vấn đề",
        "Mức độ",
        "Tìm thấy",
        "Cần có",
        "Nội dung",
    ]
    by_file = {r["Tệp"]: r for _, r in problems.iterrows()}
    assert set(by_file) == {"bao-cao-bu-dop-2012-02.xlsx", "bu-dop-ky.xlsx", "'=bu-gia-map-t3.xlsx"}
    negative = by_file["bao-cao-bu-dop-2012-02.xlsx"]
    assert (
        negative["Mã đơn vị"],
        negative["Đơn vị"],
        negative["Mã vấn đề"],
        negative["Mức độ"],
        negative["Trạng thái tệp"],
        negative["Tìm thấy"],
    ) == ("bu-dop", "huyện Bù Đốp", "NEGATIVE", "lỗi", "Bị từ chối", "'-1")  # "-1" neutralised, as text from inputs
    assert negative["Ô"].startswith("BaoCao!E") and "số âm" in negative["Nội dung"]
    assert by_file["bu-dop-ky.xlsx"]["Mã vấn đề"] == "PERIOD_UNKNOWN" and by_file["bu-dop-ky.xlsx"]["Kỳ báo cáo"] == ""
    warned = by_file["'=bu-gia-map-t3.xlsx"]
    assert (warned["Mức độ"], warned["Trạng thái tệp"], warned["Tính trong kỳ"]) == (
        "lưu ý",
        "Đã tiếp nhận, có lưu ý",
        "có",
    )
    ws = load_workbook(vi[5]).active
    assert sorted(c.value for c in ws["D"][1:]) == sorted(f.lstrip("'") for f in by_file)  # raw text in the .xlsx
    plain = pd.read_csv(machine[2], dtype=str, keep_default_na=False)
    assert set(plain["file"]) == set(by_file) and set(plain["severity"]) == {"error", "warning"}
    assert "bu-dop-t5.xlsx" not in set(plain["file"])  # May: another period's problem


def test_machine_csv_reads_with_defaults_and_adds_up(exported) -> None:
    _, _, machine = exported
    values = pd.read_csv(machine[0], dtype={"code": str, "source": str}, keep_default_na=False)
    assert list(values.columns)[:3] == ["unit", "unit_name", "period_reported"]
    assert values["value"].dtype.kind in "if" and values["counts_in_period"].dtype == bool
    assert set(values["period_reported"]) >= {"2012-01", "2012-Q1", "2011-12"}  # codes, not titles
    got: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    for r in values[values["counts_in_period"]].itertuples():
        got[r.kind, r.code, r.source] += Decimal(str(r.value))
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in _typed(COUNTED_IN_Q1).items() if v}
    fig = pd.read_csv(machine[1], dtype={"code": str, "source": str})
    kcqg = fig[(fig["code"] == "P1") & (fig["source"] == "KCQG")].iloc[0]  # 3,25 + 4,25 + 7,25, then + 1,25
    assert (kcqg["in_period"], kcqg["cumulative"]) == (14.75, 16.0)
    assert "2012-02-02T09:00:00" in set(values["received_at"].str[:19])  # as stored, UTC


def test_text_an_input_supplies_is_never_a_formula(tmp_path) -> None:
    table = Table("t", "t", "T", (Column("file", "Tệp"), Column("value", "Giá trị", Cell.NUMBER)))
    frame = pd.DataFrame(
        {
            "file": [
                '=HYPERLINK("http://x")',
                "@SUM(A1)",
                "2012/bu-dang/a.xlsx",
                "-2+3+cmd|' /C calc'!A0",
                "+1",
                "\tx",
            ],
            "value": [Decimal(3), Decimal("12.5"), Decimal(0), Decimal(-2), Decimal("0.001"), None],
        }
    )
    vi = export.write_csv(table, frame, tmp_path / "x.csv").read_bytes().decode("utf-8-sig")
    assert vi.split("\r\n") == [
        "Tệp;Giá trị",
        '"\'=HYPERLINK(""http://x"")";3',
        "'@SUM(A1);12,5",
        "2012/bu-dang/a.xlsx;0",
        "'-2+3+cmd|' /C calc'!A0;-2",
        "'+1;0,001",
        "'\tx;",
        "",
    ]
    machine = export.write_csv(table, frame, tmp_path / "y.csv", Format.MACHINE).read_bytes().decode("utf-8")
    assert machine.split("\r\n")[:3] == ["file,value", '"\'=HYPERLINK(""http://x"")",3', "'@SUM(A1),12.5"]
    ws = load_workbook(export.write_xlsx(table, frame, tmp_path / "x.xlsx")).active
    cells = [r[0] for r in ws.iter_rows(min_row=2)]
    assert [c.value for c in cells] == list(frame["file"])  # the text itself, kept as text
    assert all(c.data_type == "s" for c in cells)
    assert [c.quotePrefix for c in cells] == [True, True, False, True, True, True]
    assert [r[1].value for r in ws.iter_rows(min_row=2)] == [3, 12.5, 0, -2, 0.001, None]  # numbers stay numbers


def test_rows_beyond_a_worksheet_continue_on_another_sheet(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(export, "XLSX_ROWS", 3)
    monkeypatch.setattr(export, "CONSTANT_MEMORY_ROWS", 2)  # the streamed writer, as for a national ledger
    table = Table("t", "t", "Giá trị", (Column("value", "Giá trị", Cell.NUMBER),))
    frame = pd.DataFrame({"value": [Decimal(i) for i in range(7)]})
    book = load_workbook(export.write_xlsx(table, frame, tmp_path / "x.xlsx"))
    assert book.sheetnames == ["Giá trị", "Giá trị (2)", "Giá trị (3)"]
    assert [[r[0] for r in ws.iter_rows(values_only=True)] for ws in book] == [
        ["Giá trị", 0, 1, 2],
        ["Giá trị", 3, 4, 5],
        ["Giá trị", 6],
    ]
