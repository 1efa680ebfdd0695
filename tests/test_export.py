"""Export: provenance has one row per accepted value (superseded versions too), and its figures match aggregate()."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from conftest import frames

from pipeline.aggregating import aggregate
from pipeline.export import figures, provenance, write_csv
from pipeline.periods import month, quarter, through
from pipeline.validating import Status
from pipeline.workbook import Filling

Q1 = quarter(2012, 1)


def filling(k: int) -> Filling:
    return Filling(results={"P1.2": k, "P4.3": 2 * k + 1},
                   spending={"P1": {"KCQG": Decimal(k) + Decimal("0.25")}, "P5": {"KCĐP": 3 * k, "Khác": 1}})


@pytest.fixture
def ledger_with_history(tmp_path, make_workbook, ingest):
    """Two units; a superseded month, a quarter with its months, an earlier year, a later month, a rejected file."""
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
        for r in reports if r.status is not Status.REJECTED and window.contains(r.period) for v in r.values)
    got = sorted(zip(prov["unit"], prov["period_reported"], prov["file"], prov["kind"], prov["code"], prov["source"],
                     map(Decimal, prov["value"]), prov["cell"], strict=True))
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
        assert Decimal(r.in_period) == now[r.kind, r.code, r.source]
        assert Decimal(r.cumulative) == total[r.kind, r.code, r.source]
    p12 = fig[(fig["kind"] == "indicator") & (fig["code"] == "P1.2")].iloc[0]
    assert (p12["in_period"], p12["target"]) == ("14", "300")


def test_write_csv_is_utf8_with_bom(ledger_with_history, programme, tmp_path) -> None:
    db, _ = ledger_with_history
    subs, vals, _ = frames(db)
    prov = provenance(subs, vals, programme, Q1, through(programme.first_year, Q1))
    path = write_csv(prov, tmp_path / "out" / "provenance-2012-Q1.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns) == list(prov.columns)
    assert len(back) == len(prov)
    assert back["value"].tolist() == prov["value"].tolist()
    assert "KCĐP" in set(back["source"])
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_csv_never_carries_a_formula_from_an_input(tmp_path) -> None:
    frame = pd.DataFrame({"file": ["=HYPERLINK(\"http://x\")", "@SUM(A1)", "2012/bu-dang/a.xlsx",
                                   "-2+3+cmd|' /C calc'!A0"],
                          "value": ["3", "12.5", "0", "1"]})
    text = write_csv(frame, tmp_path / "x.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "\n2012/bu-dang/a.xlsx" in text
    assert text.replace("\r", "").splitlines()[1:] == ["\"'=HYPERLINK(\"\"http://x\"\")\",3", "'@SUM(A1),12.5",
                                                         "2012/bu-dang/a.xlsx,0", "'-2+3+cmd|' /C calc'!A0,1"]
