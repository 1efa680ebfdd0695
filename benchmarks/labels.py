"""Benchmark: how many values of the label corpus reach the right indicator.

    .venv/bin/python benchmarks/labels.py [--by-indicator] [--unmatched]
    .venv/bin/python benchmarks/labels.py --after-mapping

Reads every workbook of tests/data/labels/files/ through the project's intake path (pipeline.layout.read_report,
pipeline.validating.validate) and compares the values attributed to indicators with tests/data/labels/expected.yaml
(written by tests/data/labels/make_labels.py). Prints, for the tune and held-out splits separately: values expected,
attributed correctly, attributed to a wrong indicator, left unmatched; rows that must stay unmatched and how many
got a value anyway; precision (correct / attributed) and recall (correct / expected); the same for budget rows
(sub-programme and source); and every wrong attribution. --by-indicator adds recall per indicator and
--unmatched the labels left unmatched, both for the tune split only: the held-out third is never used to tune.

--after-mapping measures one round of `khuyencong labels --map/--ignore` decisions on the held-out split
(mapping_round): its files ingested into a real ledger in a temporary folder, every label listed decided once as
the corpus answers it, the values read back from the ledger; prints the decisions (mapped, ignored, refused) and
the figures before and after.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's pipeline/, not an installed one

from sqlalchemy.engine import Connection  # noqa: E402

from pipeline import intake, ledger  # noqa: E402
from pipeline import labels as vocab  # noqa: E402
from pipeline.layout import read_report  # noqa: E402
from pipeline.paths import packaged_config  # noqa: E402
from pipeline.programme import Programme, load_programmes  # noqa: E402
from pipeline.reading import file_info  # noqa: E402
from pipeline.text import match_key  # noqa: E402
from pipeline.units import UnitRegistry, load_units  # noqa: E402
from pipeline.validating import ValidationReport, validate  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "labels"
SPLITS = ("tune", "held_out")


class Found(Protocol):
    """A value as read (pipeline.validating) or as stored in the ledger."""

    kind: str
    code: str
    source: str
    amount: Decimal
    cell: str


@dataclass(frozen=True)
class Stored:
    """A value read back from the ledger's submission_values."""

    kind: str
    code: str
    source: str
    amount: Decimal
    cell: str


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
    unit = report.unit.code if report.unit else None
    period = report.period.code if report.period else None
    tally_values(entry, unit, period, report.values, t)


def tally_values(entry: dict, unit: str | None, period: str | None, found: Iterable[Found], t: Tally) -> None:
    """Compare one file's unit, period and values (read, or stored in a ledger) with its expectations."""
    t.files += 1
    t.files_read += (unit, period) == (entry["unit"], entry["period"])
    found = list(found)
    values = {v.cell: v for v in found if v.kind == "indicator"}
    budget = {v.cell: v for v in found if v.kind == "budget"}
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


@dataclass
class Round:
    """One round of `labels --map/--ignore` decisions on one split, taken as the province's staff would."""

    before: Tally
    after: Tally
    listed: int = 0  # labels `khuyencong labels` listed
    mapped: list[tuple[str, str]] = field(default_factory=list)  # label, indicator
    ignored: list[str] = field(default_factory=list)
    refused: list[tuple[str, str | None, str]] = field(default_factory=list)  # label, decision, message
    undecided: list[tuple[str, str]] = field(default_factory=list)  # label, why no decision (corpus is silent/split)
    files_reread: int = 0
    seconds_ingest: float = 0.0
    seconds_decisions: float = 0.0


def corpus_answers(entries: list[dict]) -> dict[str, set[str | None]]:
    """match_key(label) -> what the corpus says its rows carry (an indicator, or None: no indicator), over the rows
    with a value: the answer the staff give when `khuyencong labels` lists the label."""
    out: dict[str, set[str | None]] = {}
    for e in entries:
        for row in e["rows"]:
            if row["value"] is not None:
                out.setdefault(match_key(row["label"]), set()).add(row["expected"])
    return out


def tally_ledger(conn: Connection, entries: list[dict]) -> Tally:
    """The values stored in the ledger, file by file, compared with the corpus's expectations."""
    subs = {r.file_name: r for r in ledger.submissions_frame(conn).itertuples()}
    found: dict[int, list[Stored]] = {}
    for r in ledger.values_frame(conn).itertuples():
        found.setdefault(r.submission_id, []).append(
            Stored(r.kind, r.code, r.source, ledger.from_milli(r.milli), r.cell)
        )
    t = Tally()
    for e in entries:
        sub = subs.get(e["file"])
        if sub is None:  # never stored: every value missed
            tally_values(e, None, None, [], t)
        else:
            tally_values(e, sub.unit_code, sub.period_code, found.get(sub.id, []), t)
    return t


