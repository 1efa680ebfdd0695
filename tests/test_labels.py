"""The province's vocabulary (pipeline.labels, `khuyencong labels`): unmatched labels listed across files, a
decision recorded as data, the files holding the label - and only those - read again from the archive with the
decision as their values' basis, their receipts issued again; undo; the two-rows-on-one-indicator rule; and the
scoring matcher's refusals (rows that are no indicator, candidates named in the receipt)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook
from typer.testing import CliRunner

from pipeline import intake, ledger
from pipeline import labels as vocab
from pipeline.cli import app
from pipeline.matching import matcher_for
from pipeline.paths import packaged_config
from pipeline.programme import Programme, load_programmes
from pipeline.units import UnitRegistry, load_units

TITLE = "BÁO CÁO KẾT QUẢ CÔNG TÁC KHUYẾN CÔNG QUÝ III NĂM 2012"
LOAN = "Hướng dẫn thủ tục vay vốn ưu đãi"  # no indicator's words: left unmatched, no candidates


def _book(folder: Path, name: str, unit: str, rows: list[list[object]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append([unit])
    ws.append([TITLE])
    ws.append(["STT", "Nội dung", "ĐVT", "Kế hoạch", "Thực hiện", "Ghi chú"])
    for row in rows:
        ws.append(row)
    folder.mkdir(parents=True, exist_ok=True)
    wb.save(folder / name)
    return folder / name


class Province:
    """A working folder: its own configuration (a copy of the packaged one), inputs, archive, ledger, receipts."""

    def __init__(self, root: Path) -> None:
        self.config = root / "config"
        shutil.copytree(packaged_config(), self.config)
        self.inputs, self.archive, self.receipts = root / "inputs", root / "archive", root / "outputs" / "receipts"
        self.ledger = root / "khuyencong.sqlite"
        self.programmes: list[Programme] = load_programmes(self.config)
        self.units: UnitRegistry = load_units(self.config)

    def ingest(self) -> None:
        with ledger.open_ledger(self.ledger) as conn:
            pending = intake.find_pending(self.inputs, conn, self.archive)
            reports = intake.process(pending.new, self.programmes, self.units)
            intake.store(conn, reports, pending.copies, self.receipts)
            intake.remember(conn, pending.known, pending.refused, self.receipts)
            intake.write_owed(conn, self.receipts)

    def decide(self, label: str, indicator: str | None, undo: bool = False) -> vocab.Outcome:
        with ledger.open_ledger(self.ledger) as conn:
            done = vocab.decide(
                conn, self.config, self.archive, self.receipts, self.programmes, self.units, label, indicator,
                by="tester", undo=undo,
            )  # fmt: skip
        self.programmes = load_programmes(self.config)  # the next intake reads with the decisions
        return done

    def values(self) -> dict[str, dict[str, tuple[Decimal, str]]]:
        """file name -> indicator -> (amount, basis)."""
        with ledger.open_ledger(self.ledger) as conn:
            subs = ledger.submissions_frame(conn).set_index("id")["file_name"].to_dict()
            vals = ledger.values_frame(conn)
        out: dict[str, dict[str, tuple[Decimal, str]]] = {name: {} for name in subs.values()}
        for r in vals.itertuples():
            if r.kind == "indicator":
                out[subs[r.submission_id]][r.code] = (ledger.from_milli(r.milli), r.basis)
        return out

    def receipt(self, name: str) -> str:
        return (self.receipts / f"{name}.txt").read_text(encoding="utf-8")

    def rereads(self) -> list[dict]:
        with ledger.open_ledger(self.ledger) as conn:
            return vocab.rereads(conn)


@pytest.fixture
def province(tmp_path: Path) -> Province:
    p = Province(tmp_path)
    _book(
        p.inputs,
        "bu-dang.xlsx",
        "UBND HUYỆN BÙ ĐĂNG",
        [
            [1, "Đào tạo mới cho lao động", "người", "", 20],
            [2, LOAN, "cơ sở", "", 4],
            [3, "Công tác khác", "", "", 3],
            [4, "Kiểm tra, giám sát thực hiện đề án", "lượt", "", 2],
            [5, "Hỗ trợ khác", "", "", 1],
        ],
    )
    _book(p.inputs, "dong-phu.xlsx", "UBND HUYỆN ĐỒNG PHÚ", [[1, "1. " + LOAN.upper(), "cơ sở", "", 7]])
    _book(p.inputs, "loc-ninh.xlsx", "UBND HUYỆN LỘC NINH", [[1, "Tổ chức hội thảo", "hội thảo", "", 1]])
    p.ingest()
    return p


def test_map_then_undo_reads_again_only_the_files_holding_the_label(province: Province) -> None:
    before = province.values()
    assert before == {
        "bu-dang.xlsx": {"P1.2": (Decimal(20), "")},
        "dong-phu.xlsx": {},
        "loc-ninh.xlsx": {"P2.2": (Decimal(1), "")},
    }
    with ledger.open_ledger(province.ledger) as conn:
        pending = {p.label: p for p in vocab.unmatched(conn)}
    assert pending[LOAN].files == {"bu-dang.xlsx", "dong-phu.xlsx"} and pending[LOAN].units == {"cơ sở"}
    loc_ninh_receipt = province.receipt("loc-ninh.xlsx")

    done = province.decide(LOAN, "P5.1")

    assert done.changed == {"bu-dang.xlsx": ["P5.1: (chưa có) → 4"], "dong-phu.xlsx": ["P5.1: (chưa có) → 7"]}
    after = province.values()
    assert after["bu-dang.xlsx"]["P1.2"] == (Decimal(20), "")
    assert after["bu-dang.xlsx"]["P5.1"][0] == 4 and after["dong-phu.xlsx"]["P5.1"][0] == 7
    basis = after["dong-phu.xlsx"]["P5.1"][1]
    assert basis.startswith("theo quyết định của tester ngày ") and basis.endswith(f"«{LOAN}» → P5.1")
    assert after["loc-ninh.xlsx"] == before["loc-ninh.xlsx"]
    assert [r["decision"] for r in province.rereads()] == [f"«{LOAN}» → P5.1"] * 2  # two files, not three
    assert province.receipt("loc-ninh.xlsx") == loc_ninh_receipt
    receipt = province.receipt("dong-phu.xlsx")
    assert receipt.startswith("BIÊN NHẬN CẤP LẠI ngày ") and "- P5.1: (chưa có) → 7" in receipt
    assert "P5.1 – Cơ sở được hỗ trợ tư vấn, cung cấp thông tin: 7 cơ sở" in receipt
    saved = yaml.safe_load((province.config / "label-decisions.yaml").read_text(encoding="utf-8"))["decisions"]
    assert [(d["label"], d["indicator"], d["by"]) for d in saved] == [(LOAN, "P5.1", "tester")]
    with ledger.open_ledger(province.ledger) as conn:
        assert LOAN not in {p.label for p in vocab.unmatched(conn)}

    # a file received after the decision is read with it
    _book(province.inputs, "hon-quan.xlsx", "UBND HUYỆN HỚN QUẢN", [[1, LOAN, "cơ sở", "", 2]])
    province.ingest()
    assert province.values()["hon-quan.xlsx"]["P5.1"][0] == 2

    undone = province.decide(LOAN, None, undo=True)
    assert undone.changed == {
        "bu-dang.xlsx": ["P5.1: 4 → (không còn)"],
        "dong-phu.xlsx": ["P5.1: 7 → (không còn)"],
        "hon-quan.xlsx": ["P5.1: 2 → (không còn)"],
    }
    assert province.values()["bu-dang.xlsx"] == {"P1.2": (Decimal(20), "")}
    assert "- P5.1: 7 → (không còn)" in province.receipt("dong-phu.xlsx")
    assert yaml.safe_load((province.config / "label-decisions.yaml").read_text(encoding="utf-8"))["decisions"] == []


def test_ignore_takes_the_label_off_the_list_without_a_value(province: Province) -> None:
    listed = f"Dòng «1. {LOAN.upper()}» (giá trị 7 ở ô Sheet!E4) không khớp"
    assert listed in province.receipt("dong-phu.xlsx")
    done = province.decide(LOAN, None)
    unchanged = ["không thay đổi giá trị nào"]
    assert done.changed == {"bu-dang.xlsx": unchanged, "dong-phu.xlsx": unchanged}
    assert province.values()["dong-phu.xlsx"] == {}
    with ledger.open_ledger(province.ledger) as conn:
        assert LOAN not in {p.label for p in vocab.unmatched(conn)}
        assert "Công tác khác" in {p.label for p in vocab.unmatched(conn)}  # not decided: still listed
    receipt = province.receipt("dong-phu.xlsx")
    assert receipt.startswith("BIÊN NHẬN CẤP LẠI") and listed not in receipt


def test_a_mapping_putting_two_rows_on_one_indicator_is_refused_naming_both(tmp_path: Path) -> None:
    p = Province(tmp_path)
    _book(
        p.inputs,
        "bu-dang.xlsx",
        "UBND HUYỆN BÙ ĐĂNG",
        [[1, "Số cơ sở được tư vấn", "cơ sở", "", 5], [2, LOAN, "cơ sở", "", 4]],
    )
    p.ingest()
    before = p.values()
    with pytest.raises(vocab.DecisionRefused) as refused:
        p.decide(LOAN, "P5.1")
    said = str(refused.value)
    assert "bu-dang.xlsx" in said and "Sheet!E4" in said and "Sheet!E5" in said
    assert p.values() == before
    assert not (p.config / "label-decisions.yaml").exists()
    assert p.rereads() == []


def test_unknown_indicator_and_undo_without_decision_are_refused(province: Province) -> None:
    with pytest.raises(vocab.DecisionRefused, match="không có chỉ tiêu P9.9"):
        province.decide(LOAN, "P9.9")
    with pytest.raises(vocab.DecisionRefused, match="chưa có quyết định"):
        province.decide(LOAN, None, undo=True)


def test_receipt_names_the_candidates_of_an_ambiguous_row(province: Province) -> None:
    _book(
        province.inputs,
        "chon-thanh.xlsx",
        "UBND HUYỆN CHƠN THÀNH",
        [[1, "Tham gia Hội chợ hàng Việt Nam chất lượng cao", "hội chợ", "", 2]],
    )
    province.ingest()
    assert province.values()["chon-thanh.xlsx"] == {}
    receipt = province.receipt("chon-thanh.xlsx")
    assert "Dòng này có thể là P4.2 hoặc P4.1." in receipt


@pytest.mark.parametrize(
    ("label", "unit"),
    [
        ("Công tác khác", ""),
        ("- Công tác khác", "lượt"),
        ("Kiểm tra, giám sát thực hiện đề án", "cuộc"),
        ("Hỗ trợ khác", "cơ sở"),
        ("Trong đó: đồng bào dân tộc thiểu số", "người"),
        ("Số gian hàng tại hội chợ", "gian hàng"),
        ("Hỗ trợ thành lập hợp tác xã làm bánh tráng", "HTX"),
        ("Doanh thu bán hàng tại hội chợ", "triệu đồng"),
        ("Cử cán bộ tham dự lớp tập huấn nghiệp vụ khuyến công", "người"),
    ],
)
def test_rows_that_are_no_indicator_stay_unmatched(label: str, unit: str, programme: Programme) -> None:
    matcher = matcher_for(programme, programme.vocabulary)
    assert matcher.match(label, unit).code == ""


@pytest.mark.parametrize(
    ("label", "unit", "section", "code"),
    [
        ("Mở lớp truyền nghề đan lát cho lao động mới", "người", "", "P1.2"),
        ("Xã Thanh Lương: tập huấn nâng cao tay nghề mây tre đan", "lao động", "", "P1.3"),
        ("Tổ chức hội thảo giới thiệu công nghệ sấy nông sản", "cuộc", "", "P2.2"),
        ("Hỗ trợ CSSX ứng dụng MMTB hiện đại", "CS", "", "P3.2"),
    ],
)
def test_officers_words_reach_their_indicator_with_why(
    label: str, unit: str, section: str, code: str, programme: Programme
) -> None:
    match = matcher_for(programme, programme.vocabulary).match(label, unit, section)
    assert match.code == code
    assert "khớp từ «" in match.why and f"ĐVT «{unit}»" in match.why


def test_labels_command_lists_and_decides(province: Province) -> None:
    runner = CliRunner()
    common = ["--ledger", str(province.ledger), "--config", str(province.config)]
    common += ["--outputs", str(province.receipts.parent)]
    listed = runner.invoke(app, ["labels", *common])
    assert listed.exit_code == 0, listed.output
    assert f"«{LOAN}»\t2 tệp\tĐVT: cơ sở" in listed.output
    mapped = runner.invoke(app, ["labels", "--map", LOAN, "P5.1", "--by", "cán bộ A", *common])
    assert mapped.exit_code == 0, mapped.output
    assert "2 files read again" in mapped.output
    assert province.values()["bu-dang.xlsx"]["P5.1"][0] == 4
    refused = runner.invoke(app, ["labels", "--map", LOAN, "P9.9", *common])
    assert refused.exit_code == 2 and "không có chỉ tiêu P9.9" in refused.output
