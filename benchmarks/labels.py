"""Benchmark: how many values of the label corpus reach the right indicator.

    .venv/bin/python benchmarks/labels.py [--by-indicator] [--unmatched]

Reads every workbook of tests/data/labels/files/ through the project's intake path (pipeline.layout.read_report,
pipeline.validating.validate) and compares the values attributed to indicators with tests/data/labels/expected.yaml
(written by tests/data/labels/make_labels.py). Prints, for the tune and held-out splits separately: values expected,
attributed correctly, attributed to a wrong indicator, left unmatched; rows that must stay unmatched and how many
got a value anyway; precision (correct / attributed) and recall (correct / expected); the same for budget rows
(sub-programme and source); and every wrong attribution. --by-indicator adds recall per indicator and
--unmatched the labels left unmatched, both for the tune split only: the held-out third is never used to tune.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's pipeline/, not an installed one

from pipeline.layout import read_report  # noqa: E402
from pipeline.paths import packaged_config  # noqa: E402
from pipeline.programme import Programme, load_programmes  # noqa: E402
from pipeline.reading import file_info  # noqa: E402
from pipeline.units import UnitRegistry, load_units  # noqa: E402
from pipeline.validating import ValidationReport, validate  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "labels"
SPLITS = ("tune", "held_out")


@dataclass(frozen=True)
class Wrong:
    """A value that went where it should not: to another indicator, or from a row that must stay unmatched."""

    file: str
    cell: str
    label: str
    expected: str | None  # None: the row must stay unmatched
    got: str


@dataclass
class Tally:
    """Counts for one split (values of table A, and budget amounts by sub-programme and source)."""

    files: int = 0
    files_read: int = 0  # unit and period found, as expected
    files_complete: int = 0  # every expected value attributed correctly, nothing wrong
    expected: int = 0
    correct: int = 0
    wrong: int = 0
    unmatched: int = 0
    stay: int = 0  # rows with a value that must stay unmatched
    stay_attributed: int = 0
    budget_expected: int = 0
    budget_correct: int = 0
    budget_wrong: int = 0
    budget_unmatched: int = 0
    seconds: float = 0.0
    wrongs: list[Wrong] = field(default_factory=list)
    missed: list[tuple[str, str, str]] = field(default_factory=list)  # file, label, expected code
    by_indicator: Counter[tuple[str, str]] = field(default_factory=Counter)  # (code, "expected" | "correct")

    @property
    def attributed(self) -> int:
        return self.correct + self.wrong + self.stay_attributed

    @property
    def precision(self) -> float:
        """Correct / attributed (1.0 when nothing was attributed: no value went astray)."""
        return self.correct / self.attributed if self.attributed else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.expected if self.expected else 0.0


def load_expected(corpus: Path = CORPUS) -> list[dict]:
    return yaml.safe_load((corpus / "expected.yaml").read_text(encoding="utf-8"))["files"]


def read(path: Path, programmes: list[Programme], units: UnitRegistry) -> ValidationReport:
    """One file through the intake path, as tests/test_corpus.py reads it."""
    return validate(read_report(file_info(path, path.parent), programmes, units), units)


def _same(amount: Decimal, expected: str) -> bool:
    return amount == Decimal(expected)


def tally_file(entry: dict, report: ValidationReport, t: Tally) -> None:
    """Compare one file's values with its expectations, adding to `t`."""
    t.files += 1
    unit = report.unit.code if report.unit else None
    period = report.period.code if report.period else None
    t.files_read += (unit, period) == (entry["unit"], entry["period"])
    values = {v.cell: v for v in report.values if v.kind == "indicator"}
    budget = {v.cell: v for v in report.values if v.kind == "budget"}
    complete = True
    seen: set[str] = set()
    for row in entry["rows"]:
        if row["value"] is None:
            continue
        seen.add(row["cell"])
        got = values.get(row["cell"])
        if row["expected"] is None:
            t.stay += 1
            if got is not None:
                t.stay_attributed += 1
                t.wrongs.append(Wrong(entry["file"], row["cell"], row["label"], None, got.code))
                complete = False
            continue
        t.expected += 1
        t.by_indicator[row["expected"], "expected"] += 1
        if got is None:
            t.unmatched += 1
            t.missed.append((entry["file"], row["label"], row["expected"]))
            complete = False
        elif got.code == row["expected"] and _same(got.amount, row["value"]):
            t.correct += 1
            t.by_indicator[row["expected"], "correct"] += 1
        else:
            t.wrong += 1
            shown = got.code if got.code != row["expected"] else f"{got.code} = {got.amount}"
            t.wrongs.append(Wrong(entry["file"], row["cell"], row["label"], row["expected"], shown))
            complete = False
    for cell, v in values.items():  # a value from a cell no row of the corpus gives
        if cell not in seen:
            t.wrong += 1
            t.wrongs.append(Wrong(entry["file"], cell, "(no row of the corpus)", None, v.code))
            complete = False
    _tally_budget(entry, budget, t)
    t.files_complete += complete


