"""Demo data: plausible filled workbooks for every unit over the whole programme, deterministic (seeded).

Monthly reports, with some quarters sent as one quarterly report and some quarters revised by a quarterly
report after their months; a few months missing, a few reports late, two bad files (one later corrected).
Totals land in the same order of magnitude as the programme's targets and budgets.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Font

from pipeline.encodings import unicode_to_tcvn3
from pipeline.periods import Period, month, quarter
from pipeline.programme import Programme
from pipeline.units import Unit, UnitRegistry
from pipeline.workbook import SHEET, Filling, build_workbook, save_atomic, template_name

SEED = 20111220  # the decision's date
PREPARERS = [
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Em",
    "Vũ Thị Hạnh",
    "Đặng Văn Hùng",
    "Bùi Thị Lan",
    "Đỗ Văn Minh",
    "Ngô Thị Nga",
    "Dương Văn Phúc",
    "Lý Thị Quyên",
]
NOTES = [
    "Kinh phí khuyến công địa phương phân bổ chậm, ảnh hưởng tiến độ tổ chức lớp đào tạo nghề.",
    "Các cơ sở công nghiệp nông thôn còn ít quan tâm đăng ký tham gia đề án khuyến công.",
    "Đề nghị Sở Công Thương hỗ trợ thêm kinh phí cho cơ sở tham gia hội chợ triển lãm ngoài tỉnh.",
    "Cán bộ làm công tác khuyến công cấp huyện còn kiêm nhiệm, thiếu kinh nghiệm.",
    "Đề nghị tổ chức tập huấn hướng dẫn lập hồ sơ đề án khuyến công cho cán bộ cấp huyện.",
    "Thủ tục thanh quyết toán kinh phí đề án còn phức tạp, kéo dài thời gian thực hiện.",
]


# written by _bad_files / _officer_variants instead of the usual template
_BAD = {("bu-dop", "2012-05"), ("loc-ninh", "2012-08"), ("loc-ninh", "2013-04"), ("chon-thanh", "2013-05")}


@dataclass(frozen=True)
class DemoFile:
    path: Path
    unit: str
    period: str
    received: date


def _received(rng: np.random.Generator, period: Period, late: bool) -> date:
    days = int(rng.integers(15, 45)) if late else int(rng.integers(1, 9))
    return period.end + timedelta(days=days)


SLOW = {"P6": 0.6, "P1.1": 0.5}  # behind pace, as some lines really were: pace flags show in the reports


def _context(unit: Unit, period: Period, rng: np.random.Generator) -> dict[str, object]:
    """Levels at the period's end (establishments, workers) and the period's production value, growing
    about 11 %, 7 % and 16 % a year from a base that depends on the unit."""
    base = 300 + zlib.crc32(unit.code.encode()) % 600
    years = ((period.last[0] - 2011) * 12 + period.last[1]) / 12
    noise = 1 + float(rng.normal(0, 0.01))
    monthly_value = base * 45 * 1.16**years
    return {
        "C1": round(base * 1.11**years),
        "C2": round(base * 6.5 * 1.07**years),
        "C3": Decimal(str(round(monthly_value * len(period) * noise, 1))),
    }


def _fill(
    rng: np.random.Generator, programme: Programme, unit: Unit, period: Period, n_units: int, received: date
) -> Filling:
    n_months = len(period)
    results: dict[str, object] = {}
    for code, ind in programme.targeted.items():
        province_only = ind.level == "province"
        if province_only != (unit.level == "province"):
            continue
        share = 1 if province_only else n_units
        lam = float(ind.target) * 1.02 / (60 * share) * n_months * SLOW.get(code, 1)
        value = int(rng.poisson(lam))
        if value:
            results[code] = value
    spending: dict[str, dict[str, object]] = {}
    for sp in programme.subprogrammes:
        for src, budget in sp.budget.by_source.items():
            if budget == 0 or rng.random() < 0.45:
                continue
            mean = float(budget) / (60 * (n_units + 1)) * n_months / 0.55 * SLOW.get(sp.code, 1)
            amount = Decimal(str(round(float(rng.gamma(2.0, mean / 2.0)), 1)))
            if amount > 0:
                spending.setdefault(sp.code, {})[src] = amount
    if unit.level != "province" and programme.context is not None:
        results |= _context(unit, period, rng)
    notes = NOTES[int(rng.integers(len(NOTES)))] if rng.random() < 0.25 else ""
    return Filling(
        results=results,
        spending=spending,
        report_date=received - timedelta(days=int(rng.integers(0, 3))),
        preparer=PREPARERS[int(rng.integers(len(PREPARERS)))],
        phone=f"0271 38{int(rng.integers(10000, 99999))}",
        notes=notes,
    )


def _revise(
    rng: np.random.Generator, programme: Programme, unit: Unit, quarter_period: Period, months: list[Filling]
) -> Filling:
    """A quarterly report that sums its months and corrects a figure or two (what districts do)."""
    results: dict[str, object] = {}
    spending: dict[str, dict[str, object]] = {}
    for f in months:
        for code, v in f.results.items():
            if programme.indicators[code].kind == "flow":
                results[code] = Decimal(str(results.get(code, 0))) + Decimal(str(v))
        for sp, by_src in f.spending.items():
            for src, v in by_src.items():
                spending.setdefault(sp, {})[src] = Decimal(str(spending.get(sp, {}).get(src, 0))) + Decimal(str(v))
    if unit.level != "province" and programme.context is not None:  # levels at the quarter's end
        levels = _context(unit, quarter_period, rng)
        results |= {k: v for k, v in levels.items() if programme.indicators[k].kind == "level"}
    flows = sorted(c for c in results if programme.indicators[c].kind == "flow" and programme.indicators[c].whole)
    if flows:
        code = flows[int(rng.integers(len(flows)))]
        results[code] = max(Decimal(0), Decimal(str(results[code])) + int(rng.choice([-1, 1, 2])))
    last = months[-1]
    return Filling(
        results=results,
        spending=spending,
        report_date=last.report_date,
        preparer=last.preparer,
        phone=last.phone,
        notes="Báo cáo quý điều chỉnh số liệu các tháng.",
    )


def _write(
    folder: Path, programme: Programme, unit: Unit, period: Period, filling: Filling, received: date, suffix: str = ""
) -> DemoFile:
    name = template_name(unit, period).replace(".xlsx", f"{suffix}.xlsx")
    path = folder / str(period.first[0]) / unit.code / name
    return _keep(path, unit, period, received, lambda: build_workbook(programme, unit, period, filling))


def _keep(path: Path, unit: Unit, period: Period, received: date, build: Callable[[], Workbook]) -> DemoFile:
    """Write the workbook `build` makes, dated the day it was "dropped" (which drives late/on-time and
    supersession). Re-running the demo keeps what is there: the ledger sees no new submission."""
    if not path.exists():
        save_atomic(build(), path)
        _stamp(path, received)
    return DemoFile(path, unit.code, period.code, received)


def generate(
    folder: Path, programme: Programme, units: UnitRegistry, seed: int = SEED, years: tuple[int, ...] | None = None
) -> list[DemoFile]:
    """Write the demo workbooks under `folder`; return what was written."""
    rng = np.random.default_rng(seed)
    years = years or tuple(range(programme.first_year, programme.last_year + 1))
    out: list[DemoFile] = []
    for y in years:
        for q in range(1, 5):
            qp = quarter(y, q)
            reporters = [u for u in units.units if u.exists_throughout(qp)]
            n_districts = sum(1 for u in reporters if u.level != "province")
            for unit in reporters:
                style = rng.random()
                if style < 0.08:  # this quarter sent as one quarterly report
                    late = rng.random() < 0.06
                    rec = _received(rng, qp, late)
                    out.append(
                        _write(folder, programme, unit, qp, _fill(rng, programme, unit, qp, n_districts, rec), rec)
                    )
                    continue
                months: list[Filling] = []
                for m in range(3 * q - 2, 3 * q + 1):
                    mp = month(y, m)
                    if rng.random() < 0.03 or (unit.code, mp.code) in _BAD:  # missing month
                        continue
                    late = rng.random() < 0.06
                    rec = _received(rng, mp, late)
                    months.append(_fill(rng, programme, unit, mp, n_districts, rec))
                    out.append(_write(folder, programme, unit, mp, months[-1], rec))
                if style > 0.93 and months:  # a quarterly report revising its months
                    rec = _received(rng, qp, False) + timedelta(days=5)
                    out.append(_write(folder, programme, unit, qp, _revise(rng, programme, unit, qp, months), rec))
    out += _bad_files(folder, programme, units, rng, years)
    out += _officer_variants(folder, programme, units, rng, years)
    return out


def _officer_variants(
    folder: Path, programme: Programme, units: UnitRegistry, rng: np.random.Generator, years: tuple[int, ...]
) -> list[DemoFile]:
    """Files as some officers really send them: the traditional free layout, and labels typed in TCVN3
    (Bình Phước's units: none with another province's configuration)."""
    if 2013 not in years or not {"loc-ninh", "chon-thanh"} <= units.by_code.keys():
        return []
    out = []
    loc_ninh, chon_thanh = units.by_code["loc-ninh"], units.by_code["chon-thanh"]
    p = month(2013, 4)
    rec = _received(rng, p, False)
    f = _fill(rng, programme, loc_ninh, p, 10, rec)
    path = folder / "2013" / loc_ninh.code / "Bao cao khuyen cong thang 4-2013 (Loc Ninh).xlsx"
    out.append(_keep(path, loc_ninh, p, rec, lambda: _free_layout(programme, loc_ninh, p, f)))
    p = month(2013, 5)
    rec = _received(rng, p, False)
    f = _fill(rng, programme, chon_thanh, p, 10, rec)
    path = folder / "2013" / chon_thanh.code / template_name(chon_thanh, p).replace(".xlsx", "-vntime.xlsx")
    out.append(_keep(path, chon_thanh, p, rec, lambda: _in_tcvn3(build_workbook(programme, chon_thanh, p, f))))
    return out


def _in_tcvn3(wb: Workbook) -> Workbook:
    """The header typed with an old TCVN3 font (capitals need the ".VnTimeH" font)."""
    for row in wb[SHEET].iter_rows(max_row=12):
        for cell in row:
            if isinstance(cell.value, str):
                capitals = cell.value.isupper()
                cell.value = unicode_to_tcvn3(cell.value.lower() if capitals else cell.value)
                cell.font = Font(name=".VnTimeH" if capitals else ".VnTime", bold=cell.font.bold, size=12)
    return wb


def _stamp(path: Path, received: date) -> None:
    stamp = datetime.combine(received, time(9, 0)).timestamp()
    os.utime(path, (stamp, stamp))


def _free_layout(programme: Programme, unit: Unit, period: Period, f: Filling) -> Workbook:
    """The province's traditional report: title lines, then "Nội dung | ĐVT | Kế hoạch | Thực hiện | Lũy kế"."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws["A1"] = f"UBND {unit.full_name(period.start).upper()}"
    ws["A2"] = "PHÒNG KINH TẾ VÀ HẠ TẦNG"
    ws["A4"] = f"BÁO CÁO KẾT QUẢ THỰC HIỆN CÔNG TÁC KHUYẾN CÔNG {period.title.upper()}"
    ws.append([])
    ws.append(["STT", "Nội dung", "ĐVT", f"Kế hoạch năm {period.first[0]}", f"Thực hiện {period.title}", "Lũy kế"])
    roman = ["I", "II", "III", "IV", "V", "VI", "VII"]
    for n, sp in enumerate(programme.subprogrammes):
        ws.append([roman[n], sp.name])
        for k, ind in enumerate(sp.indicators, start=1):
            if ind.code in f.results:
                name = ind.synonyms[0] if ind.synonyms else ind.name
                ws.append([k, name, ind.unit, None, f.results[ind.code], None])
    ws.append([])
    ws.append(["", "Khó khăn, vướng mắc và đề xuất:"])
    ws.append(["", f.notes or "Không có."])
    ws.append([])
    ws.append(["", "Người lập biểu", "", "", "TRƯỞNG PHÒNG"])
    return wb


