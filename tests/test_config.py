"""A province's own configuration: found once (--config, KHUYENCONG_CONFIG, ./config, the packaged defaults),
seen the same by every stage, written by `khuyencong init`, and refused in one line when broken."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.configfile import ConfigError
from pipeline.configuration import load_configuration
from pipeline.layout import read_report
from pipeline.paths import CONFIG_ENV, Workspace, config_folder, ledger_target, packaged_config
from pipeline.programme import load_programmes
from pipeline.reading import file_info
from pipeline.units import load_units
from pipeline.validating import Status, validate
from pipeline.workbook import SHEET

runner = CliRunner()

TAN_LAP = """\
  - code: tan-lap
    name: "Tân Lập"
    titles: [{from: 2010-01-01, type: "huyện"}]
    valid_from: 2010-01-01
    aliases: ["Huyện Tân Lập"]
"""


def _custom(tmp_path: Path, name: str = "custom") -> Path:
    """A copy of the packaged configuration with one more unit, Tân Lập, and Bù Đăng renamed Bù Đăng Mới."""
    config = tmp_path / name
    shutil.copytree(packaged_config(), config)
    units = config / "units.yaml"
    text = units.read_text(encoding="utf-8").replace('name: "Bù Đăng"', 'name: "Bù Đăng Mới"')
    units.write_text(text.replace("\n  - code: ttkc\n", "\n" + TAN_LAP + "  - code: ttkc\n"), encoding="utf-8")
    return config


def _invoke(*args: str, env: dict[str, str] | None = None):
    """The command's result; it ended by itself (an exit code), never by an exception."""
    result = runner.invoke(app, list(args), env=env)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


# --- one unit list for layout and validation -----------------------------------------------------------------


def test_layout_and_validation_see_the_same_units(tmp_path: Path) -> None:
    """A report naming its unit only in a title line, of a unit that exists only in a custom configuration:
    layout finds the title's unit among the units validation checks against, so the report is accepted
    for that unit (layout once kept the packaged units.yaml for the whole process: the unit was "missing")."""
    config = _custom(tmp_path)
    programmes, units = load_programmes(config), load_units(config)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(["UBND HUYỆN TÂN LẬP"])
    ws.append(["BÁO CÁO KẾT QUẢ CÔNG TÁC KHUYẾN CÔNG QUÝ III NĂM 2012"])
    ws.append(["STT", "Nội dung", "ĐVT", "Kế hoạch", "Thực hiện", "Ghi chú"])
    ws.append([1, "Lao động được đào tạo mới", "người", 100, 42, ""])
    path = tmp_path / "tan-lap.xlsx"
    wb.save(path)

    raw = read_report(file_info(path, tmp_path), programmes, units)
    assert raw.fields["unit"].value == "UBND HUYỆN TÂN LẬP"
    report = validate(raw, units)
    assert report.unit is not None and report.unit.code == "tan-lap"
    assert "UNIT_MISSING" not in {p.code for p in report.problems} and "UNIT_UNKNOWN" not in {
        p.code for p in report.problems
    }
    # and with the packaged units, the same file has no unit at all
    packaged = load_units(packaged_config())
    assert "unit" not in read_report(file_info(path, tmp_path), programmes, packaged).fields
    assert validate(read_report(file_info(path, tmp_path), programmes, packaged), packaged).status is Status.REJECTED


# --- where the configuration is found ------------------------------------------------------------------------


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here, env, option = tmp_path / "here", _custom(tmp_path, "env"), _custom(tmp_path, "option")
    here.mkdir()
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    assert config_folder(None, here) == packaged_config()
    shutil.copytree(packaged_config(), here / "config")
    assert config_folder(None, here) == here / "config"
    monkeypatch.setenv(CONFIG_ENV, str(env))
    assert config_folder(None, here) == env
    assert config_folder(option, here) == option
    assert Workspace.resolve(config=option, root=here).config == option


