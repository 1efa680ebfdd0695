"""The office's own text (assessments/<period>.md): parts by heading, text kept as typed, faults by file and line."""

from __future__ import annotations

import pytest

from pipeline import assessment
from pipeline.assessment import AssessmentError, Block, Run

TEXT = """# I. Đánh giá chung

Năm 2012 **các đơn vị** đã *cơ bản* hoàn thành kế hoạch <script>alert(1)</script> & đúng tiến độ.
Câu thứ hai của đoạn.

- Đào tạo nghề: đạt
- Hội chợ: chưa đạt
  1. do thời tiết

## Tồn tại, hạn chế và nguyên nhân:
1. Kinh phí về chậm.
2. Thiếu cán bộ.

## Kiến nghị
Đề nghị UBND tỉnh bổ sung 1.260 triệu đồng.
"""


def test_parts_by_heading_with_runs_lists_and_raw_html_kept_as_text(tmp_path) -> None:
    got = assessment.parse(TEXT)
    assert list(got.parts) == ["general", "shortcomings", "proposals"]  # "tasks" not written: absent
    first, *items = got.part("general")
    assert first.runs == (
        Run("Năm 2012 "),
        Run("các đơn vị", bold=True),
        Run(" đã "),
        Run("cơ bản", italic=True),
        Run(" hoàn thành kế hoạch <script>alert(1)</script> & đúng tiến độ. Câu thứ hai của đoạn."),
    )
    assert items == [
        Block((Run("Đào tạo nghề: đạt"),), bullet=True),
        Block((Run("Hội chợ: chưa đạt"),), bullet=True),
        Block((Run("do thời tiết"),), number=1, depth=1),
    ]
    assert [(b.text, b.number) for b in got.part("shortcomings")] == [("Kinh phí về chậm.", 1), ("Thiếu cán bộ.", 2)]
    assert got.part("proposals")[0].text == "Đề nghị UBND tỉnh bổ sung 1.260 triệu đồng."
    assert got.part("tasks") == ()


def test_a_file_is_read_from_the_folder_by_period_and_is_optional(tmp_path) -> None:
    assert assessment.load(tmp_path, "2012-Q3") is None
    assessment.path_for(tmp_path, "2012-Q3").write_text(TEXT, encoding="utf-8")
    got = assessment.load(tmp_path, "2012-Q3")
    assert got is not None and got.source == tmp_path / "2012-Q3.md" and len(got.parts) == 3


def test_unknown_or_repeated_parts_and_text_before_any_heading_are_named_by_file_and_line(tmp_path) -> None:
    path = assessment.path_for(tmp_path, "2013")
    path.write_text("Lời mở đầu\n\n## Đánh giá\nx\n\n## Kiến nghị\ny\n\n## 2. kiến nghị\nz\n", encoding="utf-8")
    with pytest.raises(AssessmentError) as caught:
        assessment.load(tmp_path, "2013")
    assert str(caught.value).splitlines() == [
        f"{path}, dòng 1: văn bản trước tiêu đề phần đầu tiên (bắt đầu mỗi phần bằng một tiêu đề, ví dụ "
        "“## Đánh giá chung”)",
        f"{path}, dòng 3: “Đánh giá” không phải là một phần của báo cáo (các phần: “Đánh giá chung”; “Tồn tại, "
        "hạn chế và nguyên nhân”; “Kiến nghị”; “Nhiệm vụ”)",
        f"{path}, dòng 9: phần “Kiến nghị” đã có ở trên",
    ]


def test_a_file_not_in_utf8_is_said(tmp_path) -> None:
    assessment.path_for(tmp_path, "2013").write_bytes("## Kiến nghị\nĐề nghị".encode("utf-16"))  # Notepad's "Unicode"
    with pytest.raises(AssessmentError, match="không phải UTF-8"):
        assessment.load(tmp_path, "2013")
