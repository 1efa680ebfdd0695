"""The `khuyencong` command line: template, export, --help and their errors (flows are covered by test_flows)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.layout import read_report
from pipeline.paths import packaged_config
from pipeline.periods import month
from pipeline.programme import load_programmes
from pipeline.reading import file_info
from pipeline.units import load_units
from pipeline.validating import Status, validate
from pipeline.workbook import Filling

runner = CliRunner()


def test_template_writes_the_official_blank_workbook(tmp_path):
    out = tmp_path / "bd.xlsx"
    result = runner.invoke(app, ["template", "--unit", "Bù Đăng", "--period", "2012-03", "--out", str(out)])
    assert result.exit_code == 0, result.output
    ws = load_workbook(out)["BaoCao"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    for label in (
        "Đơn vị báo cáo:",
        "Kỳ báo cáo:",
        "Ngày báo cáo:",
        "Người lập biểu:",
        "Điện thoại:",
        "A. KẾT QUẢ THỰC HIỆN TRONG KỲ",
        "C. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ",
        "huyện Bù Đăng",
        "tháng 3 năm 2012",
        "Lao động được đào tạo mới",
    ):
        assert label in texts
    assert ws.protection.sheet  # labels protected
    rules = ws.data_validations.dataValidation
    assert rules and all(r.operator == "greaterThanOrEqual" and r.formula1 == "0" for r in rules)
    p12 = next(c.row for c in ws["B"] if c.value == "P1.2")
    assert ws[f"E{p12}"].protection.locked is False and ws[f"C{p12}"].protection.locked is True
    assert any(_in_range(f"E{p12}", str(r.sqref)) for r in rules)
    assert any(isinstance(c.value, str) and c.value.startswith("=SUM(D") for c in ws["G"])  # row totals

    # The blank workbook is itself a valid report (nothing reported yet).
    config = packaged_config()
    report = validate(
        read_report(file_info(out, tmp_path), load_programmes(config), load_units(config)), load_units(config)
    )
    assert report.status is Status.ACCEPTED and report.values == []
    assert report.unit.code == "bu-dang" and report.period.code == "2012-03"


def _in_range(cell: str, sqref: str) -> bool:
    from openpyxl.worksheet.cell_range import MultiCellRange

    return cell in MultiCellRange(sqref)


def test_template_refuses_unknown_unit_and_unit_not_yet_existing(tmp_path):
    result = runner.invoke(app, ["template", "--unit", "Hà Nội", "--period", "2012-03", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "unknown unit" in result.output
    result = runner.invoke(
        app, ["template", "--unit", "Phú Riềng", "--period", "2012-03", "--out", str(tmp_path / "y.xlsx")]
    )
    assert result.exit_code == 2 and not (tmp_path / "y.xlsx").exists()
    result = runner.invoke(
        app, ["template", "--unit", "Phú Riềng", "--period", "2015-Q4", "--out", str(tmp_path / "z.xlsx")]
    )
    assert result.exit_code == 0 and (tmp_path / "z.xlsx").exists()


def test_bad_period_code_is_refused(tmp_path):
    result = runner.invoke(app, ["template", "--unit", "Bù Đăng", "--period", "2012-13", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "not a period code" in result.output


def test_run_refuses_a_period_outside_every_programme_and_one_number_for_several(tmp_path):
    result = runner.invoke(
        app,
        [
            "run",
            "--period",
            "2020",
            "--inputs",
            str(tmp_path),
            "--outputs",
            str(tmp_path),
            "--ledger",
            str(tmp_path / "l.sqlite"),
        ],
    )
    assert result.exit_code == 2 and "no programme covers the year 2020" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["run", "--period", "2012", "--period", "2013", "--number", "5"])
    assert result.exit_code == 2 and "one period at a time" in result.output


def test_an_unknown_unit_lists_the_valid_ones_and_out_never_makes_folders(tmp_path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["template", "--unit", "Bù Xyz", "--period", "2012-03"])
    assert done.exit_code == 2
    assert "unknown unit: Bù Xyz. Units: Đồng Xoài (dong-xoai)" in done.output and "Bù Đăng (bu-dang)" in done.output
    missing = tmp_path / "no" / "such" / "folder"
    done = runner.invoke(
        app, ["template", "--unit", "Bù Đăng", "--period", "2012-03", "--out", str(missing / "x.xlsx")]
    )
    assert done.exit_code == 2 and "does not exist" in done.output
    assert not (tmp_path / "no").exists()


def _help_entries(command: str) -> dict[str, str]:
    """Each option and argument of a command's --help (as printed) -> its text, wrapped lines joined."""
    done = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200", "TERMINAL_WIDTH": "200"})
    assert done.exit_code == 0, done.output
    entries: dict[str, str] = {}
    name = None
    for line in done.output.splitlines():
        inner = line.strip("│ ╭╰─")
        found = re.match(r"^(?:\*\s+)?(--[\w-]+|[a-z]+(?=\s+<))", inner)
        if found:
            name = found.group(1)
            entries[name] = inner
        elif name and line.startswith("│"):
            entries[name] += " " + inner
        else:
            name = None
    return entries


