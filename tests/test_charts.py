"""Charts: SVG that parses, Vietnamese labels and number format, hatch patterns, escaped text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal as D

from render_samples import sample_report

from pipeline.charts import (
    MAX_GRID_STEPS,
    FundingBar,
    ProgressBar,
    funding_chart,
    nice_step,
    progress_chart,
    progress_scale,
    wrap,
)
from pipeline.report.tables import funding_svg, progress_svg

SVG = "{http://www.w3.org/2000/svg}"


def _texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def test_progress_chart_parses_and_shows_shares_and_flags() -> None:
    svg = progress_svg(sample_report())
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("width", "").endswith("mm")
    texts = _texts(svg)
    assert "P1 Đào tạo nghề, truyền nghề và phát triển nghề" in texts
    assert "P1.2 Lao động được đào tạo mới" in texts and "40,0 %" in texts
    assert "▼ 13,3 %" in texts and "▼ 0,0 %" in texts  # behind pace: flagged, not coloured
    assert {"0 %", "25 %", "50 %", "75 %", "100 %"} <= set(texts)
    assert "Tiến độ yêu cầu đến hết kỳ báo cáo" in texts and "▼ Chậm tiến độ" in texts
    assert "Liberation Serif" in root.get("font-family", "")
    assert root.find(f"{SVG}defs/{SVG}pattern") is not None  # the hatch for bars behind pace
    assert "<image" not in svg and "href" not in svg  # nothing to fetch


def test_progress_chart_scale_grows_past_100_percent() -> None:
    svg = progress_chart([ProgressBar("A", "Vượt", D("1.3"), D("0.5"))])
    assert "130,0 %" in _texts(svg) and "150 %" in _texts(svg)
    assert "▼ Chậm tiến độ" not in _texts(svg)  # no bar behind: no such legend line


def test_funding_chart_parses_with_vietnamese_numbers_and_patterns() -> None:
    svg = funding_svg(sample_report())
    root = ET.fromstring(svg)
    texts = _texts(svg)
    assert "4.000" in texts and "3.130,5" in texts  # each year's total, Vietnamese format
    assert "2011" in texts and "2012 (đến" in texts and "tháng 9)" in texts
    assert "Bình quân kế hoạch: 4.112 triệu đồng/năm" in texts
    assert "KCQG: Kinh phí khuyến công quốc gia" in texts and "ĐVT: triệu đồng" in texts
    assert {"0", "1.000", "2.000", "3.000", "4.000"} <= set(texts)  # axis
    patterns = root.findall(f"{SVG}defs/{SVG}pattern")
    assert len(patterns) == 3 and len({p.get("id") for p in patterns}) == 3  # one per source
    fills = {r.get("fill") for r in root.iter(f"{SVG}rect") if (r.get("fill") or "").startswith("url(")}
    assert fills == {f"url(#{p.get('id')})" for p in patterns}


def test_text_in_svg_is_escaped() -> None:
    hostile = '<script>alert("x")</script> & <img src="file:///etc/passwd">'
    svg = progress_chart([ProgressBar("P9", hostile, D("0.5"), D("0.4"), group=hostile)])
    assert "<script>" not in svg and "<img" not in svg
    assert hostile in " ".join(_texts(svg))  # shown as text (wrapped over lines)
    svg = funding_chart([FundingBar(hostile, {"X": D(5)})], [("X", hostile)], unit="<b>đồng</b>", average=D(3))
    ET.fromstring(svg)
    assert "<b>" not in svg and "ĐVT: <b>đồng</b>" in _texts(svg)


def test_helpers() -> None:
    assert wrap("Đào tạo nghề, truyền nghề và phát triển nghề", 20) == [
        "Đào tạo nghề, truyền",
        "nghề và phát triển",
        "nghề",
    ]
    assert nice_step(4500) == 1000 and nice_step(10) == 2 and nice_step(0) == 1
    assert progress_svg(sample_report(indicators=())) == ""
    assert funding_svg(sample_report(funding=None)) == ""


def test_progress_scale_keeps_a_province_look_and_bounds_the_grid() -> None:
    assert progress_scale(0.4) == (1.0, 0.25) and progress_scale(1.3) == (1.5, 0.25)  # as before
    assert progress_scale(2.9) == (3.0, 0.5) and progress_scale(4.0) == (4.0, 0.5)
    assert progress_scale(4.01) == (5.0, 1.0)
    for peak in (4.2, 37.3, 7700.0, 1e9):
        top, step = progress_scale(peak)
        assert top >= peak and top / step <= MAX_GRID_STEPS and round(top / step, 9).is_integer()


def test_progress_chart_size_does_not_depend_on_how_far_a_target_was_exceeded() -> None:
    """A target exceeded 7.700 times (national totals against a province's targets) drew 15.400 grid lines."""
    small = progress_chart([ProgressBar("A", "Vượt", D("1.3"), D("0.5"))])
    huge = progress_chart([ProgressBar("A", "Vượt", D("7700"), D("0.5"))])
    grid = ET.fromstring(huge).findall(f"{SVG}path[@stroke-dasharray]")
    assert len(grid) <= MAX_GRID_STEPS + 1 and len(huge) < 2 * len(small)
    assert "770.000,0 %" in _texts(huge) and "800.000 %" in _texts(huge) and "0 %" in _texts(huge)
