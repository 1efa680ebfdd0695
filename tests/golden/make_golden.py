"""Golden snapshot of the demo's outputs: what `khuyencong demo` then `khuyencong run --period 2012 --period
2012-Q3 --period 2013` write, as readable text, so a change to any output shows as a diff.

    python tests/golden/make_golden.py     # regenerate tests/golden/demo-*.txt (a few minutes)

The real pipeline runs in a temporary folder: the demo workbooks of the whole programme (pipeline.demo, as the
`demo` command writes them), the `ingest_inputs` flow, then the `annual_report` and `quarterly_report` flows
for 2012, 2012-Q3 and 2013 (real Prefect runs: the caller provides a Prefect API, this script a test
harness). Outputs are found by walking outputs/ (following symlinks, each real file once, dotfiles such as the
run lock and each set's manifest.json skipped) and keyed by their path relative to their period: a file
under a folder named after a period belongs to it, otherwise the period named in the file name
("2012-Q3-gia-tri.csv"). Every file becomes text:

- PDF: the document information (title, author, subject, keywords, creator), then each page's text (pypdf);
- XLSX: the document properties and custom properties, then every sheet in order, each non-empty row as
  "row: cell, cell, ..." (openpyxl; strings quoted as JSON, numbers as Python writes them, so 17 and 17.0 and
  "17" differ, dates in ISO form, formulas as written);
- HTML: the title, the <meta> tags, then every visible text node of the body (inline SVG chart labels
  included) with its whitespace collapsed, one per line. It is not the PDF's text: the PDF is laid out from
  the same page but pypdf gives its text line by line as laid out, with page headers;
- DOCX: the core properties, each section's page (orientation, size), then the body in order: paragraphs, and
  tables row by row (python-docx);
- CSV and other text files: their lines as written (a byte-order mark and CRLF line ends are noted);
- receipts (outputs/receipts/): their text, keyed by their path under receipts/, all in one file.

Normalised, and only this (everything else, figures above all, is kept exactly):
- the run date — the day the reports were made, printed in the header ("Bình Phước, ngày 05 tháng 12 năm
  2026"), the appendices' "Kèm theo Báo cáo số ... ngày ..." and the HTML's dcterms.created — only that day
  (and the day before/after in UTC when the run spans midnight), in three exact forms: "ngày 05 tháng 12 năm
  2026" -> "ngày <dd> tháng <mm> năm <yyyy>", "2026-12-05" -> "<yyyy-mm-dd>", "05/12/2026" -> "<dd/mm/yyyy>".
  No other date is touched: the demo's dates all lie in 2011-2016. The run date is widest from October to
  February and no line that holds it wraps, so other days give the same PDF lines;
- timestamps of the files themselves are left out: PDF CreationDate/ModDate, XLSX created/modified, and the
  PDF Producer (the WeasyPrint version, which changes with an upgrade, not with this project's code);
- the sha256 of each demo workbook -> "<sha256 of 2012/bu-dang/bao-cao-bu-dang-2012-03.xlsx>", naming the
  file it is the hash of (only the exact hashes of the files under inputs/; any other hash is kept). openpyxl
  writes the time of writing into every workbook (document properties, zip entries), so the demo's bytes, and
  their hashes, differ from one generation to the next; the files' content does not;
- the temporary folder's path, should an output ever print it -> "<tmp>";
- trailing spaces at line ends (so an editor or a whitespace hook cannot break the comparison).
The demo stamps each workbook with 09:00 machine-local time; the generation runs with TZ=UTC so that received
times (and everything that follows from them) are the same on every machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from tempfile import TemporaryDirectory
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: import this tree's pipeline and flows, not an installed one
    sys.path.insert(0, str(ROOT))

GOLDEN = Path(__file__).resolve().parent
PERIODS = ("2012", "2012-Q3", "2013")  # in the order scripts/demo.sh runs them
RECEIPTS = "receipts"
HINT = "regenerate with `python tests/golden/make_golden.py` when the change is intended"
PROVINCE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


# --- running the pipeline ---------------------------------------------------------------------------------


@contextmanager
def utc_clock() -> Iterator[None]:
    """TZ=UTC for the process while the demo stamps its files (pipeline.demo uses machine-local 09:00)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def run_demo(root: Path) -> None:
    """The demo workbooks under root/inputs, one ingest, then the 2012, 2012-Q3 and 2013 reports (Prefect
    flows; a Prefect API must be available)."""
    import flows
    from pipeline import demo
    from pipeline.paths import packaged_config
    from pipeline.programme import load_programmes
    from pipeline.units import load_units

    config = packaged_config()
    with utc_clock():
        demo.generate(root / "inputs", load_programmes(config)[0], load_units(config), seed=demo.SEED)
    where = {
        "inputs": str(root / "inputs"),
        "outputs": str(root / "outputs"),
        "ledger_file": str(root / "khuyencong.sqlite"),
        "config": str(config),
    }
    flows.ingest_inputs(**where)
    for period in PERIODS:
        report_flow = flows.quarterly_report if "-" in period else flows.annual_report
        report_flow(period=period, **where)


