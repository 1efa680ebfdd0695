"""The demo's outputs are what they were: the 2012, 2012-Q3 and 2013 reports (PDF text, every Excel cell, the
CSVs, the HTML text) and every receipt, compared with the snapshot committed under tests/golden/.

One demo ingest and three report runs through real Prefect flows (tests/golden/make_golden.py says what the
snapshot holds and what is normalised). When an output is meant to change, regenerate the snapshot with
`python tests/golden/make_golden.py` and commit the diff with the change.
"""

from __future__ import annotations

import difflib
import importlib.util
import re
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("make_golden", Path(__file__).parent / "golden" / "make_golden.py")
make_golden = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(make_golden)

CONTEXT, WINDOW, MAX_LINES = 3, 400, 60  # diff context lines; lines diffed after the first difference; shown


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory, harness) -> dict[str, str]:
    return make_golden.build(tmp_path_factory.mktemp("golden"))


def first_differences(name: str, expected: str, actual: str) -> str:
    """A unified diff of the first differences between two texts, at most MAX_LINES lines (only a window
    after the first differing line is diffed: a change on every page stays quick to show)."""
    old, new = expected.splitlines(keepends=True), actual.splitlines(keepends=True)
    start = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
    start = max(0, start - CONTEXT)
    diff = difflib.unified_diff(
        old[start : start + WINDOW],
        new[start : start + WINDOW],
        n=CONTEXT,
        fromfile=f"tests/golden/{name} (committed)",
        tofile=f"{name} (this run)",
    )

    def shift(m: re.Match[str]) -> str:  # hunk line numbers in the whole file, not in the window
        return f"-{int(m[1]) + start}{m[2] or ''} +{int(m[3]) + start}{m[4] or ''}"

    lines = [
        re.sub(r"-(\d+)(,\d+)? \+(\d+)(,\d+)?", shift, line, count=1) if line.startswith("@@") else line
        for line in diff
    ]
    shown = "".join(lines[:MAX_LINES])
    more = f"... ({len(lines) - MAX_LINES} more diff lines in this window)\n" if len(lines) > MAX_LINES else ""
    return shown + more


def test_demo_outputs_match_the_golden_snapshot(snapshot: dict[str, str]) -> None:
    committed = make_golden.committed()
    assert committed, f"no snapshot under tests/golden/: {make_golden.HINT}"
    problems = []
    for name in sorted(committed.keys() | snapshot.keys()):
        if name not in snapshot:
            problems.append(f"tests/golden/{name} is committed but this run produced nothing for it\n")
        elif name not in committed:
            problems.append(f"this run produced {name} ({snapshot[name].count(chr(10))} lines), not committed\n")
        elif committed[name] != snapshot[name]:
            problems.append(first_differences(name, committed[name], snapshot[name]))
    if problems:
        pytest.fail(f"the demo's outputs changed ({make_golden.HINT}):\n\n" + "\n".join(problems), pytrace=False)


def test_the_snapshot_is_not_vacuous() -> None:
    """The committed snapshot holds every output kind for every period, and the receipts."""
    committed = make_golden.committed()
    assert "demo-receipts.txt" in committed and committed["demo-receipts.txt"].count("=== ") > 600
    for period in make_golden.PERIODS:
        text = committed[f"demo-{period}.txt"]
        for recipient in ("ubnd-tinh", "bo-cong-thuong"):
            for ext in ("pdf", "xlsx", "html"):
                assert f"=== bao-cao-{period}-{recipient}.{ext}\n" in text
        assert f"=== {period}-gia-tri.csv\n" in text and f"=== {period}-so-lieu.csv\n" in text
        assert "--- page 1\n" in text and "--- sheet PhuLuc01\n" in text


def test_only_the_run_date_input_hashes_and_temporary_folder_are_normalised(tmp_path: Path) -> None:
    from datetime import date

    sha, other = "6ec4af2026" + "0" * 54, "1" * 64
    normalise = make_golden.normaliser([date(2026, 12, 5)], tmp_path, {sha: "2012/bu-dang/a b.xlsx"})
    text = (
        "Bình Phước, ngày 05 tháng 12 năm 2026\n(Kèm theo Báo cáo số /BC-SCT ngày 05 tháng 12\nnăm 2026)  \n"
        "Quyết định số 2818/QĐ-UBND ngày 20 tháng 12 năm 2011; ngày 05 tháng 12 năm 2012\n"
        "created 2026-12-05, received 2012-12-05T09:00:00+00:00, 05/12/2026, 05/12/2012\n"
        f"sha 6ec4af2026-12-05a, 1.260,5 triệu đồng, 2026 cơ sở, {tmp_path}/outputs/x.pdf\n"
        f"{sha},{other},x{sha}"
    )
    assert normalise(text) == (
        "Bình Phước, ngày <dd> tháng <mm> năm <yyyy>\n(Kèm theo Báo cáo số /BC-SCT ngày <dd> tháng <mm>\n"
        "năm <yyyy>)\n"
        "Quyết định số 2818/QĐ-UBND ngày 20 tháng 12 năm 2011; ngày 05 tháng 12 năm 2012\n"
        "created <yyyy-mm-dd>, received 2012-12-05T09:00:00+00:00, <dd/mm/yyyy>, 05/12/2012\n"
        "sha 6ec4af2026-12-05a, 1.260,5 triệu đồng, 2026 cơ sở, <tmp>/outputs/x.pdf\n"
        f"<sha256 of 2012/bu-dang/a b.xlsx>,{other},x{sha}"
    )


def test_outputs_are_found_through_symlinks_and_keyed_by_period(tmp_path: Path) -> None:
    """A period's set in a versioned folder reached through reports/<period>, CSVs beside it or in export/."""
    out = tmp_path / "outputs"
    version = out / "reports" / ".versions" / "2012-Q3" / "20261205T101500"
    for rel in (
        "export/2012-gia-tri.csv",
        "export/2012-Q3-so-lieu.csv",
        "reports/2012/bao-cao-2012-x.pdf",
        "receipts/2012/bu-dang/a.xlsx.txt",
        ".khuyencong.lock",
        "reports/index.html",
    ):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(rel)
    version.mkdir(parents=True)
    (version / "bao-cao-2012-Q3-x.pdf").write_text("q3")
    (version / "2012-Q3-gia-tri.csv").write_text("q3 values")
    (out / "reports" / "2012-Q3").symlink_to(version)
    (out / "reports" / "loop").symlink_to(out / "reports")
    found = {
        group: {key: path.read_text() for key, path in files.items()}
        for group, files in make_golden.outputs_by_period(out).items()
    }
    assert found == {
        "2012": {
            "2012-gia-tri.csv": "export/2012-gia-tri.csv",
            "bao-cao-2012-x.pdf": "reports/2012/bao-cao-2012-x.pdf",
        },
        "2012-Q3": {
            "2012-Q3-so-lieu.csv": "export/2012-Q3-so-lieu.csv",
            "bao-cao-2012-Q3-x.pdf": "q3",
            "2012-Q3-gia-tri.csv": "q3 values",
        },
        "receipts": {"2012/bu-dang/a.xlsx.txt": "receipts/2012/bu-dang/a.xlsx.txt"},
        "": {"reports/index.html": "reports/index.html"},
    }