def _bad_files(
    folder: Path, programme: Programme, units: UnitRegistry, rng: np.random.Generator, years: tuple[int, ...]
) -> list[DemoFile]:
    """Two bad submissions, as officers make them: one corrected later, one never corrected (Bình Phước's
    units and indicators: none with another province's configuration)."""
    if (
        2012 not in years
        or not {"bu-dop", "loc-ninh"} <= units.by_code.keys()
        or not {"P1.2", "P4.3"} <= programme.indicators.keys()
    ):
        return []
    out = []
    bu_dop, loc_ninh = units.by_code["bu-dop"], units.by_code["loc-ninh"]
    p = month(2012, 5)
    rec = _received(rng, p, False)
    bad = _fill(rng, programme, bu_dop, p, 10, rec)
    bad.results = {**bad.results, "P1.2": -4}
    out.append(_write(folder, programme, bu_dop, p, bad, rec, "-loi-so-am"))
    bad.results = {**bad.results, "P1.2": 4}
    out.append(_write(folder, programme, bu_dop, p, bad, rec + timedelta(days=2), "-da-sua"))
    p = month(2012, 8)
    rec = _received(rng, p, False)
    bad = _fill(rng, programme, loc_ninh, p, 10, rec)
    bad.results = {**bad.results, "P4.3": "khoảng 3 cơ sở"}
    out.append(_write(folder, programme, loc_ninh, p, bad, rec, "-loi-chu"))
    return out
