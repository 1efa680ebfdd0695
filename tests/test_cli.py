"""The `khuyencong` command line: template and its errors (flows are covered by test_flows)."""

from __future__ import annotations

from openpyxl import load_workbook
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.layout import read_report
from pipeline.paths import packaged_config
from pipeline.programme import load_programmes
from pipeline.reading import file_info
from pipeline.units import load_units
from pipeline.validating import Status, validate

runner = CliRunner()


def test_template_writes_the_official_blank_workbook(tmp_path):
    out = tmp_path / "bd.xlsx"
    result = runner.invoke(app, ["template", "--unit", "Bù Đăng", "--period", "2012-03", "--out", str(out)])
    assert result.exit_code == 0, result.output
    ws = load_workbook(out)["BaoCao"]
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    for label in ("Đơn vị báo cáo:", "Kỳ báo cáo:", "Ngày báo cáo:", "Người lập biểu:", "Điện thoại:",
                  "A. KẾT QUẢ THỰC HIỆN TRONG KỲ", "C. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ",
                  "huyện Bù Đăng", "tháng 3 năm 2012", "Lao động được đào tạo mới"):
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
    report = validate(read_report(file_info(out, tmp_path), load_programmes(config), load_units(config)),
                      load_units(config))
    assert report.status is Status.ACCEPTED and report.values == []
    assert report.unit.code == "bu-dang" and report.period.code == "2012-03"


def _in_range(cell: str, sqref: str) -> bool:
    from openpyxl.worksheet.cell_range import MultiCellRange

    return cell in MultiCellRange(sqref)


def test_template_refuses_unknown_unit_and_unit_not_yet_existing(tmp_path):
    result = runner.invoke(app, ["template", "--unit", "Hà Nội", "--period", "2012-03", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "unknown unit" in result.output
    result = runner.invoke(app, ["template", "--unit", "Phú Riềng", "--period", "2012-03",
                                 "--out", str(tmp_path / "y.xlsx")])
    assert result.exit_code == 2 and not (tmp_path / "y.xlsx").exists()
    result = runner.invoke(app, ["template", "--unit", "Phú Riềng", "--period", "2015-Q4",
                                 "--out", str(tmp_path / "z.xlsx")])
    assert result.exit_code == 0 and (tmp_path / "z.xlsx").exists()


def test_bad_period_code_is_refused(tmp_path):
    result = runner.invoke(app, ["template", "--unit", "Bù Đăng", "--period", "2012-13", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "not a period code" in result.output


def test_run_refuses_a_period_outside_every_programme_and_one_number_for_several(tmp_path):
    result = runner.invoke(app, ["run", "--period", "2020", "--inputs", str(tmp_path), "--outputs", str(tmp_path),
                                 "--ledger", str(tmp_path / "l.sqlite")])
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
    done = runner.invoke(app, ["template", "--unit", "Bù Đăng", "--period", "2012-03",
                               "--out", str(missing / "x.xlsx")])
    assert done.exit_code == 2 and "does not exist" in done.output
    assert not (tmp_path / "no").exists()