# --- normalising --------------------------------------------------------------------------------------------


def run_days(started: datetime, ended: datetime) -> list[date]:
    """Every calendar day the run touched, on the province's clock and in UTC."""
    days = set()
    for zone in (PROVINCE_TZ, UTC):
        day, last = started.astimezone(zone).date(), ended.astimezone(zone).date()
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return sorted(days)


def input_hashes(inputs: Path) -> dict[str, str]:
    """{sha256: path under inputs/} of every input file."""
    return {
        hashlib.sha256(path.read_bytes()).hexdigest(): path.relative_to(inputs).as_posix()
        for path in sorted(inputs.rglob("*"))
        if path.is_file()
    }


def normaliser(days: list[date], tmp: Path, hashes: dict[str, str]) -> Callable[[str], str]:
    """The replacements listed in the module docstring, for these run days, this temporary folder and these
    input hashes."""
    rules: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
        (re.compile(r"\b[0-9a-f]{64}\b"), lambda m: f"<sha256 of {hashes[m[0]]}>" if m[0] in hashes else m[0])
    ]
    for d in days:
        rules += [
            (re.compile(rf"(ngày\s+)0?{d.day}(\s+tháng\s+)0?{d.month}(\s+năm\s+){d.year}\b"), r"\1<dd>\2<mm>\3<yyyy>"),
            (re.compile(rf"\b{d.isoformat()}\b"), "<yyyy-mm-dd>"),
            (re.compile(rf"\b0?{d.day}/0?{d.month}/{d.year}\b"), "<dd/mm/yyyy>"),
        ]
    for folder in sorted({str(tmp), str(tmp.resolve())}, key=len, reverse=True):
        rules.append((re.compile(re.escape(folder)), "<tmp>"))
    trailing = re.compile(r"[ \t]+$", re.MULTILINE)

    def normalise(text: str) -> str:
        for pattern, replacement in rules:
            text = pattern.sub(replacement, text)
        return trailing.sub("", text)

    return normalise


# --- outputs as text ----------------------------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(path)
    info = reader.metadata or {}
    lines = [f"{key}: {info[key]}" for key in ("/Title", "/Author", "/Subject", "/Keywords", "/Creator") if key in info]
    for n, page in enumerate(reader.pages, start=1):
        lines += [f"--- page {n}", page.extract_text()]
    return "\n".join(lines)