def _tally_budget(entry: dict, budget: dict, t: Tally) -> None:
    seen = set()
    for row in entry["budget"]:
        seen.add(row["cell"])
        got = budget.get(row["cell"])
        if row["expected"] is None:
            if got is not None:
                t.budget_wrong += 1
                t.wrongs.append(Wrong(entry["file"], row["cell"], row["label"], None, f"{got.code} ({got.source})"))
            continue
        t.budget_expected += 1
        if got is None:
            t.budget_unmatched += 1
        elif (got.code, got.source) == (row["expected"], row["source"]) and _same(got.amount, row["value"]):
            t.budget_correct += 1
        else:
            t.budget_wrong += 1
            t.wrongs.append(
                Wrong(
                    entry["file"],
                    row["cell"],
                    row["label"],
                    f"{row['expected']} ({row['source']})",
                    f"{got.code} ({got.source})",
                )
            )
    for cell, v in budget.items():
        if cell not in seen:
            t.budget_wrong += 1
            t.wrongs.append(Wrong(entry["file"], cell, "(no row of the corpus)", None, f"{v.code} ({v.source})"))


def measure(corpus: Path = CORPUS) -> dict[str, Tally]:
    """Read the whole corpus; one Tally per split and one for all files ("all")."""
    programmes, units = load_programmes(packaged_config()), load_units(packaged_config())
    tallies = {name: Tally() for name in (*SPLITS, "all")}
    for entry in load_expected(corpus):
        start = time.perf_counter()
        report = read(corpus / "files" / entry["file"], programmes, units)
        seconds = time.perf_counter() - start
        for name in (entry["split"], "all"):
            tally_file(entry, report, tallies[name])
            tallies[name].seconds += seconds
    return tallies


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def print_report(tallies: dict[str, Tally], by_indicator: bool = False, unmatched: bool = False) -> None:
    cols = ("tune", "held_out", "all")
    lines = [
        ("files", lambda t: t.files),
        ("files read (unit and period as expected)", lambda t: t.files_read),
        ("files read completely (every value, nothing wrong)", lambda t: t.files_complete),
        ("values expected on an indicator", lambda t: t.expected),
        ("  attributed correctly", lambda t: t.correct),
        ("  attributed to a WRONG indicator", lambda t: t.wrong),
        ("  left unmatched", lambda t: t.unmatched),
        ("rows with a value that must stay unmatched", lambda t: t.stay),
        ("  given to an indicator anyway (WRONG)", lambda t: t.stay_attributed),
        ("precision (correct / attributed)", lambda t: _pct(t.precision)),
        ("recall (correct / expected)", lambda t: _pct(t.recall)),
        ("budget amounts expected (sub-programme, source)", lambda t: t.budget_expected),
        ("  correct", lambda t: t.budget_correct),
        ("  WRONG (other sub-programme, or from a row that is none)", lambda t: t.budget_wrong),
        ("  left unmatched", lambda t: t.budget_unmatched),
        ("read + validate, ms per file", lambda t: f"{1000 * t.seconds / max(t.files, 1):.0f}"),
    ]
    print(f"Label corpus {CORPUS.relative_to(ROOT)}: values attributed by the current matcher")
    print(f"{'':58}" + "".join(f"{c:>10}" for c in cols))
    for name, get in lines:
        print(f"{name:58}" + "".join(f"{get(tallies[c])!s:>10}" for c in cols))
    wrongs = tallies["all"].wrongs
    print(f"\nWrong attributions: {len(wrongs)}")
    for w in wrongs:
        print(f"  {w.file} {w.cell} «{w.label}»: expected {w.expected or 'unmatched'}, got {w.got}")
    tune = tallies["tune"]
    if by_indicator:
        print("\nRecall per indicator (tune split only):")
        codes = sorted({code for code, _ in tune.by_indicator}, key=lambda c: (c[0] == "C", c))
        for code in codes:
            n, ok = tune.by_indicator[code, "expected"], tune.by_indicator[code, "correct"]
            print(f"  {code:6} {ok:4} / {n:<4} {_pct(ok / n) if n else '-':>8}")
    if unmatched:
        print(f"\nLabels left unmatched (tune split only): {len(tune.missed)}")
        for file, label, code in tune.missed:
            print(f"  {code:6} «{label}»  ({file})")


if __name__ == "__main__":
    print_report(measure(), by_indicator="--by-indicator" in sys.argv, unmatched="--unmatched" in sys.argv)
