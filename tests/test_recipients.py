"""Recipients as data (config/recipients.yaml): what each copy holds, checked on load."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from pipeline.configfile import ConfigError
from pipeline.paths import packaged_config
from pipeline.recipients import Recipient, load_recipients


def _recipient(**changes: object) -> Recipient:
    base = {"code": "x", "name": "X", "salutation": "Kính gửi: X"}
    return Recipient.model_validate(base | changes)


def test_the_configured_recipients() -> None:
    book = load_recipients(packaged_config())
    ubnd, bo = book.recipients
    assert (ubnd.code, ubnd.unit_detail, ubnd.max_units_listed) == ("ubnd-tinh", True, 100)
    assert (bo.code, bo.unit_detail, bo.max_units_listed) == ("bo-cong-thuong", False, 100)
    header = (packaged_config() / "recipients.yaml").read_text(encoding="utf-8").split("\nissuer:")[0]
    assert "max_units_listed" in header  # documented in the file's header comment


def test_max_units_listed_is_a_positive_whole_number() -> None:
    assert _recipient().max_units_listed == 100
    assert _recipient(max_units_listed=12).max_units_listed == 12
    for bad in (0, -5, "nhiều", 2.5, None):
        with pytest.raises(ValidationError, match="max_units_listed"):
            _recipient(max_units_listed=bad)


def test_unknown_settings_and_inconsistent_copies_are_refused(tmp_path) -> None:
    with pytest.raises(ValidationError, match="max_unit_listed"):
        _recipient(max_unit_listed=10)  # a misspelt setting is not silently ignored
    with pytest.raises(ValidationError, match="needs unit_detail"):
        _recipient(unit_detail=False, appendices=["units"])
    data = yaml.safe_load((packaged_config() / "recipients.yaml").read_text(encoding="utf-8"))
    data["recipients"][0]["max_units_listed"] = 0
    (tmp_path / "recipients.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"recipients\.yaml:\d+: recipients\[0\]\.max_units_listed"):
        load_recipients(tmp_path)


def test_section_and_appendix_titles_come_from_the_file(tmp_path) -> None:
    titles = load_recipients(packaged_config()).titles
    assert titles.section("funding") == "KINH PHÍ THỰC HIỆN"
    assert titles.appendix("units") == "KẾT QUẢ THỰC HIỆN THEO ĐƠN VỊ"
    data = yaml.safe_load((packaged_config() / "recipients.yaml").read_text(encoding="utf-8"))
    for change, error in (
        (lambda d: d["titles"]["appendices"].pop("kcqg"), r"titles\.appendices\.kcqg.*(missing|required)"),
        (lambda d: d["titles"]["sections"].update(budget="NGÂN SÁCH"), r"titles\.sections\.budget"),
        (lambda d: d.pop("titles"), r"titles.*(missing|required)"),
    ):
        broken = yaml.safe_load(yaml.safe_dump(data, allow_unicode=True))
        change(broken)
        (tmp_path / "recipients.yaml").write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
        with pytest.raises(ConfigError, match=error):
            load_recipients(tmp_path)
