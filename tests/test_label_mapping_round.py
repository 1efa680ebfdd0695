"""One round of `khuyencong labels --map/--ignore` decisions on the held-out third of the label corpus (issue 14):
the held-out files ingested into a real ledger through the normal intake, every label `khuyencong labels` lists
decided once as the corpus answers it (pipeline.labels.decide, which reads the affected files again from the
archive), and the values read back from the ledger. Before the round: the figures the benchmark reads (precision
100 %, recall 96.4 %); after it: every expected value on its indicator, none on a wrong one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from sqlalchemy import text

from pipeline import ledger
from pipeline.programme import Programme
from pipeline.units import UnitRegistry

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "data" / "labels"


def _module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


bench = _module("labels_benchmark_round", ROOT / "benchmarks" / "labels.py")


@pytest.fixture(scope="module")
def round_(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    workdir = tmp_path_factory.mktemp("mapping-round")
    return workdir, bench.mapping_round(workdir, LABELS, "held_out")


def test_before_the_round_the_ledger_holds_what_the_benchmark_reads(
    round_: tuple[Path, object], programmes: list[Programme], units: UnitRegistry
) -> None:
    """The intake's stored values equal a direct read of the same files: the round starts from the figures the
    README gives without mapping."""
    _, r = round_
    direct = bench.Tally()
    for e in bench.load_expected(LABELS):
        if e["split"] == "held_out":
            bench.tally_file(e, bench.read(LABELS / "files" / e["file"], programmes, units), direct)
    before = r.before
    assert before.files == direct.files == 22 and before.files_read == 22
    assert (before.expected, before.correct, before.unmatched) == (direct.expected, direct.correct, direct.unmatched)
    assert (before.wrong, before.stay_attributed, before.budget_wrong) == (0, 0, 0)
    assert before.unmatched > 0 and before.recall < 1.0


def test_one_round_of_decisions_reads_every_value(round_: tuple[Path, object]) -> None:
    """Every listed label decided once, none refused or left undecided; afterwards precision and recall are
    100 % and every file is read completely."""
    workdir, r = round_
    assert r.refused == [] and r.undecided == []
    assert r.mapped and r.ignored and len(r.mapped) + len(r.ignored) == r.listed
    assert {code for _, code in r.mapped} <= {row["expected"] for e in bench.load_expected(LABELS) for row in e["rows"]}
    after = r.after
    assert (after.wrong, after.stay_attributed, after.budget_wrong) == (0, 0, 0)
    assert after.precision == 1.0
    assert after.recall == 1.0 and after.unmatched == 0 and after.correct == r.before.expected
    assert after.files_complete == after.files == 22
    assert after.budget_correct == r.before.budget_correct  # decisions on labels leave the budget table alone

    saved = yaml.safe_load((workdir / "config" / "label-decisions.yaml").read_text(encoding="utf-8"))["decisions"]
    assert len(saved) == r.listed and {d["by"] for d in saved} == {"benchmark"}
    with ledger.open_ledger(workdir / "khuyencong.sqlite") as conn:
        taken = conn.execute(
            text("SELECT COUNT(*) FROM submission_values WHERE kind = 'indicator' AND basis LIKE 'theo quyết định%'")
        ).scalar_one()
        reread = conn.execute(text("SELECT COUNT(*) FROM rereads")).scalar_one()
    assert taken == after.correct - r.before.correct  # the values the round added name the decision
    assert reread == r.files_reread