@pytest.mark.parametrize("command", ["template", "demo", "ingest", "run", "serve", "history", "export", "init"])
def test_help_gives_every_default(command: str) -> None:
    """Every option the help shows says its default (or that it is required), including the defaults worked
    out at run time (folders, the ledger, the configuration)."""
    entries = _help_entries(command)
    assert len(entries) >= 3
    for name, text in entries.items():
        if name != "--help":
            assert "[default: " in text or "[required]" in text, (command, name, text)
    if command != "init":
        assert "$KHUYENCONG_CONFIG, else ./config if there is one, else the packaged defaults" in entries["--config"]
    if "--ledger" in entries:
        assert "[default: (./khuyencong.sqlite)]" in entries["--ledger"]
    if "--outputs" in entries:
        assert "[default: (./outputs)]" in entries["--outputs"]


def test_help_names_the_run_time_defaults() -> None:
    assert "[default: (./inputs)]" in _help_entries("ingest")["--inputs"]
    assert "[default: (./bao-cao-<unit>-<period>.xlsx)]" in _help_entries("template")["--out"]
    assert "[default: vi]" in _help_entries("export")["--format"]
    assert "[default: 20111220]" in _help_entries("demo")["--seed"]
    assert "[default: (the current folder)]" in _help_entries("init")["folder"]


def test_history_names_the_valid_units_too(tmp_path) -> None:
    done = CliRunner().invoke(
        app, ["history", "--unit", "Bù Xyz", "--period", "2012-03", "--ledger", str(tmp_path / "none.sqlite")]
    )
    assert done.exit_code == 2 and "unknown unit: Bù Xyz. Units: " in done.output
    assert "Lộc Ninh (loc-ninh)" in done.output
    assert "Traceback" not in done.output and not (tmp_path / "none.sqlite").exists()


def test_export_writes_what_a_run_writes_problems_included(tmp_path, make_workbook, ingest) -> None:
    """`khuyencong export` writes the values, the figures and the period's problems (the rejected file's
    cell and code), as CSV and .xlsx; --format machine the three machine CSVs."""
    make_workbook(
        tmp_path, "bu-dang", month(2012, 7), Filling(results={"P1.2": 4}, spending={"P1": {"KCQG": Decimal("2.5")}})
    )
    make_workbook(
        tmp_path, "bu-dang", month(2012, 8), Filling(results={"P1.2": 6}, spending={"P1": {"KCQG": Decimal("0.75")}})
    )
    make_workbook(tmp_path, "loc-ninh", month(2012, 8), Filling(results={"P1.2": -2}), name="loc-ninh-am.xlsx")
    db = tmp_path / "ledger.sqlite"
    ingest(tmp_path / "inputs", db)
    outputs = tmp_path / "outputs"
    args = ["export", "--period", "2012-Q3", "--outputs", str(outputs), "--ledger", str(db)]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    folder = outputs / "export"
    names = [f"2012-Q3-{s}.{e}" for s in ("gia-tri", "so-lieu", "van-de") for e in ("csv", "xlsx")]
    assert done.output.split() == [str(folder / n) for n in names]
    figures = pd.read_csv(folder / "2012-Q3-so-lieu.csv", sep=";", decimal=",", encoding="utf-8-sig")
    p1 = figures[(figures["Mã chỉ tiêu"] == "P1") & (figures["Nguồn"] == "KCQG")].iloc[0]
    assert p1["Thực hiện trong kỳ"] == 2.5 + 0.75
    problems = load_workbook(folder / "2012-Q3-van-de.xlsx").active
    header = [c.value for c in problems[1]]
    rows = [dict(zip(header, r, strict=True)) for r in problems.iter_rows(min_row=2, values_only=True)]
    assert [(r["Tệp"], r["Mã đơn vị"], r["Mã vấn đề"], r["Mức độ"]) for r in rows] == [
        ("loc-ninh-am.xlsx", "loc-ninh", "NEGATIVE", "lỗi")
    ]
    assert rows[0]["Ô"].startswith("BaoCao!E") and rows[0]["Đơn vị"] == "huyện Lộc Ninh"

    done = CliRunner().invoke(app, [*args, "--format", "machine"])
    assert done.exit_code == 0, done.output
    assert [Path(p).name for p in done.output.split()] == [
        "2012-Q3-values.csv",
        "2012-Q3-figures.csv",
        "2012-Q3-problems.csv",
    ]
    machine = pd.read_csv(folder / "2012-Q3-problems.csv")
    assert machine[["file", "problem", "severity"]].values.tolist() == [["loc-ninh-am.xlsx", "NEGATIVE", "error"]]
    done = CliRunner().invoke(app, [*args, "--format", "ods"])
    assert done.exit_code == 2 and "Traceback" not in done.output