def mapping_round(workdir: Path, corpus: Path = CORPUS, split: str = "held_out") -> Round:
    """Ingest the split's files into a real ledger (a copy of the packaged config, the normal intake: archive,
    read, store, receipts), then decide once on every label `khuyencong labels` lists, as the corpus answers it:
    map it to its indicator, or ignore it when its rows are no indicator (pipeline.labels.decide, which reads
    the affected files again from the archive). A refused decision is counted, not worked around; a label the
    corpus gives no single answer for is left undecided. Precision and recall from the ledger, before and after."""
    config, inputs, archive = workdir / "config", workdir / "inputs", workdir / "archive"
    receipts, db = workdir / "outputs" / "receipts", workdir / "khuyencong.sqlite"
    shutil.copytree(packaged_config(), config)
    inputs.mkdir(parents=True)
    entries = [e for e in load_expected(corpus) if e["split"] == split]
    for e in entries:
        shutil.copy2(corpus / "files" / e["file"], inputs / e["file"])
    programmes, units = load_programmes(config), load_units(config)
    answers = corpus_answers(entries)
    with ledger.open_ledger(db) as conn:
        start = time.perf_counter()
        pending = intake.find_pending(inputs, conn, archive)
        intake.store(conn, intake.process(pending.new, programmes, units), pending.copies, receipts)
        intake.remember(conn, pending.known, pending.refused, receipts)
        intake.write_owed(conn, receipts)
        result = Round(before=tally_ledger(conn, entries), after=Tally())
        result.seconds_ingest = time.perf_counter() - start
        listed = vocab.unmatched(conn)
        result.listed = len(listed)
        start = time.perf_counter()
        for p in listed:
            said = answers.get(p.key, set())
            if len(said) != 1:
                why = "not a row of the corpus" if not said else "the corpus says " + ", ".join(map(str, said))
                result.undecided.append((p.label, why))
                continue
            (code,) = said
            try:
                done = vocab.decide(conn, config, archive, receipts, programmes, units, p.label, code, by="benchmark")
            except vocab.DecisionRefused as refused:
                result.refused.append((p.label, code, str(refused)))
                continue
            result.files_reread += len(done.changed)
            if code is None:
                result.ignored.append(p.label)
            else:
                result.mapped.append((p.label, code))
            programmes = load_programmes(config)  # as the next `khuyencong` command reads its config
        result.seconds_decisions = time.perf_counter() - start
        result.after = tally_ledger(conn, entries)
    return result


def print_round(r: Round) -> None:
    t0, t1 = r.before, r.after
    print(f"One round of `labels --map/--ignore` decisions on the held-out split ({t0.files} files, real ledger)")
    print(f"labels listed by `khuyencong labels`: {r.listed}")
    print(f"  mapped {len(r.mapped)}, ignored {len(r.ignored)}, refused {len(r.refused)}, undecided {len(r.undecided)}")
    print(f"  files read again: {r.files_reread}")
    print(f"{'':52}{'before':>10}{'after':>10}")
    lines = [
        ("files read completely (every value, nothing wrong)", lambda t: t.files_complete),
        ("values expected on an indicator", lambda t: t.expected),
        ("  attributed correctly", lambda t: t.correct),
        ("  attributed to a WRONG indicator", lambda t: t.wrong),
        ("  left unmatched", lambda t: t.unmatched),
        ("rows that must stay unmatched given a value (WRONG)", lambda t: t.stay_attributed),
        ("precision (correct / attributed)", lambda t: _pct(t.precision)),
        ("recall (correct / expected)", lambda t: _pct(t.recall)),
        ("budget amounts correct / expected", lambda t: f"{t.budget_correct}/{t.budget_expected}"),
    ]
    for name, get in lines:
        print(f"{name:52}{get(t0)!s:>10}{get(t1)!s:>10}")
    print(f"ingest {r.seconds_ingest:.1f} s; decisions and re-readings {r.seconds_decisions:.1f} s")
    for label, code in r.mapped:
        print(f"  mapped «{label}» → {code}")
    for label, code, message in r.refused:
        print(f"  refused «{label}» → {code or 'ignore'}: {message}")
    for label, why in r.undecided:
        print(f"  undecided «{label}»: {why}")
    for file, label, code in t1.missed:
        print(f"  still unmatched: {code:6} «{label}»  ({file})")
    for w in t1.wrongs:
        print(f"  WRONG: {w.file} {w.cell} «{w.label}»: expected {w.expected or 'unmatched'}, got {w.got}")


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
    if "--after-mapping" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            print_round(mapping_round(Path(tmp)))
    else:
        print_report(measure(), by_indicator="--by-indicator" in sys.argv, unmatched="--unmatched" in sys.argv)