def cell_text(value: object) -> str:
    """One cell: strings quoted (JSON), numbers as Python writes them (17, 17.0), dates ISO, empty as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return repr(value)


def xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    props = wb.properties
    lines = [
        f"{name}: {getattr(props, name)}"
        for name in ("title", "subject", "creator", "lastModifiedBy", "keywords", "description", "category")
        if getattr(props, name)
    ]
    lines += [f"custom {p.name}: {p.value}" for p in wb.custom_doc_props]
    for ws in wb.worksheets:
        lines.append(f"--- sheet {ws.title}")
        for row in ws.iter_rows():
            cells = [cell_text(c.value) for c in row]
            while cells and cells[-1] == "":
                cells.pop()
            if cells:
                lines.append(f"{row[0].row}: " + ", ".join(cells))
    return "\n".join(lines)


class _Visible(HTMLParser):
    """The title, the <meta> tags and the body's visible text nodes of an HTML page."""

    HIDDEN = {"style", "script", "title", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            self.lines.append("meta " + " ".join(f"{k}={v!r}" for k, v in attrs))
        elif tag not in {"br", "img", "link", "hr", "input", "col", "wbr"}:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            while self.open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if not text:
            return
        if self.open and self.open[-1] == "title":
            self.lines.append(f"title {text}")
        elif not self.HIDDEN & set(self.open):
            self.lines.append(text)


def html_text(path: Path) -> str:
    parser = _Visible()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return "\n".join(parser.lines)


def plain_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"(binary, {len(data)} bytes: content not compared)"
    notes = [
        note
        for note, present in (("UTF-8 byte-order mark", text.startswith("\ufeff")), ("CRLF line ends", "\r\n" in text))
        if present
    ]
    head = f"({', '.join(notes)})\n" if notes else ""
    return head + "\n".join(text.removeprefix("\ufeff").splitlines())


def docx_text(path: Path) -> str:
    """A Word file: its core properties (but its times), then each section's page, then the body in order -
    paragraphs as their text, tables as "row: cell | cell | ..." (python-docx)."""
    from docx import Document

    word = Document(str(path))
    props = word.core_properties
    lines = [f"{name}: {getattr(props, name)}" for name in ("title", "subject", "author", "keywords", "comments")]
    for i, s in enumerate(word.sections):
        lines.append(f"section {i}: {s.orientation} {s.page_width.mm:.0f}x{s.page_height.mm:.0f} mm")
    for block in word.iter_inner_content():
        if hasattr(block, "rows"):
            lines += [f"{n}: " + " | ".join(c.text for c in row.cells) for n, row in enumerate(block.rows, 1)]
        elif block.text:
            lines.append(block.text)
    return "\n".join(lines)


READERS: dict[str, Callable[[Path], str]] = {
    ".pdf": pdf_text,
    ".xlsx": xlsx_text,
    ".html": html_text,
    ".docx": docx_text,
}


def file_text(path: Path) -> str:
    return READERS.get(path.suffix.lower(), plain_text)(path)


# --- finding the outputs ------------------------------------------------------------------------------------


def walk(folder: Path, ancestors: frozenset[str] = frozenset()) -> Iterator[Path]:
    """Every file under `folder`, following symlinks: a folder reached by two paths is walked by both (the
    caller keeps each real file once), a link back to an enclosing folder is not followed."""
    real = os.path.realpath(folder)
    if real in ancestors:
        return
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        path = Path(entry.path)
        if entry.is_dir():
            yield from walk(path, ancestors | {real})
        elif entry.is_file():
            yield path


def period_key(rel: Path) -> tuple[str, str]:
    """(period, the file's path relative to its period) for a file at `rel` under outputs/; period "" when
    the path names none."""
    for i in range(len(rel.parts) - 2, -1, -1):  # the folder nearest the file first
        if rel.parts[i] in PERIODS:
            return rel.parts[i], "/".join(rel.parts[i + 1 :])
    for code in sorted(PERIODS, key=len, reverse=True):  # 2012-Q3 before 2012
        if re.search(rf"(?<![0-9A-Za-z]){re.escape(code)}(?![0-9A-Za-z])", rel.name):
            return code, rel.name
    return "", rel.as_posix()


def outputs_by_period(outputs: Path) -> dict[str, dict[str, Path]]:
    """{period: {name relative to the period: file}} and {RECEIPTS: {path under receipts/: file}}, each real
    file once (reached through the shortest path). Two different files with one key are an error."""
    shortest: dict[str, Path] = {}
    for path in walk(outputs):
        rel = path.relative_to(outputs)
        if rel.name.startswith(".") or rel.name == "manifest.json":
            continue  # the run lock, temporaries; a published set's manifest (run id, time, sha256 of files that
            # carry their own creation time) is checked by tests/test_publish.py
        real = os.path.realpath(path)
        if real not in shortest or (len(rel.parts), str(rel)) < (len(shortest[real].parts), str(shortest[real])):
            shortest[real] = rel
    found: dict[str, dict[str, Path]] = {}
    for real, rel in sorted(shortest.items(), key=lambda item: str(item[1])):
        if rel.parts[0] == RECEIPTS:
            group, key = RECEIPTS, "/".join(rel.parts[1:])
        else:
            group, key = period_key(rel)
        files = found.setdefault(group, {})
        if key in files and Path(files[key]).read_bytes() != Path(real).read_bytes():
            raise RuntimeError(f"two different outputs are both {group}/{key}: {files[key]} and {real}")
        files[key] = Path(real)
    return found


def snapshot(outputs: Path, normalise: Callable[[str], str]) -> dict[str, str]:
    """{snapshot file name: its text}: demo-<period>.txt per period, demo-receipts.txt, and demo-other.txt
    for outputs that belong to no period (none today)."""
    found = outputs_by_period(outputs)
    texts: dict[str, str] = {}
    for group, files in found.items():
        what = {RECEIPTS: "receipts", "": "outputs outside any period"}.get(group, f"{group} outputs")
        parts = [f"# Golden snapshot: the demo's {what} ({len(files)} files); {HINT}."]
        for key in sorted(files):
            parts.append(f"=== {key}\n{file_text(files[key]).rstrip()}")
        name = {RECEIPTS: "demo-receipts.txt", "": "demo-other.txt"}.get(group, f"demo-{group}.txt")
        texts[name] = normalise("\n\n".join(parts) + "\n")
    return texts


def build(root: Path) -> dict[str, str]:
    """Run the demo under `root` (a Prefect API must be available) and return the normalised snapshot."""
    started = datetime.now(UTC)
    run_demo(root)
    days = run_days(started, datetime.now(UTC))
    return snapshot(root / "outputs", normaliser(days, root, input_hashes(root / "inputs")))


def committed() -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(GOLDEN.glob("demo-*.txt"))}


def write(texts: dict[str, str]) -> None:
    """Replace the committed snapshot with `texts` (files no longer produced are removed)."""
    for old in GOLDEN.glob("demo-*.txt"):
        if old.name not in texts:
            old.unlink()
    for name, text in texts.items():
        (GOLDEN / name).write_text(text, encoding="utf-8", newline="\n")


def main() -> None:
    from prefect.testing.utilities import prefect_test_harness

    with TemporaryDirectory(prefix="khuyencong-golden-") as tmp, prefect_test_harness(server_startup_timeout=600):
        texts = build(Path(tmp))
    write(texts)
    for name, text in sorted(texts.items()):
        print(f"tests/golden/{name}: {len(text.encode()):,} bytes, {text.count(chr(10)):,} lines")


if __name__ == "__main__":
    main()
