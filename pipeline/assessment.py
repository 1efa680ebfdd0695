"""The office's own text for a period's report: `assessments/<period>.md`, written by the Sở's staff in Markdown,
one part per place in the report, each part opened by a heading that names it (see PARTS). Read into plain typed
blocks (paragraphs and list items made of text runs, bold or italic) that every engine lays out and escapes: no
HTML passes through, a raw tag is text. A heading that names no part, or text before the first heading, is an
AssessmentError naming the file and line (all of them, at once)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

from pipeline.text import fold

FOLDER = "assessments"

# part -> (its heading in the report, the headings that name it in the file, compared folded)
PARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "general": ("Đánh giá chung", ("Đánh giá chung", "Kết quả đạt được", "Đánh giá kết quả")),
    "shortcomings": (
        "Tồn tại, hạn chế và nguyên nhân",
        ("Tồn tại, hạn chế và nguyên nhân", "Tồn tại, hạn chế", "Tồn tại và nguyên nhân", "Hạn chế và nguyên nhân"),
    ),
    "proposals": ("Kiến nghị", ("Kiến nghị", "Đề xuất, kiến nghị", "Đề xuất kiến nghị", "Kiến nghị, đề xuất")),
    "tasks": ("Nhiệm vụ", ("Nhiệm vụ", "Nhiệm vụ năm tới", "Nhiệm vụ kỳ tới", "Phương hướng, nhiệm vụ")),
}
_NUMBERING = re.compile(r"^\s*(?:[IVXLC]+|\d+|[a-zđ])[.)]\s+", re.IGNORECASE)  # "II. ", "2. ", "a) "
_PART_OF = {fold(name): part for part, (_, names) in PARTS.items() for name in names}


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Block:
    """A paragraph, or an item of a list (`bullet`: "-", `number`: its number) at `depth` (0 = top level)."""

    runs: tuple[Run, ...]
    bullet: bool = False
    number: int | None = None
    depth: int = 0

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class Assessment:
    """The parts the office wrote (part -> blocks, in the file's order); a part not written is absent."""

    source: Path | None
    parts: dict[str, tuple[Block, ...]]

    def part(self, name: str) -> tuple[Block, ...]:
        return self.parts.get(name, ())


class AssessmentError(ValueError):
    """The file cannot be placed in the report: one line per fault, each naming the file and line."""


def path_for(folder: Path, period_code: str) -> Path:
    return folder / f"{period_code}.md"


def load(folder: Path, period_code: str) -> Assessment | None:
    """The office's text for the period, or None when it has not written one."""
    path = path_for(folder, period_code)
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AssessmentError(f"{path}: tệp không phải UTF-8 (byte {exc.start}); hãy lưu lại với mã UTF-8") from None
    return parse(text, path)


def parse(text: str, source: Path | None = None) -> Assessment:
    """Blocks per part from Markdown `text` (headings name parts; paragraphs, lists, quotes and code are text)."""
    tokens = MarkdownIt("commonmark", {"html": False}).parse(unicodedata.normalize("NFC", text))
    where = str(source) if source else "<văn bản>"
    parts: dict[str, list[Block]] = {}
    faults: list[str] = []
    part: str | None = None
    headed = False  # a heading seen (or the text before the first one already said)
    lists: list[list[int | None]] = []  # open lists: [next number or None for bullets]
    item_open: list[bool] = []
    for i, tok in enumerate(tokens):
        line = tok.map[0] + 1 if tok.map else None
        if tok.type == "heading_open":
            headed = True
            title = tokens[i + 1].content.strip()
            part = _PART_OF.get(fold(_NUMBERING.sub("", title).rstrip(":").strip()))
            if part is None:
                known = "; ".join(f"“{names[0]}”" for _, names in PARTS.values())
                faults.append(f"{where}, dòng {line}: “{title}” không phải là một phần của báo cáo (các phần: {known})")
            elif part in parts:
                faults.append(f"{where}, dòng {line}: phần “{PARTS[part][0]}” đã có ở trên")
                part = None
            else:
                parts[part] = []
        elif tok.type in ("bullet_list_open", "ordered_list_open"):
            lists.append([int(tok.attrGet("start") or 1)] if tok.type == "ordered_list_open" else [None])
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
        elif tok.type == "list_item_open":
            item_open.append(True)
        elif tok.type == "list_item_close":
            item_open.pop()
        elif tok.type == "inline" and tokens[i - 1].type != "heading_open" or tok.type in ("code_block", "fence"):
            runs = _runs(tok.children or []) if tok.type == "inline" else (Run(tok.content.rstrip("\n")),)
            if not any(r.text.strip() for r in runs):
                continue
            if part is None:  # under a heading already said to be wrong, or before any heading (said once)
                if not headed:
                    headed = True
                    faults.append(
                        f"{where}, dòng {line}: văn bản trước tiêu đề phần đầu tiên (bắt đầu mỗi phần bằng một "
                        f"tiêu đề, ví dụ “## {PARTS['general'][0]}”)"
                    )
                continue
            block = Block(runs)
            if lists and item_open and tokens[i - 2].type == "list_item_open":
                numbering = lists[-1]
                block = Block(runs, bullet=numbering[0] is None, number=numbering[0], depth=len(lists) - 1)
                if numbering[0] is not None:
                    numbering[0] += 1
            elif lists:
                block = Block(runs, depth=len(lists) - 1)  # a further paragraph of an item
            parts[part].append(block)
    if faults:
        raise AssessmentError("\n".join(faults))
    return Assessment(source, {p: tuple(blocks) for p, blocks in parts.items() if blocks})


def _runs(children) -> tuple[Run, ...]:
    runs: list[Run] = []
    bold = italic = False
    for c in children:
        if c.type == "strong_open":
            bold = True
        elif c.type == "strong_close":
            bold = False
        elif c.type == "em_open":
            italic = True
        elif c.type == "em_close":
            italic = False
        elif c.type in ("softbreak", "hardbreak"):
            runs.append(Run(" ", bold, italic))
        elif c.content:
            runs.append(Run(c.content, bold, italic))
    merged: list[Run] = []
    for r in runs:  # neighbouring runs of one style as one
        if merged and (merged[-1].bold, merged[-1].italic) == (r.bold, r.italic):
            merged[-1] = Run(merged[-1].text + r.text, r.bold, r.italic)
        else:
            merged.append(r)
    return tuple(merged)
