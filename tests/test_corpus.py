"""The reading corpus: every workbook in tests/data/corpus/files/ read and validated, compared exactly with
tests/data/corpus/expected.yaml (written by tests/data/corpus/make_corpus.py from how each file was built):
status, unit, period, every value (kind, code, source, amount, cell) and every problem (code, severity, cell).

Regenerate the corpus with `.venv/bin/python tests/data/corpus/make_corpus.py` after changing the script.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from pipeline.layout import read_report
from pipeline.reading import file_info
from pipeline.validating import ValidationReport, validate

CORPUS = Path(__file__).parent / "data" / "corpus"
FILES = CORPUS / "files"
ENTRIES: list[dict] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))["files"]

# What the corpus must cover (the issue's list): each tag names one way districts' files differ.
REQUIRED_TAGS = {
    # formats
    "xlsx",
    "xlsm",
    "xls",
    "ods",
    # templates officers changed
    "rows-inserted",
    "column-inserted",
    "header-moved",
    "sheet-renamed",
    "extra-sheets",
    "merged-header",
    "blank-rows",
    "hidden-rows",
    "totals-match",
    "totals-mismatch",
    # numbers as officers type them, and the cross-checks
    "ambiguous-number",
    "money-comma-decimal",
    "money-dot-decimal",
    "number-with-unit",
    "dash",
    "empty-string",
    "x",
    "not-a-number",
    "not-whole",
    "negative",
    "above-target",
    "province-only",
    # units and periods as officers write them
    "unit-ubnd",
    "unit-abbrev",
    "unit-ascii",
    "unit-tx",
    "period-month-slash",
    "period-quarter-roman",
    "period-quarter-words",
    "period-half",
    "period-year",
    "unit-not-in-period",
    # text encodings
    "tcvn3-xlsx",
    "tcvn3-vntimeh",
    "vni-xlsx",
    "tcvn3-xls",
    "nfd",
    # the traditional free layout
    "free-layout",
    "free-two-row-header",
    "free-unmatched",
    "free-total-row",
    # formulas, duplicates
    "formula-no-value",
    "formula-cached",
    "duplicate-row",
    # hostile files
    "hostile-empty",
    "hostile-truncated",
    "hostile-csv",
    "hostile-html",
    "hostile-zip-bomb",
    "hostile-xml-entities",
    "hostile-password",
    "hostile-million-rows",
    "odd-file-name",
}


def _params() -> list:
    params = []
    for entry in ENTRIES:
        marks = [pytest.mark.xfail(reason=entry["xfail"], strict=True)] if entry.get("xfail") else []
        params.append(
            pytest.param(entry, id=entry["file"].rsplit(".", 1)[0].encode("ascii", "replace").decode(), marks=marks)
        )
    return params


def _read(name: str, programmes, units) -> ValidationReport:
    path = FILES / name
    return validate(read_report(file_info(path, FILES), programmes, units), units)


@pytest.mark.parametrize("entry", _params())
def test_corpus_file(entry: dict, programmes, units) -> None:
    report = _read(entry["file"], programmes, units)
    problems = sorted((p.code, p.severity.value, p.cell) for p in report.problems)
    assert problems == sorted(tuple(p) for p in entry["problems"])
    values = sorted((v.kind, v.code, v.source, format(v.amount, "f"), v.cell) for v in report.values)
    assert values == sorted(tuple(v) for v in entry["values"])
    assert (report.unit.code if report.unit else None) == entry["unit"]
    assert (report.period.code if report.period else None) == entry["period"]
    assert report.status.value == entry["status"]


def test_corpus_covers_every_point() -> None:
    assert len(ENTRIES) >= 30
    covered = set().union(*(set(e["covers"]) for e in ENTRIES))
    assert REQUIRED_TAGS - covered == set()


def test_corpus_files_match_expectations() -> None:
    """Every file has its expectations and every expectation its file; files stay small."""
    names = [e["file"] for e in ENTRIES]
    assert [n for n, k in Counter(names).items() if k > 1] == []
    assert sorted(p.name for p in FILES.iterdir()) == sorted(names)
    assert all(p.stat().st_size < 100_000 for p in FILES.iterdir())
    for e in ENTRIES:
        assert e["status"] in ("accepted", "accepted_with_warnings", "rejected")
        assert e["description"] and e["covers"]
        assert all(len(v) == 5 for v in e["values"]) and all(len(p) == 3 for p in e["problems"])


def test_corpus_is_what_the_script_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The committed files and expectations are exactly what make_corpus.py (deterministic) writes."""
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    make_corpus = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_corpus", make_corpus)  # dataclasses look their module up there
    spec.loader.exec_module(make_corpus)
    make_corpus.main(tmp_path)
    assert (tmp_path / "expected.yaml").read_bytes() == (CORPUS / "expected.yaml").read_bytes()
    fresh = {p.name: p.read_bytes() for p in (tmp_path / "files").iterdir()}
    committed = {p.name: p.read_bytes() for p in FILES.iterdir()}
    assert sorted(fresh) == sorted(committed)
    assert [name for name in fresh if fresh[name] != committed[name]] == []