def test_the_ledger_is_a_path_or_a_url() -> None:
    assert ledger_target("l.sqlite") == Path("l.sqlite")
    assert ledger_target("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert Workspace.resolve(ledger="postgresql+psycopg://u@h/db").ledger == "postgresql+psycopg://u@h/db"
    assert Workspace.resolve(root=Path("/w")).ledger == Path("/w/khuyencong.sqlite")


def test_config_option_env_and_local_folder_change_what_commands_see(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _custom(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    out = tmp_path / "tl.xlsx"
    # packaged defaults: Tân Lập is unknown
    result = _invoke("template", "--unit", "Tân Lập", "--period", "2012-03", "--out", str(out))
    assert result.exit_code == 2 and "unknown unit: Tân Lập" in result.output and not out.exists()
    # --config: the template is written for Tân Lập, and Bù Đăng is known by its new name
    result = _invoke("template", "--unit", "Tân Lập", "--period", "2012-03", "--out", str(out), "--config", str(config))
    assert result.exit_code == 0, result.output
    texts = {c.value for row in load_workbook(out)[SHEET].iter_rows() for c in row if isinstance(c.value, str)}
    assert "huyện Tân Lập" in texts
    renamed = tmp_path / "bd.xlsx"
    assert (
        _invoke(
            "template", "--unit", "Bù Đăng Mới", "--period", "2012-03", "--out", str(renamed), "--config", str(config)
        ).exit_code
        == 0
    )
    assert "huyện Bù Đăng Mới" in {c.value for row in load_workbook(renamed)[SHEET].iter_rows() for c in row}
    # history: the unit is found (it then asks for a ledger) through KHUYENCONG_CONFIG, and through ./config
    for env in ({CONFIG_ENV: str(config)}, None):
        if env is None:
            shutil.copytree(config, tmp_path / "config")
        result = _invoke("history", "--unit", "Tân Lập", "--period", "2012-Q3", env=env)
        assert result.exit_code == 2 and "no ledger at" in result.output, result.output
    shutil.rmtree(tmp_path / "config")
    result = _invoke("history", "--unit", "Tân Lập", "--period", "2012-Q3")
    assert result.exit_code == 2 and "unknown unit" in result.output
    # the common options are accepted by every command, used or not
    assert (
        _invoke(
            "template",
            "--unit",
            "Tân Lập",
            "--period",
            "2012-03",
            "--out",
            str(out),
            "--config",
            str(config),
            "--inputs",
            "i",
            "--outputs",
            "o",
            "--ledger",
            "l.sqlite",
        ).exit_code
        == 0
    )


def test_report_flows_and_deployments_take_the_config_folder(tmp_path: Path) -> None:
    import inspect

    import flows

    config = _custom(tmp_path)
    for f in (*flows.FLOW_BY_NAME.values(), flows.ingest_inputs):
        assert "config" in inspect.signature(f.fn).parameters, f.name
    for d in flows.deployments(str(tmp_path / "in"), str(tmp_path / "out"), str(tmp_path / "l.sqlite"), str(config)):
        assert d.parameters["config"] == str(config)


# --- init ----------------------------------------------------------------------------------------------------


def test_init_writes_a_working_folder_whose_config_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    folder = tmp_path / "tinh"
    result = _invoke("init", str(folder))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == ["README.txt", "config", "inputs", "outputs"]
    assert not any((folder / "inputs").iterdir()) and not any((folder / "outputs").iterdir())
    loaded = load_configuration(folder / "config")
    packaged = load_configuration(packaged_config())
    assert (loaded.programmes, loaded.units, loaded.recipients) == (
        packaged.programmes,
        packaged.units,
        packaged.recipients,
    )
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", readme)
    for name in (
        "programmes/",
        "units.yaml",
        "recipients.yaml",
        "reporting.yaml",
        "notifications.yaml",
        "inputs/",
        "outputs/",
        "khuyencong run --period 2012-Q3",
        "khuyencong ingest",
        "KHUYENCONG_CONFIG",
    ):
        assert name in readme, name
    assert "Đơn vị báo cáo" not in readme and "Các lệnh" in readme  # Vietnamese, the README's own words
    # commands run inside the folder use its config/: an edit there is seen
    units = folder / "config" / "units.yaml"
    units.write_text(
        units.read_text(encoding="utf-8").replace('name: "Lộc Ninh"', 'name: "Lộc Ninh Xanh"'), encoding="utf-8"
    )
    monkeypatch.chdir(folder)
    result = _invoke("template", "--unit", "Lộc Ninh Xanh", "--period", "2012-03", "--out", "ln.xlsx")
    assert result.exit_code == 0, result.output
    # nothing is overwritten
    result = _invoke("init", str(folder))
    assert result.exit_code == 2 and "already exists" in result.output
    assert "Lộc Ninh Xanh" in units.read_text(encoding="utf-8")


def test_init_copies_a_given_configuration(tmp_path: Path) -> None:
    config = _custom(tmp_path)
    assert _invoke("init", str(tmp_path / "w"), "--config", str(config)).exit_code == 0
    assert load_units(tmp_path / "w" / "config").find("Tân Lập") is not None


# --- broken configuration, missing inputs --------------------------------------------------------------------


def _broken(tmp_path: Path, file: str, old: str, new: str) -> Path:
    config = tmp_path / "broken"
    if not config.exists():
        shutil.copytree(packaged_config(), config)
    path = config / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return config


def _line(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    "command",
    [
        ["template", "--unit", "Bù Đăng", "--period", "2012-03"],
        ["demo"],
        ["ingest"],
        ["run", "--period", "2012-Q3"],
        ["serve"],
        ["history", "--unit", "Bù Đăng", "--period", "2012-Q3"],
        ["export", "--period", "2012-Q3"],
        ["init"],
    ],
)
def test_a_yaml_syntax_error_is_refused_with_file_line_and_column(tmp_path: Path, command: list[str]) -> None:
    config = _broken(tmp_path, "units.yaml", '    name: "Bù Đốp"\n', '    name: "Bù Đốp\n')
    if command == ["init"]:
        command = ["init", str(tmp_path / "x")]
    result = _invoke(*command, "--config", str(config), "--inputs", str(tmp_path))
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"configuration error: {config / 'units.yaml'}:")
    assert "YAML syntax error" in line
    assert not (tmp_path / "x").exists() and not (tmp_path / "inputs").exists()


def test_a_schema_error_names_file_key_path_and_line(tmp_path: Path) -> None:
    config = _broken(tmp_path, "units.yaml", "    valid_from: 2003-05-01\n", "    valid_from: sớm\n")
    line = _line(config / "units.yaml", "valid_from: sớm")
    result = _invoke("template", "--unit", "Bù Đăng", "--period", "2012-03", "--config", str(config))
    assert result.exit_code == 2
    [message] = result.output.strip().splitlines()
    assert message.startswith(
        f"configuration error: {config / 'units.yaml'}:{line}: units[4].valid_from: Input should be a valid date"
    )  # pydantic's words follow
    assert message.endswith("(found 'sớm')")


@pytest.mark.parametrize(
    ("file", "old", "new", "expected", "line"),
    [
        (
            "reporting.yaml",
            "deadline_days: 10",
            "deadline_days: mười",
            "deadline_days: Input should be a valid integer",
            "deadline_days: mười",
        ),
        (
            "reporting.yaml",
            "deadline_days: 10",
            "deadline_day: 10",
            "deadline_day: Extra inputs are not permitted",
            "deadline_day: 10",
        ),
        (
            "recipients.yaml",
            "max_units_listed: 100",
            "max_units_listed: 0",
            "recipients[0].max_units_listed:",
            "max_units_listed: 0",
        ),
        (
            "units.yaml",
            "valid_from: 2003-05-01",
            "valid_from: 2003-13-01",
            "invalid value: month must be in 1..12",
            "2003-13-01",
        ),
        ("notifications.yaml", "enabled: false", "enabled: [", "YAML syntax error", None),
        (
            "programmes/binh-phuoc-2011-2015.yaml",
            "average_per_year: 4112",
            "average_per_year: 4113",
            "programme 2011-2015: total 20.560 over 5 years is 4.112 a year, not the stated 4.113",
            None,
        ),
    ],
)
def test_each_file_is_checked_before_any_work(
    tmp_path: Path, file: str, old: str, new: str, expected: str, line: str | None
) -> None:
    config = _broken(tmp_path, file, old, new)
    with pytest.raises(ConfigError) as err:
        load_configuration(config)
    assert err.value.path == config / file and expected in str(err.value)
    if line is not None:
        assert err.value.line == _line(config / file, line)
    result = _invoke("run", "--period", "2012-Q3", "--config", str(config), "--inputs", str(tmp_path))
    assert result.exit_code == 2 and result.output.count("\n") == 1 and expected in result.output


def test_national_funds_set_apart_need_a_national_source(tmp_path: Path) -> None:
    config = _broken(tmp_path, "programmes/binh-phuoc-2011-2015.yaml", "national: true,", "")
    with pytest.raises(ConfigError, match=r"recipient bo-cong-thuong sets the national funds apart") as err:
        load_configuration(config)
    assert err.value.path == config / "recipients.yaml" and "programme 2011-2015 marks no source" in str(err.value)
    result = _invoke("run", "--period", "2012-Q3", "--config", str(config), "--inputs", str(tmp_path))
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "national: true" in result.output


def test_a_missing_configuration_folder_or_file(tmp_path: Path) -> None:
    result = _invoke("template", "--unit", "Bù Đăng", "--period", "2012-03", "--config", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "configuration folder not found" in result.output
    config = tmp_path / "c"
    shutil.copytree(packaged_config(), config)
    (config / "recipients.yaml").unlink()
    with pytest.raises(ConfigError, match=r"recipients\.yaml: file not found"):
        load_configuration(config)
    shutil.rmtree(config / "programmes")
    with pytest.raises(ConfigError, match="no programme file"):
        load_configuration(config)


@pytest.mark.parametrize("command", [["ingest"], ["run", "--period", "2012-Q3"], ["serve"]])
def test_a_missing_inputs_folder_is_an_error(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "nowhere"
    result = _invoke(
        *command, "--inputs", str(missing), "--outputs", str(tmp_path / "out"), "--ledger", str(tmp_path / "l.sqlite")
    )
    assert result.exit_code == 2
    assert result.output.strip() == f"inputs folder {missing} does not exist: create it or pass --inputs"
    assert not missing.exists() and not (tmp_path / "out").exists() and not (tmp_path / "l.sqlite").exists()


def test_demo_creates_its_inputs_folder_with_a_provinces_own_units(tmp_path: Path) -> None:
    """`demo` is the one command that creates a missing inputs folder; with a configuration of one unit (none of
    the units its special files are made for) it writes that unit's workbooks only."""
    import yaml

    config = tmp_path / "one"
    shutil.copytree(packaged_config(), config)
    data = yaml.safe_load((config / "units.yaml").read_text(encoding="utf-8"))
    data["units"] = [u for u in data["units"] if u["code"] == "bu-dang"]
    (config / "units.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    folder = tmp_path / "new" / "inputs"
    result = _invoke("demo", "--inputs", str(folder), "--config", str(config))
    assert result.exit_code == 0, result.output
    written = sorted(folder.rglob("*.xlsx"))
    assert written and {p.parent.name for p in written} == {"bu-dang"}
    assert f"{len(written)} demo workbooks written under {folder}" in result.output
