"""The province's vocabulary of row labels: what the matcher left unmatched across all received files, and the
decisions that teach it (`khuyencong labels`, and the web portal, call these functions).

A decision maps one label (compared by pipeline.text.match_key: no numbering, case, accents or punctuation) to an
indicator, or sets it aside as no indicator. It is kept as data in <config>/label-decisions.yaml (label,
indicator or none, who, when). After a decision, every stored file holding that label - and only those - is
read again from the archive through the normal stages (read_report, validate); its values, problems and label
rows are replaced in the ledger, the values taken by the decision carry it as their basis, the re-reading is
recorded (ledger table `rereads`) and the file's receipt is issued again, saying what changed. Undoing a
decision works the same way.

Two rows of one file on one indicator: a mapping that would do this is refused, nothing is recorded, and the
message names the file and both cells (the officers' figures are never summed by a guess: the district says
which row it meant, or the label is mapped to another indicator).
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from pipeline import ledger, receipts
from pipeline.files import write_atomic
from pipeline.formatting import number
from pipeline.intake import write_owed
from pipeline.layout import read_report
from pipeline.matching import DECISIONS_FILE, Decision, Decisions, Vocabulary, load_vocabulary, with_decisions
from pipeline.problems import DUPLICATE_ROW
from pipeline.programme import Programme
from pipeline.reading import FileInfo
from pipeline.received import FILE_DATE, Received
from pipeline.text import match_key, nfc
from pipeline.units import UnitRegistry
from pipeline.validating import ValidationReport, validate


class DecisionRefused(ValueError):
    """A decision that cannot be taken (unknown indicator, two rows of a file on one indicator, nothing to undo)."""


@dataclass
class Pending:
    """One unmatched label across the received files."""

    label: str  # as first written
    key: str  # pipeline.text.match_key(label)
    files: set[str] = field(default_factory=set)
    units: set[str] = field(default_factory=set)
    suggestions: dict[str, float] = field(default_factory=dict)  # indicator -> best score seen


@dataclass(frozen=True)
class Outcome:
    """What a decision did: the decision, and for each file read again, what changed."""

    decision: str  # "«label» → P1.2" (Vietnamese, as the receipts say it)
    changed: dict[str, list[str]]  # file name -> lines of what changed ("P1.2: (chưa có) → 12")


def unmatched(conn: Connection) -> list[Pending]:
    """Every label left unmatched (with a value) in the stored files, most files first."""
    rows = conn.execute(
        text("""SELECT l.label, l.label_key, l.unit, l.candidates, s.file_name FROM label_rows l
                JOIN submissions s ON s.id = l.submission_id WHERE l.code = '' AND l.basis = ''
                ORDER BY l.submission_id, l.seq""")
    )
    out: dict[str, Pending] = {}
    for label, key, unit, candidates, file_name in rows:
        p = out.setdefault(key, Pending(label, key))
        p.files.add(file_name)
        if unit:
            p.units.add(unit)
        for part in filter(None, (c.strip() for c in candidates.split(";"))):
            code, _, score = part.partition(" ")
            value = float(score.replace(",", ".") or 0)
            p.suggestions[code] = max(value, p.suggestions.get(code, 0.0))
    return sorted(out.values(), key=lambda p: (-len(p.files), p.key))


def decisions(config_dir: Path) -> list[Decision]:
    """The decisions recorded in <config>/label-decisions.yaml (none if there is no such file)."""
    vocabulary = load_vocabulary(config_dir)
    return list(vocabulary.decisions) if vocabulary is not None else []


def decide(
    conn: Connection,
    config_dir: Path,
    archive_dir: Path,
    receipts_dir: Path,
    programmes: list[Programme],
    units: UnitRegistry,
    label: str,
    indicator: str | None,
    by: str | None = None,
    undo: bool = False,
) -> Outcome:
    """Record a decision on `label` (map to `indicator`, or ignore when `indicator` is None; `undo` removes the
    decision on it) and read again every stored file holding the label. Raises DecisionRefused, having changed
    nothing, for an unknown indicator, a mapping that puts two rows of one file on one indicator, or an undo of
    a label never decided."""
    label = nfc(label).strip()
    key = match_key(label)
    if not key:
        raise DecisionRefused("nhãn trống")
    known = {code for p in programmes for code in p.indicators}
    if indicator is not None and indicator not in known:
        raise DecisionRefused(f"không có chỉ tiêu {indicator} (các chỉ tiêu: {', '.join(sorted(known))})")
    before = decisions(config_dir)
    kept = [d for d in before if match_key(d.label) != key]
    if undo:
        if len(kept) == len(before):
            raise DecisionRefused(f"chưa có quyết định nào cho nhãn «{label}»")
        after = kept
        said = f"hủy quyết định về nhãn «{label}»"
    else:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        after = [*kept, Decision(label=label, indicator=indicator, by=by or _who(), at=at)]
        said = f"«{label}» → {indicator}" if indicator else f"«{label}»: không phải chỉ tiêu (bỏ qua)"
    vocabulary = _vocabulary(config_dir, programmes)
    taught_words = with_decisions(vocabulary, after)
    taught = [p.model_copy(update={"vocabulary": taught_words}) for p in programmes]
    affected = _affected(conn, key)
    readings = [(sub, _read_again(sub, archive_dir, taught, units)) for sub in affected]
    for sub, r in readings:
        _refuse_duplicates(sub, r, key)
    _write_decisions(config_dir, after)
    changed: dict[str, list[str]] = {}
    try:
        for sub, r in readings:
            lines = _changes(conn, sub["id"], r)
            ledger.replace_reading(conn, sub["id"], r, said, "\n".join(lines))
            changed[sub["file_name"]] = lines
            ledger.owe_receipts(conn, [_receipt(conn, sub, r, said, lines, receipts_dir)], commit=False)
        conn.commit()
    except BaseException:
        conn.rollback()
        _write_decisions(config_dir, before)
        raise
    write_owed(conn, receipts_dir)
    return Outcome(said, changed)


def _who() -> str:
    return os.environ.get("USER") or getpass.getuser()


def _vocabulary(config_dir: Path, programmes: list[Programme]) -> Vocabulary:
    found = next((p.vocabulary for p in programmes if p.vocabulary is not None), None) or load_vocabulary(config_dir)
    if found is None:
        raise DecisionRefused(f"thư mục cấu hình {config_dir} chưa có tệp labels.yaml")
    return found


def _write_decisions(config_dir: Path, items: list[Decision]) -> None:
    data = Decisions(decisions=tuple(items)).model_dump(mode="json")
    header = "# Decisions on row labels, written by `khuyencong labels` (pipeline/labels.py): edit with that command.\n"
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    write_atomic(config_dir / DECISIONS_FILE, (header + body).encode("utf-8"))


def _affected(conn: Connection, key: str) -> list[dict]:
    """The stored files holding a row with this label (matched or not), oldest first."""
    query = text(
        """SELECT id, sha256, file_name, size, file_date, received_at, received_basis, received_flag
           FROM submissions WHERE id IN (SELECT submission_id FROM label_rows WHERE label_key = :key) ORDER BY id"""
    )
    return [r._asdict() for r in conn.execute(query, {"key": key})]


def _read_again(sub: dict, archive_dir: Path, programmes: list[Programme], units: UnitRegistry) -> ValidationReport:
    """A stored file read again from its archived copy, through the intake's stages."""
    name = sub["file_name"]
    suffix = Path(name).suffix.lower()
    path = archive_dir / sub["sha256"][:2] / f"{sub['sha256']}{suffix if len(suffix) <= 6 else ''}"
    info = FileInfo(
        path=path,
        name=name,
        sha256=sub["sha256"],
        size=sub["size"],
        modified=datetime.fromisoformat(sub["file_date"]) if sub["file_date"] else datetime.now(UTC),
        rel=name,
    )
    return validate(read_report(info, programmes, units), units)


def _refuse_duplicates(sub: dict, r: ValidationReport, key: str) -> None:
    """Refuse a decision that puts two rows of one file on one indicator, naming the file and both cells."""
    for p in r.problems:
        if p.code == DUPLICATE_ROW:
            raise DecisionRefused(
                f"tệp «{sub['file_name']}» sẽ có hai dòng cho cùng một mục ({p.expected}): {p.message} "
                "Quyết định không được ghi."
            )


def _changes(conn: Connection, sid: int, r: ValidationReport) -> list[str]:
    """What the new reading changes in the file's values: "P1.2: (chưa có) → 12", "P1.3: 5 → (không còn)"."""
    old = {
        (k, c, s): ledger.from_milli(m)
        for k, c, s, m in conn.execute(
            text("SELECT kind, code, source, milli FROM submission_values WHERE submission_id = :sid"), {"sid": sid}
        )
    }
    new = {(v.kind, v.code, v.source): v.amount for v in r.values}
    lines = []
    for k in sorted(set(old) | set(new)):
        a, b = old.get(k), new.get(k)
        if a != b:
            what = k[1] + (f" ({k[2]})" if k[2] else "")
            was = number(a) if a is not None else "(chưa có)"
            lines.append(f"{what}: {was} → {number(b) if b is not None else '(không còn)'}")
    return lines or ["không thay đổi giá trị nào"]


def _receipt(conn: Connection, sub: dict, r: ValidationReport, said: str, lines: list[str], receipts_dir: Path) -> dict:
    """The file's receipt issued again (where its earlier receipt is), saying why and what changed."""
    folder = str(receipts_dir.resolve())
    path = conn.execute(
        text("""SELECT path FROM receipts WHERE sha256 = :sha AND folder = :folder AND kind = 'submission'
                ORDER BY id DESC LIMIT 1"""),
        {"sha": sub["sha256"], "folder": folder},
    ).scalar()
    when = Received(
        datetime.fromisoformat(sub["received_at"]), sub["received_basis"] or FILE_DATE, sub["received_flag"] or ""
    )
    today = datetime.now(UTC).strftime("%d/%m/%Y")
    head = [
        f"BIÊN NHẬN CẤP LẠI ngày {today}: tệp được đọc lại theo quyết định {receipts.line(said)}.",
        "Thay đổi:",
        *(f"- {receipts.line(x)}" for x in lines),
        "",
    ]
    return {
        "folder": folder,
        "path": path or receipts.receipt_relpath(sub["file_name"]),
        "name": sub["file_name"],
        "sha256": sub["sha256"],
        "kind": "submission",
        "detail": "",
        "text": "\n".join(head) + receipts.receipt_text(r, when),
    }


def rereads(conn: Connection, sids: list[int] | None = None) -> list[dict]:
    """The re-readings recorded (submission, when, decision, changes), oldest first."""
    sql = "SELECT submission_id, at, decision, changes FROM rereads"
    if sids is None:
        return [r._asdict() for r in conn.execute(text(sql + " ORDER BY id"))]
    query = text(sql + " WHERE submission_id IN :sids ORDER BY id").bindparams(bindparam("sids", expanding=True))
    return [r._asdict() for r in conn.execute(query, {"sids": sids})]
