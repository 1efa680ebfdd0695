"""Builds the label corpus: free-layout reports whose rows are named in the officers' own words.

Usage: .venv/bin/python tests/data/labels/make_labels.py   (from the project root)

Writes every workbook into tests/data/labels/files/ (the folder is emptied first) and
tests/data/labels/expected.yaml: for each file its unit, period, format, text encoding, split ("tune" or
"held_out") and every row of its tables as written (label, ĐVT, value, value cell) with the indicator the value
belongs to, or null for rows that must stay unmatched (other work, sub-rows, money, subtotals, notes). Budget rows
(table of funding by source) name the sub-programme they belong to, or null.

How the labels were written: from the seed's own wording of each sub-programme (Điều 3 and Điều 4 "Nội dung",
"Dự kiến kết quả"), the indicator names and units, and the way district officers write (the activity rather than
the indicator, places and years, abbreviations, word order, ĐVT columns, Roman section headings). The synonym
lists of the programme file were not read and nothing here runs the project's matcher: the corpus measures the
matcher, it is not fitted to it. Each label is drawn from a pool of phrasings per indicator (several per indicator)
and combined at random with qualifiers, abbreviations and numbering; the random generator has a fixed seed, and
the files are byte-identical from one run to the next (fixed document dates, fixed zip timestamps).

A third of the files (held_out) is chosen here, striped over formats, encodings and units; they must never be
used to tune a matcher (benchmarks/labels.py reports them separately).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENPYXL_LXML", "False")  # byte-identical files with or without lxml (see tests/conftest.py)

import io
import random
import re
import shutil
import sys
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import xlwt
import yaml
from odf.element import Element as OdfElement
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parents[3]
for folder in (ROOT, ROOT / "tests" / "data"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from legacy_text import legacy_font  # noqa: E402

from pipeline.paths import packaged_config  # noqa: E402
from pipeline.periods import ROMAN, Kind, Period, parse_period  # noqa: E402
from pipeline.programme import load_programmes  # noqa: E402
from pipeline.text import fold  # noqa: E402

HERE = Path(__file__).resolve().parent
SEED = 20111220  # the day of QĐ 2818/QĐ-UBND
N_FILES = 66
FIXED = datetime(2013, 1, 10, 8, 0, 0)  # document properties of every workbook
ZIP_TIME = (2013, 1, 10, 8, 0, 0)

PROGRAMME = next(p for p in load_programmes(packaged_config()) if p.first_year == 2011)
INDICATORS = PROGRAMME.indicators  # codes, names, units, levels: read; synonyms: never
PROVINCE_ONLY = tuple(c for c, i in INDICATORS.items() if i.level == "province")
CONTEXT = tuple(i.code for i in PROGRAMME.context.indicators) if PROGRAMME.context else ()
SUBPROGRAMMES = tuple(sp.code for sp in PROGRAMME.subprogrammes)

# ------------------------------------------------------------------------------------------- places, things

DISTRICTS: dict[str, tuple[str, str, str, list[str]]] = {
    # code: (type, name, office, communes)
    "dong-xoai": (
        "thị xã",
        "Đồng Xoài",
        "Phòng Kinh tế",
        ["phường Tân Phú", "phường Tân Bình", "phường Tân Xuân", "xã Tiến Hưng", "xã Tân Thành"],
    ),
    "binh-long": (
        "thị xã",
        "Bình Long",
        "Phòng Kinh tế",
        ["phường An Lộc", "phường Hưng Chiến", "phường Phú Thịnh", "xã Thanh Lương", "xã Thanh Phú"],
    ),
    "phuoc-long": (
        "thị xã",
        "Phước Long",
        "Phòng Kinh tế",
        ["phường Long Phước", "phường Thác Mơ", "phường Sơn Giang", "xã Long Giang", "xã Phước Tín"],
    ),
    "bu-dang": (
        "huyện",
        "Bù Đăng",
        "Phòng Kinh tế và Hạ tầng",
        ["xã Đức Liễu", "xã Minh Hưng", "xã Bom Bo", "xã Đăng Hà", "xã Nghĩa Trung", "thị trấn Đức Phong"],
    ),
    "bu-dop": (
        "huyện",
        "Bù Đốp",
        "Phòng Kinh tế và Hạ tầng",
        ["xã Thanh Hòa", "xã Thiện Hưng", "xã Hưng Phước", "xã Tân Tiến", "thị trấn Thanh Bình"],
    ),
    "bu-gia-map": (
        "huyện",
        "Bù Gia Mập",
        "Phòng Kinh tế và Hạ tầng",
        ["xã Đa Kia", "xã Phước Minh", "xã Bình Thắng", "xã Phú Nghĩa", "xã Đức Hạnh", "xã Long Hà"],
    ),
    "chon-thanh": (
        "huyện",
        "Chơn Thành",
        "Phòng Kinh tế và Hạ tầng",
        ["xã Minh Lập", "xã Thành Tâm", "xã Minh Thành", "xã Nha Bích", "thị trấn Chơn Thành"],
    ),
    "dong-phu": (
        "huyện",
        "Đồng Phú",
        "Phòng Kinh tế và Hạ tầng",
        ["xã Tân Lập", "xã Tân Hòa", "xã Thuận Phú", "xã Đồng Tâm", "thị trấn Tân Phú"],
    ),
    "hon-quan": (
        "huyện",
        "Hớn Quản",
        "Phòng Kinh tế và Hạ tầng",
        ["xã Tân Khai", "xã Thanh An", "xã An Khương", "xã Minh Đức", "xã Tân Hiệp"],
    ),
    "loc-ninh": (
        "huyện",
        "Lộc Ninh",
        "Phòng Kinh tế và Hạ tầng",
        ["xã Lộc Hưng", "xã Lộc Thái", "xã Lộc Tấn", "xã Lộc Thạnh", "thị trấn Lộc Ninh"],
    ),
    "phu-rieng": (
        "huyện",
        "Phú Riềng",
        "Phòng Kinh tế và Hạ tầng",
        ["xã Bù Nho", "xã Long Tân", "xã Phú Riềng", "xã Bình Tân"],
    ),
}
TTKC = "ttkc"
TTKC_NAME = "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp"

TRADES = [
    "đan lát",
    "mây tre đan",
    "dệt thổ cẩm",
    "thêu tay",
    "may công nghiệp",
    "mộc gia dụng",
    "mộc mỹ nghệ",
    "chạm khắc gỗ",
    "hoa cỏ khô nghệ thuật",
    "khảm trai",
    "chế biến hạt điều",
    "se nhang",
    "làm bánh tráng",
    "đan móc len",
    "hàn, tiện cơ khí",
    "sửa chữa máy nông nghiệp",
]
MACHINES = [
    "máy ép viên nén mùn cưa",
    "lò sấy nông sản",
    "máy tách vỏ lụa hạt điều",
    "máy cắt tách hạt điều tự động",
    "dây chuyền chế biến hạt điều xuất khẩu",
    "lò hơi tiết kiệm năng lượng",
    "máy sấy hạt tiêu",
    "máy cưa CNC chế biến gỗ",
    "hệ thống xử lý nước thải chế biến mủ cao su",
    "khung dệt thổ cẩm cải tiến",
    "lò đốt trấu sấy điều",
    "máy xay xát gạo",
    "máy ép gạch không nung",
    "máy chà nhám gỗ",
]
PRODUCTS = [
    "hạt điều nhân",
    "đồ gỗ gia dụng",
    "hàng mây tre đan",
    "nông cụ cầm tay",
    "bánh tráng",
    "nhang",
    "thổ cẩm",
    "gạch không nung",
    "tiêu sọ",
    "bàn ghế gỗ",
]
FIRMS = [
    "DNTN Minh Phát",
    "HTX mây tre đan Tân Lập",
    "cơ sở chế biến điều Hưng Thịnh",
    "Công ty TNHH Gỗ Phú Hưng",
    "cơ sở cơ khí Tấn Phát",
    "hộ kinh doanh Nguyễn Văn Tám",
    "cơ sở se nhang Thanh Hương",
    "Công ty TNHH Hạt điều Sơn Long",
    "DNTN Hoàng Long",
    "cơ sở mộc Thành Đạt",
    "HTX dệt thổ cẩm Bom Bo",
    "Công ty CP Nông sản Lộc Ninh",
]
PROVINCES = [
    "Lâm Đồng",
    "Bình Dương",
    "Đồng Nai",
    "Tây Ninh",
    "Long An",
    "Bến Tre",
    "Đắk Lắk",
    "Vĩnh Long",
    "Bình Thuận",
    "Khánh Hòa",
]
TOPICS = [
    "sản xuất sạch hơn trong công nghiệp",
    "sử dụng năng lượng tiết kiệm và hiệu quả",
    "công nghệ chế biến hạt điều",
    "xử lý ô nhiễm môi trường trong chế biến mủ cao su",
    "hội nhập kinh tế quốc tế",
    "tiếp cận nguồn vốn vay ngân hàng",
    "xây dựng thương hiệu sản phẩm",
    "kinh nghiệm sản xuất kinh doanh",
    "công nghệ sấy nông sản",
    "an toàn lao động trong sản xuất",
]
FAIRS = [
    "Hội chợ hàng CNNT tiêu biểu khu vực phía Nam",
    "Hội chợ Triển lãm Công Thương khu vực Đông Nam Bộ",
    "Hội chợ Xúc tiến thương mại tỉnh Bình Dương",
    "Hội chợ Nông nghiệp quốc tế AgroViet",
    "Hội chợ hàng Việt Nam chất lượng cao tại TP. Hồ Chí Minh",
    "Hội chợ Thương mại Tây Nguyên",
    "Hội chợ Công nghiệp - Thương mại Đồng Nai",
]
TOURISM = [
    "Trảng cỏ Bù Lạch",
    "Vườn quốc gia Bù Gia Mập",
    "Khu du lịch Bà Rá - Thác Mơ",
    "Sóc Bom Bo",
    "Hồ Suối Lam",
    "Căn cứ Tà Thiết",
]

# ------------------------------------------------------------------------------------------ the phrasings
# Per indicator: phrasings of the activity, as officers write them; the first is the seed's own wording of the
# expected result (Điều 4, "Dự kiến kết quả"), which officers copy. "§" marks a phrasing that needs its section
# heading to be told apart from another indicator's (used only in files with sub-programme headings).
# Placeholders: {nghe} trade, {xa} commune, {cs} firm, {may} machine, {sp} product, {tinh} province,
# {chude} seminar topic, {hc} fair, {dl} tourist site, {nam} year, {huyen} the unit's own name.

PHRASES: dict[str, list[str]] = {
    "P1.1": [
        "Biên soạn giáo trình dạy nghề cho lao động mới, nâng cao tay nghề, đào tạo nghệ nhân, thợ giỏi",
        "Biên soạn giáo trình dạy nghề {nghe}",
        "Biên soạn bộ giáo trình đào tạo nghề {nghe} cho lao động công nghiệp nông thôn",
        "Phối hợp với trường trung cấp nghề biên soạn giáo trình {nghe}",
        "Xây dựng chương trình, giáo trình dạy nghề {nghe}",
        "Giáo trình truyền nghề {nghe} đã biên soạn xong",
        "Hoàn thành bộ tài liệu giảng dạy nghề {nghe}",
        "Soạn thảo giáo trình đào tạo nghề {nghe} cho lao động nông thôn",
    ],
    "P1.2": [
        "Đào tạo mới cho lao động",
        "Đào tạo nghề {nghe} cho lao động nông thôn chưa qua đào tạo",
        "Lớp dạy nghề {nghe} ngắn hạn cho lao động mới",
        "Truyền nghề {nghe} cho người lao động tại {xa}",
        "Tổ chức khóa đào tạo ngắn hạn tại chỗ nghề {nghe} cho lao động mới",
        "Lao động nông thôn được dạy nghề {nghe}",
        "Dạy nghề {nghe} cho đồng bào dân tộc thiểu số",
        "Đào tạo lao động mới tuyển dụng cho {cs}",
        "Mở lớp học nghề {nghe} cho lao động chưa có nghề",
        "Học viên lớp truyền nghề {nghe} (đào tạo mới)",
    ],
    "P1.3": [
        "Đào tạo nâng cao tay nghề cho lao động",
        "Đào tạo nâng cao tay nghề {nghe} cho lao động tại {cs}",
        "Bồi dưỡng nâng cao tay nghề cho thợ {nghe}",
        "Nâng cao tay nghề cho công nhân {nghe}",
        "Lớp nâng cao kỹ năng tay nghề {nghe} cho lao động đang làm việc tại các cơ sở sản xuất",
        "Tập huấn nâng cao tay nghề {nghe}",
        "Lao động được bồi dưỡng tay nghề {nghe}",
        "Đào tạo lại, nâng cao trình độ tay nghề cho lao động các cơ sở {nghe}",
    ],
    "P1.4": [
        "Tập huấn, đào tạo nghệ nhân, thợ giỏi",
        "Tập huấn cho nghệ nhân, thợ giỏi nghề {nghe}",
        "Đào tạo thợ giỏi {nghe} làm giáo viên truyền nghề",
        "Bồi dưỡng nghệ nhân {nghe} về phương pháp truyền nghề",
        "Tổ chức đào tạo thợ giỏi, nghệ nhân tiểu thủ công nghiệp",
        "Nghệ nhân, thợ cả nghề {nghe} được tập huấn kỹ năng sư phạm",
        "Đào tạo đội ngũ thợ giỏi làm giáo viên dạy nghề {nghe}",
        "Thợ giỏi, nghệ nhân dự lớp tập huấn phương pháp truyền nghề",
    ],
    "P2.1": [
        "§Số học viên được đào tạo",
        "Mở lớp bồi dưỡng kiến thức quản trị doanh nghiệp cho chủ cơ sở công nghiệp nông thôn",
        "Đào tạo khởi sự doanh nghiệp cho các hộ kinh doanh",
        "Học viên dự lớp quản lý sản xuất, tài chính - kế toán",
        "Tập huấn kỹ năng kinh doanh, quản trị nhân sự cho cán bộ quản lý các cơ sở công nghiệp nông thôn",
        "Lớp tập huấn kiến thức quản lý cho chủ doanh nghiệp nhỏ và vừa",
        "Bồi dưỡng nghiệp vụ kế toán cho các hợp tác xã, cơ sở sản xuất",
        "Chủ cơ sở, cán bộ quản lý doanh nghiệp được đào tạo về quản trị",
        "§Đào tạo nâng cao năng lực quản lý cho doanh nghiệp",
    ],
    "P2.2": [
        "Số hội thảo được tổ chức",
        "Hội thảo chuyên đề {chude}",
        "Tổ chức hội thảo về {chude} cho doanh nghiệp",
        "Phối hợp tổ chức hội thảo {chude}",
        "Hội thảo kinh nghiệm sản xuất kinh doanh, hội nhập kinh tế quốc tế",
        "Tọa đàm, hội thảo về {chude} tại {cs}",
        "Hội nghị - hội thảo giới thiệu {may}",
    ],
    "P2.3": [
        "Tổ chức đoàn tham quan khảo sát",
        "Tổ chức đoàn tham quan, khảo sát mô hình sản xuất tại tỉnh {tinh}",
        "Đoàn doanh nghiệp khảo sát học tập kinh nghiệm mô hình sản xuất kinh doanh điển hình tiên tiến",
        "Tham quan, khảo sát làng nghề {nghe} tỉnh {tinh}",
        "Chuyến tham quan thực tế mô hình chế biến {sp} tại {tinh} cho chủ cơ sở",
        "Đưa chủ doanh nghiệp đi khảo sát học tập kinh nghiệm tại các tỉnh bạn",
        "§Tổ chức đoàn tham quan học tập kinh nghiệm tại {tinh}",
    ],
    "P2.4": [
        "Số cơ sở tham gia các đoàn tham quan khảo sát",
        "Số cơ sở tham gia đoàn tham quan, khảo sát",
        "Cơ sở công nghiệp nông thôn được hỗ trợ đi tham quan học tập kinh nghiệm",
        "Doanh nghiệp, HTX tham gia chuyến khảo sát tại {tinh}",
        "Chủ cơ sở sản xuất tham gia đoàn khảo sát mô hình điển hình",
        "Hỗ trợ chi phí đi lại cho các cơ sở tham gia tham quan, khảo sát",
    ],
    "P3.1": [
        "Số mô hình trình diễn kỹ thuật được xây dựng",
        "Hỗ trợ xây dựng mô hình trình diễn kỹ thuật {may} tại {cs}",
        "Xây dựng mô hình trình diễn {may}",
        "Mô hình trình diễn kỹ thuật sản xuất {sp}",
        "Hỗ trợ {cs} xây dựng mô hình trình diễn {may}",
        "Trình diễn kỹ thuật mới: {may}",
        "Mô hình trình diễn kỹ thuật chế biến {sp} tại {xa}",
    ],
    "P3.2": [
        "Số cơ sở sản xuất công nghiệp nông thôn được hỗ trợ chuyển giao công nghệ, ứng dụng máy móc thiết bị hiện đại",
        "Hỗ trợ cơ sở ứng dụng máy móc thiết bị hiện đại vào sản xuất {sp}",
        "Hỗ trợ {cs} đầu tư {may}",
        "Chuyển giao công nghệ {may} cho cơ sở sản xuất",
        "Cơ sở được hỗ trợ đổi mới công nghệ, thiết bị",
        "Ứng dụng máy móc thiết bị tiên tiến vào sản xuất tại {cs}",
        "Hỗ trợ cơ sở cải tiến thiết bị, ứng dụng tiến bộ khoa học kỹ thuật",
        "Hỗ trợ chuyển giao công nghệ xử lý ô nhiễm môi trường cho cơ sở sản xuất {sp}",
        "Hỗ trợ cơ sở mua {may}",
    ],
    "P4.1": [
        "Số hội chợ triển lãm do tỉnh tổ chức",
        "Tổ chức Hội chợ triển lãm hàng công nghiệp nông thôn tỉnh Bình Phước năm {nam}",
        "Hội chợ triển lãm sản phẩm công nghiệp nông thôn tiêu biểu cấp tỉnh",
        "Chủ trì tổ chức hội chợ hàng công nghiệp nông thôn tại thị xã Đồng Xoài",
        "Hội chợ triển lãm do Sở Công Thương chủ trì tổ chức",
        "Tổ chức hội chợ triển lãm, quảng bá sản phẩm công nghiệp nông thôn trên địa bàn tỉnh",
    ],
    "P4.2": [
        "Số lượng hội chợ tham gia",
        "Tham gia {hc}",
        "Tham dự {hc} năm {nam}",
        "Số hội chợ triển lãm đã tham gia",
        "Đưa sản phẩm công nghiệp nông thôn của {huyen} tham gia hội chợ tại {tinh}",
        "Tham gia hội chợ triển lãm giới thiệu sản phẩm, quảng bá thương hiệu ngoài tỉnh",
    ],
    "P4.3": [
        "Số lượng cơ sở sản xuất công nghiệp nông thôn được hỗ trợ tham gia hội chợ triển lãm",
        "Hỗ trợ cơ sở công nghiệp nông thôn tham gia hội chợ triển lãm",
        "Cơ sở được hỗ trợ gian hàng tại {hc}",
        "Hỗ trợ chi phí thuê gian hàng cho các cơ sở tham gia hội chợ triển lãm",
        "Lượt cơ sở trưng bày sản phẩm tại hội chợ",
        "Doanh nghiệp, cơ sở được hỗ trợ tham gia giới thiệu sản phẩm tại hội chợ",
    ],
    "P4.4": [
        "Tổ chức bình chọn sản phẩm công nghiệp nông thôn trên địa bàn cấp tỉnh",
        "Tổ chức bình chọn sản phẩm công nghiệp nông thôn tiêu biểu cấp tỉnh năm {nam}",
        "Bình chọn, cấp giấy chứng nhận sản phẩm công nghiệp nông thôn tiêu biểu",
        "Xét chọn, công nhận sản phẩm công nghiệp nông thôn tiêu biểu tỉnh Bình Phước",
        "Hội đồng bình chọn sản phẩm công nghiệp nông thôn tiêu biểu cấp tỉnh họp xét chọn",
    ],
    "P5.1": [
        "Số cơ sở được hỗ trợ tư vấn, cung cấp thông tin",
        "Tư vấn lập dự án đầu tư cho cơ sở sản xuất {sp}",
        "Hỗ trợ tư vấn thiết kế mẫu mã, bao bì sản phẩm cho cơ sở",
        "Tư vấn sản xuất sạch hơn cho các cơ sở sản xuất {sp}",
        "Cơ sở được tư vấn về sử dụng năng lượng tiết kiệm và hiệu quả",
        "Tư vấn, hướng dẫn thủ tục vay vốn, ưu đãi đầu tư cho doanh nghiệp",
        "Cung cấp thông tin thị trường, chính sách cho các cơ sở công nghiệp nông thôn",
        "Tư vấn marketing, quản lý tài chính cho các hộ sản xuất",
    ],
    "P5.2": [
        "Số bản tin phát hành",
        "Phát hành bản tin Công Thương quý {q}",
        "Xuất bản bản tin công thương hàng quý",
        "Biên tập, in ấn và phát hành bản tin Công Thương",
        "Bản tin khuyến công phát hành trong kỳ",
    ],
    "P5.3": [
        "Số chuyên mục khuyến công",
        "Phối hợp Đài PT-TH Bình Phước thực hiện chuyên mục khuyến công",
        'Phát sóng chuyên mục "Khuyến công" trên Đài Phát thanh - Truyền hình tỉnh',
        "Xây dựng chuyên mục khuyến công trên sóng truyền hình",
        "Thực hiện phóng sự, chuyên mục khuyến công phát sóng định kỳ",
        "Chuyên mục Công Thương - Khuyến công trên sóng BPTV",
    ],
    "P6.1": [
        "Số hiệp hội ngành nghề công nghiệp nông thôn hỗ trợ thành lập",
        "Hỗ trợ thành lập Hiệp hội {nghe} {huyen}",
        "Tư vấn, hỗ trợ thành lập hội ngành nghề {nghe}",
        "Vận động các cơ sở thành lập hiệp hội ngành nghề {nghe}",
        "Hỗ trợ các cơ sở {nghe} hình thành hiệp hội ngành nghề",
    ],
    "P6.2": [
        "Số mô hình liên kết sản phẩm tiểu thủ công nghiệp truyền thống với hoạt động du lịch",
        "Xây dựng mô hình liên kết sản phẩm thủ công mỹ nghệ với điểm du lịch {dl}",
        "Hỗ trợ liên kết sản phẩm tiểu thủ công nghiệp truyền thống với tour du lịch",
        "Mô hình gắn làng nghề {nghe} với du lịch sinh thái",
        "Đưa sản phẩm {nghe} vào điểm du lịch {dl}",
        "Liên kết tiêu thụ sản phẩm tiểu thủ công nghiệp tại khu du lịch {dl}",
    ],
    "P6.3": [
        "Hỗ trợ lập quy hoạch chi tiết, đầu tư cơ sở hạ tầng cho cụm công nghiệp, làng nghề",
        "Hỗ trợ lập quy hoạch chi tiết cụm công nghiệp {ccn}",
        "Đầu tư hạ tầng cụm công nghiệp {ccn}",
        "Lập quy hoạch chi tiết tỷ lệ 1/500 cụm công nghiệp {ccn}",
        "Hỗ trợ đầu tư cơ sở hạ tầng làng nghề {nghe} {xa}",
        "Quy hoạch chi tiết làng nghề {nghe} tại {xa}",
    ],
    "P7.1": [
        "Tổ chức lớp nâng cao năng lực quản lý nhà nước về hoạt động khuyến công",
        "Tập huấn nghiệp vụ khuyến công cho cán bộ cấp huyện, xã",
        "Lớp bồi dưỡng nghiệp vụ quản lý nhà nước về khuyến công",
        "Mở lớp tập huấn cho cán bộ làm công tác khuyến công, cộng tác viên",
        "Tổ chức lớp nâng cao năng lực quản lý, tổ chức thực hiện hoạt động khuyến công",
        "Tập huấn kỹ năng hướng dẫn, tư vấn cho khuyến công viên",
    ],
    "P7.2": [
        "Tổ chức đoàn học tập kinh nghiệm, nâng cao trình độ và năng lực quản lý cho cán bộ khuyến công",
        "Tổ chức đoàn cán bộ khuyến công học tập kinh nghiệm tại {tinh}",
        "Đoàn học tập kinh nghiệm công tác khuyến công tại tỉnh {tinh}",
        "Cán bộ khuyến công đi học tập kinh nghiệm ở tỉnh bạn",
        "Tham quan học tập kinh nghiệm về tổ chức thực hiện khuyến công",
        "§Đoàn học tập kinh nghiệm tại tỉnh {tinh}",
    ],
    "C1": [
        "Số cơ sở sản xuất công nghiệp nông thôn đang hoạt động trên địa bàn",
        "Cơ sở công nghiệp nông thôn hiện có đến cuối kỳ",
        "Cơ sở sản xuất tiểu thủ công nghiệp đang hoạt động",
        "Số doanh nghiệp, HTX, hộ sản xuất công nghiệp nông thôn đang hoạt động",
    ],
    "C2": [
        "Lao động làm việc trong các cơ sở sản xuất công nghiệp nông thôn",
        "Số lao động trong các cơ sở công nghiệp nông thôn",
        "Lao động thường xuyên tại các cơ sở tiểu thủ công nghiệp",
    ],
    "C3": [
        "Giá trị sản xuất công nghiệp nông thôn (giá so sánh 2010)",
        "GTSX công nghiệp nông thôn trên địa bàn",
        "Giá trị sản xuất tiểu thủ công nghiệp ước đạt",
    ],
}

# What the ĐVT column says for each indicator.
DVT: dict[str, list[str]] = {
    "P1.1": ["bộ", "bộ", "bộ giáo trình"],
    "P1.2": ["người", "người", "lao động", "học viên"],
    "P1.3": ["người", "người", "lao động"],
    "P1.4": ["người", "người", "nghệ nhân"],
    "P2.1": ["lượt người", "người", "học viên", "lượt"],
    "P2.2": ["hội thảo", "cuộc", "buổi"],
    "P2.3": ["đoàn", "đoàn", "chuyến"],
    "P2.4": ["cơ sở", "cơ sở", "lượt cơ sở"],
    "P3.1": ["mô hình", "mô hình", "MH"],
    "P3.2": ["cơ sở", "cơ sở", "CS"],
    "P4.1": ["hội chợ", "hội chợ", "lần"],
    "P4.2": ["hội chợ", "hội chợ", "cuộc"],
    "P4.3": ["cơ sở", "lượt cơ sở", "doanh nghiệp"],
    "P4.4": ["lần", "lần", "đợt"],
    "P5.1": ["cơ sở", "cơ sở", "lượt cơ sở", "doanh nghiệp"],
    "P5.2": ["bản", "số", "kỳ"],
    "P5.3": ["chuyên mục", "chuyên mục", "buổi phát sóng"],
    "P6.1": ["hiệp hội", "hội"],
    "P6.2": ["mô hình", "mô hình"],
    "P6.3": ["cụm", "CCN", "làng nghề"],
    "P7.1": ["lớp", "lớp", "khóa"],
    "P7.2": ["đoàn", "đoàn", "chuyến"],
    "C1": ["cơ sở", "CS"],
    "C2": ["người", "lao động"],
    "C3": ["triệu đồng", "tr.đồng", "Tr.đ"],
}

# Values officers report in one period (low, high); kept within each 5-year target.
RANGES: dict[str, tuple[int, int]] = {
    "P1.1": (1, 1),
    "P1.2": (15, 60),
    "P1.3": (10, 40),
    "P1.4": (2, 8),
    "P2.1": (15, 60),
    "P2.2": (1, 2),
    "P2.3": (1, 2),
    "P2.4": (4, 15),
    "P3.1": (1, 2),
    "P3.2": (1, 3),
    "P4.1": (1, 1),
    "P4.2": (1, 3),
    "P4.3": (3, 15),
    "P4.4": (1, 1),
    "P5.1": (3, 20),
    "P5.2": (1, 4),
    "P5.3": (2, 12),
    "P6.1": (1, 1),
    "P6.2": (1, 1),
    "P6.3": (1, 1),
    "P7.1": (1, 3),
    "P7.2": (1, 1),
    "C1": (150, 900),
    "C2": (900, 6000),
    "C3": (40_000, 900_000),
}

# Section headings naming a sub-programme (or the context group), as officers write them.
HEADINGS: dict[str, list[str]] = {
    "P1": [
        "Đào tạo nghề, truyền nghề và phát triển nghề",
        "Chương trình đào tạo nghề, truyền nghề",
        "Công tác đào tạo nghề",
        "Đào tạo nghề và phát triển nghề",
        "Đào tạo nghề, truyền nghề cho lao động nông thôn",
    ],
    "P2": [
        "Nâng cao năng lực quản lý cho cơ sở công nghiệp nông thôn",
        "Chương trình nâng cao năng lực quản lý",
        "Nâng cao năng lực quản lý doanh nghiệp",
        "Đào tạo, tập huấn quản lý cho doanh nghiệp",
    ],
    "P3": [
        "Xây dựng mô hình trình diễn kỹ thuật, chuyển giao công nghệ",
        "Hỗ trợ ứng dụng máy móc thiết bị, chuyển giao công nghệ",
        "Mô hình trình diễn và ứng dụng tiến bộ khoa học kỹ thuật",
        "Chương trình hỗ trợ xây dựng mô hình trình diễn kỹ thuật, chuyển giao công nghệ và tiến bộ khoa học kỹ thuật",
    ],
    "P4": [
        "Phát triển sản phẩm công nghiệp nông thôn tiêu biểu",
        "Hội chợ triển lãm, bình chọn sản phẩm",
        "Xúc tiến thương mại, hội chợ triển lãm",
        "Chương trình phát triển sản phẩm công nghiệp nông thôn tiêu biểu",
    ],
    "P5": [
        "Tư vấn, cung cấp thông tin",
        "Hoạt động tư vấn và cung cấp thông tin",
        "Thông tin tuyên truyền, tư vấn",
        "Chương trình phát triển hoạt động tư vấn, cung cấp thông tin",
    ],
    "P6": [
        "Liên doanh, liên kết, hợp tác kinh tế và phát triển cụm công nghiệp",
        "Hỗ trợ liên kết và phát triển cụm công nghiệp",
        "Phát triển cụm công nghiệp, làng nghề",
        "Chương trình hỗ trợ liên doanh, liên kết, hợp tác kinh tế",
    ],
    "P7": [
        "Nâng cao năng lực quản lý và tổ chức thực hiện khuyến công",
        "Nâng cao năng lực quản lý và tổ chức thực hiện",
        "Công tác quản lý, tổ chức thực hiện khuyến công",
        "Nâng cao năng lực cho cán bộ làm công tác khuyến công",
    ],
    "C": ["Tình hình sản xuất công nghiệp nông thôn trên địa bàn", "Một số chỉ tiêu chung", "Tình hình chung"],
}

# Budget rows naming a sub-programme, as officers write them in the funding table.
BUDGET_LABELS: dict[str, list[str]] = {
    "P1": ["Đào tạo nghề", "Kinh phí đào tạo nghề, truyền nghề", "Đào tạo nghề, truyền nghề và phát triển nghề"],
    "P2": [
        "Nâng cao năng lực quản lý cho cơ sở công nghiệp nông thôn",
        "Đào tạo quản lý, hội thảo, tham quan",
        "Nâng cao năng lực quản lý doanh nghiệp",
    ],
    "P3": [
        "Mô hình trình diễn, ứng dụng máy móc thiết bị",
        "Hỗ trợ chuyển giao công nghệ, ứng dụng máy móc thiết bị",
        "Xây dựng mô hình trình diễn kỹ thuật",
    ],
    "P4": [
        "Hội chợ triển lãm, bình chọn sản phẩm",
        "Phát triển sản phẩm công nghiệp nông thôn tiêu biểu",
        "Hỗ trợ tham gia hội chợ",
    ],
    "P5": ["Tư vấn, thông tin tuyên truyền", "Bản tin, chuyên mục truyền hình", "Hoạt động tư vấn, cung cấp thông tin"],
    "P6": [
        "Quy hoạch cụm công nghiệp",
        "Liên kết, phát triển cụm công nghiệp - làng nghề",
        "Hỗ trợ thành lập hiệp hội, liên kết du lịch",
    ],
    "P7": [
        "Tập huấn cán bộ khuyến công",
        "Nâng cao năng lực quản lý và tổ chức thực hiện",
        "Đoàn học tập kinh nghiệm, tập huấn nghiệp vụ",
    ],
}
BUDGET_OTHER = ["Chi phí quản lý, kiểm tra giám sát đề án", "Hỗ trợ khác", "Chi thẩm định, nghiệm thu đề án"]

# Rows that are not indicators: (label, ĐVT, low, high); low None = no value. Per section, then anywhere.
NOISE: dict[str, list[tuple[str, str | None, int | None, int]]] = {
    "P1": [
        ("Số lớp đào tạo nghề đã mở", "lớp", 1, 4),
        ("- Trong đó: lao động nữ", "người", 5, 20),
        ("- Trong đó: đồng bào dân tộc thiểu số", "người", 3, 15),
        ("Khảo sát nhu cầu đào tạo nghề tại các xã", "xã", 2, 6),
    ],
    "P2": [
        ("Số lớp bồi dưỡng quản trị doanh nghiệp", "lớp", 1, 2),
        ("Tài liệu phát cho học viên", "bộ tài liệu", 30, 60),
    ],
    "P3": [
        ("Kinh phí hỗ trợ xây dựng mô hình", "triệu đồng", 150, 400),
        ("Số máy móc, thiết bị được hỗ trợ", "máy", 1, 5),
    ],
    "P4": [
        ("Số gian hàng tại hội chợ", "gian hàng", 4, 20),
        ("Sản phẩm đăng ký tham gia bình chọn sản phẩm CNNT tiêu biểu", "sản phẩm", 2, 10),
        ("Doanh thu bán hàng tại hội chợ", "triệu đồng", 50, 600),
    ],
    "P5": [
        ("Phát hành tờ rơi, tờ gấp giới thiệu ngành nghề công nghiệp nông thôn", "tờ", 500, 2000),
        ("Đăng tin, bài về hoạt động khuyến công trên trang thông tin điện tử", "tin, bài", 3, 15),
    ],
    "P6": [
        ("Hỗ trợ thành lập hợp tác xã {nghe}", "HTX", 1, 1),
        ("Hỗ trợ cơ sở trở thành vệ tinh cho doanh nghiệp lớn", "cơ sở", 1, 3),
    ],
    "P7": [
        ("Cử cán bộ tham dự lớp tập huấn nghiệp vụ khuyến công do Bộ Công Thương tổ chức", "người", 1, 3),
        ("Tìm kiếm nguồn tài trợ của tổ chức quốc tế", "dự án", 1, 1),
    ],
    "any": [
        ("Công tác khác", None, None, 0),
        ("Công tác khác", "lượt", 1, 5),
        ("Kiểm tra, giám sát thực hiện đề án", "lượt", 1, 6),
        ("Kiểm tra, giám sát thực hiện đề án", "cuộc", 1, 4),
        ("Hỗ trợ khác", "cơ sở", 1, 3),
        ("Hỗ trợ khác", None, None, 0),
        ("Thẩm định, nghiệm thu đề án khuyến công", "đề án", 1, 5),
        ("Xây dựng kế hoạch khuyến công năm {nam1}", "kế hoạch", 1, 1),
        ("Tiếp nhận hồ sơ đăng ký đề án khuyến công", "hồ sơ", 2, 12),
        ("Họp Ban chỉ đạo chương trình khuyến công", "cuộc", 1, 2),
    ],
}
NOTES_IN_TABLE = [
    "Ghi chú: số liệu tính đến ngày {d}",
    "(*) Số liệu ước thực hiện đến cuối kỳ",
    "Số liệu do các xã báo cáo, Phòng tổng hợp",
]

# Officers' abbreviations (issue 14): applied per file, consistently, to phrasings written in full.
ABBREVIATIONS = [
    ("Trung tâm Khuyến công", "TTKC"),
    ("công nghiệp nông thôn", "CNNT"),
    ("tiểu thủ công nghiệp", "TTCN"),
    ("cơ sở sản xuất", "CSSX"),
    ("máy móc thiết bị", "MMTB"),
    ("chuyển giao công nghệ", "CGCN"),
    ("sản xuất sạch hơn", "SXSH"),
    ("hội chợ triển lãm", "HCTL"),
    ("khuyến công", "KC"),
    ("cụm công nghiệp", "CCN"),
    ("khoa học kỹ thuật", "KHKT"),
]
QUALIFIERS = [
    "tại {xa}",
    "năm {nam}",
    "cho lao động nông thôn",
    "(nguồn KCĐP)",
    "(nguồn KCQG)",
    "đợt {k}",
    "trên địa bàn {huyen}",
    "theo kế hoạch năm {nam}",
    "(đề án chuyển tiếp)",
]
# qualifiers that make sense after an indicator's phrasing (others are left out for it)
QUALIFIER_FITS = {"cho lao động nông thôn": ("P1.2", "P1.3")}


# ------------------------------------------------------------------------------------------- file plan


@dataclass
class Row:
    """One row of a table as written, and what reading it must yield."""

    label: str
    dvt: str | None
    value: object  # int, float, str, or None
    expected: str | None  # indicator code (table A) or sub-programme code (budget), None = stays unmatched
    kind: str  # indicator | heading | other | subrow | money | subtotal | note | budget
    section: str | None = None  # sub-programme named by the enclosing heading (for a heading: the one it names)
    stt: str | None = None
    plan: object = None
    note: str | None = None
    amounts: dict[str, object] = field(default_factory=dict)  # budget rows: source -> amount


@dataclass
class Style:
    headings: str  # roman | roman-in-name | arabic | none
    numbering: str  # stt | name-dot | name-dash | none
    abbreviate: bool
    columns: str  # plan-done-cumulative | done | result | two-row | quantity-money | no-dvt
    caps_headings: bool
    header_fields: bool  # "Đơn vị báo cáo:" / "Kỳ báo cáo:" labels besides the title lines
    budget: bool
    context: bool
    title_case: str  # sentence | lower (a few officers start labels in lower case)


@dataclass
class Plan:
    index: int
    unit: str
    period: Period
    fmt: str  # xlsx | xls | ods
    encoding: str  # unicode | tcvn3 | vni
    style: Style
    codes: list[str]
    split: str = "tune"
    sheet: str = "Sheet1"

    @property
    def name(self) -> str:
        return f"{self.index:02d}-{self.unit}-{self.period.code}.{self.fmt}"


def _periods(rng: random.Random) -> Period:
    year = rng.choice([2012, 2012, 2013, 2013, 2014, 2014, 2015])
    kind = rng.choices(["month", "quarter", "half", "nine", "year"], weights=[30, 30, 15, 10, 15])[0]
    match kind:
        case "month":
            return parse_period(f"{year}-{rng.randint(1, 12):02d}")
        case "quarter":
            return parse_period(f"{year}-Q{rng.randint(1, 4)}")
        case "half":
            return parse_period(f"{year}-H{rng.choice([1, 1, 2])}")
        case "nine":
            return parse_period(f"{year}-9M")
    return parse_period(str(year))


def _eligible(unit: str) -> list[str]:
    """Indicators a unit reports: the provincial centre runs the province-level ones and owes no context
    figures; districts report the others and the context figures."""
    if unit == TTKC:
        return [c for c in INDICATORS if c not in CONTEXT]
    return [c for c in INDICATORS if c not in PROVINCE_ONLY]


def _choose_codes(rng: random.Random, unit: str, style: Style) -> list[str]:
    codes = []
    for code in _eligible(unit):
        if code in CONTEXT:
            if style.context:
                codes.append(code)
        elif rng.random() < (0.85 if code in PROVINCE_ONLY else 0.45):
            codes.append(code)
    if len([c for c in codes if c not in CONTEXT]) < 4:  # every report says something
        extra = [c for c in _eligible(unit) if c not in codes and c not in CONTEXT]
        codes += rng.sample(extra, 4)
    return sorted(codes, key=list(INDICATORS).index)


def _style(rng: random.Random, unit: str) -> Style:
    headings = rng.choices(["roman", "roman-in-name", "arabic", "none"], weights=[40, 25, 20, 15])[0]
    return Style(
        headings=headings,
        numbering=rng.choice(["stt", "stt", "name-dot", "name-dash", "none"]),
        abbreviate=rng.random() < 0.5,
        columns=rng.choices(
            ["plan-done-cumulative", "done", "result", "two-row", "quantity-money", "no-dvt"],
            weights=[25, 20, 15, 15, 15, 10],
        )[0],
        caps_headings=rng.random() < 0.5,
        header_fields=rng.random() < 0.3,
        budget=rng.random() < 0.4,
        context=unit != TTKC and rng.random() < 0.4,
        title_case="lower" if rng.random() < 0.1 else "sentence",
    )


def plan_files(rng: random.Random) -> list[Plan]:
    """Units, periods, formats, encodings, styles and indicators of every file; the held-out third."""
    districts = [u for u in DISTRICTS if u != "phu-rieng"]
    units = [TTKC] * 10 + districts * 5 + districts[:5] + ["phu-rieng"]
    assert len(units) == N_FILES
    rng.shuffle(units)
    formats = ["xlsx"] * 34 + ["xls"] * 16 + ["ods"] * 16
    rng.shuffle(formats)
    plans = []
    for i, (unit, fmt) in enumerate(zip(units, formats, strict=True), start=1):
        period = parse_period(rng.choice(["2015-Q4", "2015-12", "2015-11"])) if unit == "phu-rieng" else _periods(rng)
        style = _style(rng, unit)
        plans.append(Plan(i, unit, period, fmt, "unicode", style, _choose_codes(rng, unit, style)))
    legacy = [p for p in plans if p.fmt in ("xlsx", "xls")]
    for p, enc in zip(rng.sample(legacy, 16), ["tcvn3"] * 10 + ["vni"] * 6, strict=True):
        p.encoding = enc
    # the held-out third: striped over format, encoding and kind of unit, in a shuffled order within each
    order = sorted(plans, key=lambda p: (p.fmt, p.encoding, p.unit == TTKC, rng.random()))
    for k, p in enumerate(order):
        if k % 3 == 1:
            p.split = "held_out"
    _cover(plans, rng)
    for p in plans:
        p.sheet = rng.choice(["Sheet1", "Sheet1", "BC", "Báo cáo", "TH", f"KC {p.period.code}"])
    return plans


def _cover(plans: list[Plan], rng: random.Random) -> None:
    """Every indicator in both splits: an indicator a split lacks is added to one of its files that may carry it."""
    for split in ("tune", "held_out"):
        group = [p for p in plans if p.split == split]
        for code in INDICATORS:
            if any(code in p.codes for p in group):
                continue
            able = [p for p in group if code in _eligible(p.unit) and (code not in CONTEXT or p.style.context)]
            if code in CONTEXT and not able:
                able = [p for p in group if p.unit != TTKC]
                chosen = rng.choice(able)
                chosen.style.context = True
                chosen.codes = sorted(set(chosen.codes) | set(CONTEXT), key=list(INDICATORS).index)
                continue
            chosen = rng.choice(able)
            chosen.codes = sorted([*chosen.codes, code], key=list(INDICATORS).index)


# -------------------------------------------------------------------------------------------- the labels


def _unit_name(unit: str) -> str:
    if unit == TTKC:
        return "tỉnh Bình Phước"
    kind, name, _, _ = DISTRICTS[unit]
    return f"{kind} {name}"


def _commune(rng: random.Random, unit: str) -> str:
    if unit == TTKC:
        district = rng.choice([u for u in DISTRICTS if u != "phu-rieng"])
        kind, name, _, communes = DISTRICTS[district]
        return f"{rng.choice(communes)}, {kind} {name}"
    return rng.choice(DISTRICTS[unit][3])


def _fill(rng: random.Random, text: str, plan: Plan) -> str:
    """Put places, trades, firms … into a phrasing."""
    unit = plan.unit
    commune = _commune(rng, unit)
    values = {
        "nghe": rng.choice(TRADES),
        "xa": commune,
        "cs": rng.choice(FIRMS),
        "may": rng.choice(MACHINES),
        "sp": rng.choice(PRODUCTS),
        "tinh": rng.choice(PROVINCES),
        "chude": rng.choice(TOPICS),
        "hc": rng.choice(FAIRS),
        "dl": rng.choice(TOURISM),
        "nam": str(plan.period.first[0]),
        "nam1": str(plan.period.first[0] + 1),
        "huyen": _unit_name(unit),
        "k": str(rng.randint(1, 3)),
        "q": ROMAN[(plan.period.last[1] - 1) // 3 + 1],
        "ccn": commune.split(", ")[0].replace("xã ", "").replace("phường ", "").replace("thị trấn ", ""),
        "d": f"{_period_end(plan.period) - 5:02d}/{plan.period.last[1]:02d}/{plan.period.last[0]}",
    }
    return text.format(**values)


def _period_end(period: Period) -> int:
    return period.end.day


def _abbreviate(rng: random.Random, text: str, chosen: set[str]) -> str:
    for full, short in ABBREVIATIONS:
        if short in chosen:
            text = re.sub(re.escape(full), short, text, flags=re.IGNORECASE)
    return text


def _phrase(rng: random.Random, code: str, plan: Plan, abbreviations: set[str]) -> str:
    pool = [p for p in PHRASES[code] if plan.style.headings != "none" or not p.startswith("§")]
    text = _fill(rng, rng.choice(pool).lstrip("§"), plan)
    if code not in CONTEXT and rng.random() < 0.35:
        fits = [q for q in QUALIFIERS if code in QUALIFIER_FITS.get(q, (code,))]
        qualifier = _fill(rng, rng.choice(fits), plan)
        first = qualifier.split()[0]
        if first not in ("tại", "cho", "trên") or f" {first} " not in f" {text} ":  # one place, one beneficiary
            text = f"{text} {qualifier}"
    if rng.random() < 0.06 and code not in CONTEXT and " tại " not in text:  # the place first, then the activity
        place = _commune(rng, plan.unit).split(", ")[0]
        text = (
            f"{place[0].upper()}{place[1:]}: {text[0].lower()}{text[1:]}"
            if not text[:2].isupper()
            else f"{place[0].upper()}{place[1:]}: {text}"
        )
    text = _abbreviate(rng, text, abbreviations)
    if plan.style.title_case == "lower" and not text[:2].isupper():
        text = text[0].lower() + text[1:]
    return text


# ------------------------------------------------------------------------------------------ table A rows


def _value(rng: random.Random, code: str) -> object:
    low, high = RANGES[code]
    if code == "C3":
        return round(rng.uniform(low, high), rng.choice([0, 1, 1, 2]))
    if rng.random() < 0.04:
        return 0
    return rng.randint(low, high)


def _section_rows(rng: random.Random, plan: Plan, group: str, codes: list[str], abbreviations: set[str]) -> list[Row]:
    rows: list[Row] = []
    for code in codes:
        value = _value(rng, code)
        blank = rng.random() < 0.04
        dvt = rng.choice(DVT[code])
        row = Row(_phrase(rng, code, plan, abbreviations), dvt, None if blank else value, code, "indicator", group)
        if not blank and isinstance(value, int) and rng.random() < 0.4:
            row.plan = value + rng.randint(0, max(2, value // 2))
        if rng.random() < 0.2:
            row.note = _fill(
                rng,
                rng.choice(
                    ["Lớp {nghe}", "Tại {xa}", "{cs}", "Nguồn KCĐP", "Đã nghiệm thu", "Chuyển tiếp từ năm trước"]
                ),
                plan,
            )
        rows.append(row)
        if group in NOISE and rng.random() < 0.22:
            rows.append(_noise(rng, plan, rng.choice(NOISE[group]), group))
    if group == "P1" and len(rows) >= 2 and rng.random() < 0.3:  # a subtotal of the people trained
        people = sum(r.value for r in rows if r.expected in ("P1.2", "P1.3", "P1.4") and isinstance(r.value, int))
        rows.append(
            Row(
                rng.choice(["Cộng", "Cộng mục I", "Tổng số lao động được đào tạo"]),
                "người",
                people,
                None,
                "subtotal",
                group,
            )
        )
    return rows


def _noise(rng: random.Random, plan: Plan, item: tuple[str, str | None, int | None, int], group: str | None) -> Row:
    label, dvt, low, high = item
    value = None if low is None else rng.randint(low, high)
    kind = "subrow" if label.startswith("- Trong đó") else "money" if dvt == "triệu đồng" else "other"
    return Row(_fill(rng, label, plan), dvt, value, None, kind, group)


def table_rows(rng: random.Random, plan: Plan) -> list[Row]:
    """Table A as the officer wrote it: section headings, activities, other work, subtotals, notes."""
    abbreviations = {short for _, short in ABBREVIATIONS if rng.random() < 0.75} if plan.style.abbreviate else set()
    groups = [g.code for g in PROGRAMME.groups]
    by_group = {
        g: [c for c in plan.codes if c in [i.code for i in PROGRAMME.groups[k].indicators]]
        for k, g in enumerate(groups)
    }
    order = [g for g in groups if by_group[g]]
    context_first = rng.random() < 0.5
    if "C" in order and context_first:
        order = ["C", *[g for g in order if g != "C"]]
    rows: list[Row] = []
    for g in order:
        codes = by_group[g][:]
        if rng.random() < 0.25:
            rng.shuffle(codes)  # officers list activities in the order they happened
        section = _section_rows(rng, plan, g, codes, abbreviations)
        if plan.style.headings == "none":
            for row in section:
                row.section = None
        else:
            heading = _abbreviate(rng, rng.choice(HEADINGS[g]), abbreviations)
            group_value = None
            if g == "P1" and rng.random() < 0.2:  # the section's people, summed on its heading row
                group_value = (
                    sum(
                        r.value
                        for r in section
                        if r.kind == "indicator" and isinstance(r.value, int) and INDICATORS[r.expected].unit == "người"
                    )
                    or None
                )
            rows.append(
                Row(heading.upper() if plan.style.caps_headings else heading, None, group_value, None, "heading", g)
            )
        rows += section
    for _ in range(rng.choice([1, 1, 2, 3])):
        rows.append(_noise(rng, plan, rng.choice(NOISE["any"]), None))
    if rng.random() < 0.3:
        rows.append(Row(_fill(rng, rng.choice(NOTES_IN_TABLE), plan), None, None, None, "note", None))
    _number(rng, plan, rows)
    return rows


def _roman(n: int) -> str:
    return ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"][n - 1]


def _number(rng: random.Random, plan: Plan, rows: list[Row]) -> None:
    """STT and numbering as officers do it: Roman headings, 1, 2, 3 … under them; or numbers in the label."""
    section, item = 0, 0
    for row in rows:
        if row.kind == "heading":
            section += 1
            item = 0
            if plan.style.headings == "roman":
                row.stt = _roman(section)
            elif plan.style.headings == "roman-in-name":
                row.label = f"{_roman(section)}. {row.label}"
            else:  # arabic
                row.label = f"{section}. {row.label}"
            continue
        if row.kind in ("subrow", "subtotal", "note"):
            continue
        item += 1
        match plan.style.numbering:
            case "stt":
                row.stt = str(item) if plan.style.headings != "arabic" else f"{section}.{item}"
            case "name-dot":
                prefix = f"{section}.{item}." if plan.style.headings == "arabic" else f"{item}."
                row.label = f"{prefix} {row.label}"
            case "name-dash":
                row.label = f"- {row.label}"


# ----------------------------------------------------------------------------------------- budget rows


def budget_rows(rng: random.Random, plan: Plan, abbreviate: bool) -> list[Row]:
    groups = sorted({PROGRAMME.subprogramme_of(c).code for c in plan.codes if c not in CONTEXT})
    if rng.random() < 0.3:
        groups = sorted(set(groups) | set(rng.sample(SUBPROGRAMMES, 2)))
    abbreviations = {"CNNT", "MMTB", "CGCN", "KC", "CCN"} if abbreviate else set()
    rows = []
    for k, sp in enumerate(groups, start=1):
        amounts: dict[str, object] = {}
        for src in ("KCQG", "KCĐP", "Khác"):
            roll = rng.random()
            if roll < 0.35:
                continue  # nothing from this source: left blank
            amounts[src] = 0 if roll < 0.4 else round(rng.uniform(5, 450), rng.choice([0, 0, 1, 2]))
        label = _abbreviate(rng, rng.choice(BUDGET_LABELS[sp]), abbreviations)
        rows.append(Row(label, None, None, sp, "budget", sp, stt=_roman(k), amounts=amounts))
    if rng.random() < 0.5:
        amounts = {"KCĐP": round(rng.uniform(2, 30), 1)}
        rows.append(
            Row(rng.choice(BUDGET_OTHER), None, None, None, "other", None, stt=_roman(len(rows) + 1), amounts=amounts)
        )
    return rows


# -------------------------------------------------------------------------------------------- the sheet


@dataclass
class Sheet:
    """A sheet's cells as written (1-based), with bold cells and merged ranges."""

    name: str
    cells: dict[tuple[int, int], object] = field(default_factory=dict)
    bold: set[tuple[int, int]] = field(default_factory=set)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    row: int = 0

    def put(self, r: int, c: int, value: object, bold: bool = False) -> None:
        if value is None or value == "":
            return
        self.cells[r, c] = value
        if bold:
            self.bold.add((r, c))

    def next(self, skip: int = 0) -> int:
        self.row += 1 + skip
        return self.row


def sheet_ref(name: str) -> str:
    """A sheet name as Excel writes it in a reference: quoted unless it is a plain word."""
    return name if re.fullmatch(r"[^\W\d]\w*", name) else "'" + name.replace("'", "''") + "'"


def _period_phrase(rng: random.Random, period: Period) -> str:
    (y, m), _ = period.first, period.last
    match period.kind:
        case Kind.MONTH:
            return rng.choice([f"tháng {m} năm {y}", f"tháng {m:02d}/{y}", f"tháng {m}/{y}"])
        case Kind.QUARTER:
            q = ROMAN[(m - 1) // 3 + 1]
            return rng.choice([f"quý {q} năm {y}", f"quý {q}/{y}", f"Quý {q} năm {y}"])
        case Kind.HALF:
            return f"6 tháng đầu năm {y}" if m == 1 else f"6 tháng cuối năm {y}"
        case Kind.NINE_MONTHS:
            return rng.choice([f"9 tháng năm {y}", f"9 tháng đầu năm {y}"])
    return f"năm {y}"


def _header(rng: random.Random, plan: Plan, sheet: Sheet) -> tuple[str, date, bool]:
    """The title block: parent body and office, motto, number, place and date, title with the period.
    Returns the place and date, and whether that line is already written (top right, under the motto)."""
    end = plan.period.end
    day = date(end.year + (end.month == 12), end.month % 12 + 1, rng.randint(2, 12))
    if plan.unit == TTKC:
        parent, office, place, number = "SỞ CÔNG THƯƠNG BÌNH PHƯỚC", TTKC_NAME.upper(), "Đồng Xoài", "BC-TTKC"
    else:
        kind, name, office, _ = DISTRICTS[plan.unit]
        parent, office, place, number = (
            f"UBND {kind} {name}".upper(),
            office.upper(),
            name,
            "BC-KTHT" if kind == "huyện" else "BC-PKT",
        )
    phrase = _period_phrase(rng, plan.period)
    r = sheet.next()
    sheet.put(r, 1, parent)
    sheet.put(r, 4, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True)
    r = sheet.next()
    sheet.put(r, 1, office, bold=True)
    sheet.put(r, 4, "Độc lập - Tự do - Hạnh phúc", bold=True)
    r = sheet.next()
    sheet.put(r, 1, f"Số: {rng.randint(3, 180):02d}/{number}")
    date_on_top = rng.random() < 0.5
    if date_on_top:
        sheet.put(r, 4, f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}")
    r = sheet.next(1)
    sheet.put(r, 1, "BÁO CÁO", bold=True)
    sheet.merged.append((r, 1, r, 7))
    r = sheet.next()
    title = rng.choice(
        [
            "Kết quả thực hiện công tác khuyến công {p}",
            "Tình hình thực hiện Chương trình khuyến công {p}",
            "Kết quả hoạt động khuyến công {p}",
            "V/v báo cáo kết quả công tác khuyến công {p}",
        ]
    )
    sheet.put(r, 1, title.format(p=phrase), bold=True)
    sheet.merged.append((r, 1, r, 7))
    if plan.style.header_fields:
        r = sheet.next(1)
        sheet.put(r, 1, "Đơn vị báo cáo:")
        sheet.put(r, 3, TTKC_NAME if plan.unit == TTKC else f"UBND {_unit_name(plan.unit)}")
        r = sheet.next()
        sheet.put(r, 1, "Kỳ báo cáo:")
        sheet.put(r, 3, phrase[0].upper() + phrase[1:])
    r = sheet.next()
    sheet.put(r, 1, "Kính gửi: Sở Công Thương tỉnh Bình Phước")
    sheet.row += 1
    return place, day, date_on_top


COLUMN_SETS = {
    # columns after STT and the label: (header, what goes in it)
    "plan-done-cumulative": [
        ("ĐVT", "dvt"),
        ("Kế hoạch năm {y}", "plan"),
        ("Thực hiện trong kỳ", "value"),
        ("Lũy kế từ đầu năm", "cumulative"),
        ("Ghi chú", "note"),
    ],
    "done": [("Đơn vị tính", "dvt"), ("Thực hiện", "value"), ("Ghi chú", "note")],
    "result": [("ĐVT", "dvt"), ("Kết quả thực hiện", "value"), ("Ghi chú", "note")],
    "two-row": [
        ("ĐVT", "dvt"),
        ("Thực hiện|Trong kỳ", "value"),
        ("Thực hiện|Lũy kế", "cumulative"),
        ("Ghi chú", "note"),
    ],
    "quantity-money": [("ĐVT", "dvt"), ("Số lượng", "value"), ("Kinh phí (triệu đồng)", "money"), ("Ghi chú", "note")],
    "no-dvt": [("Thực hiện trong kỳ", "value"), ("Ghi chú", "note")],
}
NAME_HEADERS = ["Nội dung", "Nội dung", "Nội dung hoạt động", "Tên hoạt động", "Nội dung công việc"]


@dataclass
class Written:
    """Where each row went: (row, label cell, value cell)."""

    rows: list[tuple[Row, int, int | None]] = field(default_factory=list)
    budget: list[tuple[Row, int, dict[str, int]]] = field(default_factory=list)


def _table_a(rng: random.Random, plan: Plan, sheet: Sheet, rows: list[Row], written: Written) -> None:
    columns = COLUMN_SETS[plan.style.columns]
    y = plan.period.first[0]
    r = sheet.next()
    two_rows = any("|" in h for h, _ in columns)
    name_header = rng.choice(NAME_HEADERS)
    sheet.put(r, 1, rng.choice(["STT", "TT", "Số TT"]), bold=True)
    sheet.put(r, 2, name_header, bold=True)
    value_col = None
    col_of: dict[str, int] = {}
    for k, (head, what) in enumerate(columns, start=3):
        col_of[what] = k
        if what == "value":
            value_col = k
        if "|" in head:
            top, sub = head.split("|")
            if top != sheet.cells.get((r, k - 1)):
                sheet.put(r, k, top, bold=True)
                sheet.merged.append((r, k, r, k + 1))
            sheet.put(r + 1, k, sub, bold=True)
        else:
            sheet.put(r, k, head.format(y=y), bold=True)
            if two_rows:
                sheet.merged.append((r, k, r + 1, k))
    if two_rows:
        sheet.merged += [(r, 1, r + 1, 1), (r, 2, r + 1, 2)]
        sheet.row += 1
    assert value_col is not None
    for row in rows:
        r = sheet.next()
        label = row.label
        if "dvt" not in col_of and row.dvt and row.kind not in ("heading", "note"):
            label = f"{label} ({row.dvt})"
            row.label = label
        sheet.put(r, 1, row.stt, bold=row.kind == "heading")
        sheet.put(r, 2, label, bold=row.kind in ("heading", "subtotal"))
        if "dvt" in col_of:
            sheet.put(r, col_of["dvt"], row.dvt)
        sheet.put(r, value_col, row.value)
        if "plan" in col_of:
            sheet.put(r, col_of["plan"], row.plan)
        if "cumulative" in col_of and isinstance(row.value, int) and row.kind == "indicator":
            sheet.put(r, col_of["cumulative"], row.value + rng.randint(0, 2 * max(row.value, 1)))
        if "money" in col_of and row.kind == "indicator" and rng.random() < 0.6:
            sheet.put(r, col_of["money"], round(rng.uniform(10, 300), rng.choice([0, 1])))
        if "note" in col_of:
            sheet.put(r, col_of["note"], row.note)
        written.rows.append((row, r, value_col))


def _table_b(rng: random.Random, plan: Plan, sheet: Sheet, rows: list[Row], written: Written) -> None:
    r = sheet.next(1)
    sheet.put(
        r,
        1,
        rng.choice(
            [
                "B. KINH PHÍ THỰC HIỆN (ĐVT: triệu đồng)",
                "II. KINH PHÍ THỰC HIỆN",
                "III. Kinh phí thực hiện trong kỳ (triệu đồng)",
            ]
        ),
        bold=True,
    )
    r = sheet.next()
    names = rng.choice(
        [("KCQG", "KCĐP", "Khác"), ("Kinh phí khuyến công quốc gia", "Kinh phí khuyến công địa phương", "Nguồn khác")]
    )
    total = rng.choice(["Tổng cộng", "Cộng"])
    for k, head in enumerate(
        [rng.choice(["STT", "TT"]), rng.choice(["Nội dung", "Chương trình"]), *names, total], start=1
    ):
        sheet.put(r, k, head, bold=True)
    cols = dict(zip(("KCQG", "KCĐP", "Khác"), (3, 4, 5), strict=True))
    for row in rows:
        r = sheet.next()
        sheet.put(r, 1, row.stt)
        sheet.put(r, 2, row.label)
        for src, amount in row.amounts.items():
            sheet.put(r, cols[src], amount)
        numbers = [a for a in row.amounts.values() if isinstance(a, int | float)]
        if numbers and rng.random() < 0.7:
            sheet.put(r, 6, round(sum(numbers), 2))
        written.budget.append((row, r, cols))
    r = sheet.next()
    sheet.put(r, 2, "Tổng cộng", bold=True)
    for src, c in cols.items():
        amounts = [row.amounts[src] for row in rows if src in row.amounts]
        if amounts:
            sheet.put(r, c, round(sum(amounts), 2))


def _footer(rng: random.Random, plan: Plan, sheet: Sheet, place: str, day: date, date_on_top: bool) -> None:
    r = sheet.next(1)
    sheet.put(
        r,
        1,
        rng.choice(
            ["Khó khăn, vướng mắc:", "C. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ", "Khó khăn, vướng mắc và đề xuất:"]
        ),
        bold=True,
    )
    r = sheet.next()
    sheet.put(
        r,
        1,
        rng.choice(
            [
                "- Kinh phí khuyến công địa phương phân bổ chậm, cơ sở ít đăng ký tham gia đề án.",
                "- Cán bộ làm công tác khuyến công kiêm nhiệm, thiếu kinh nghiệm.",
                "- Cơ sở sản xuất nhỏ lẻ, khó đáp ứng điều kiện đối ứng kinh phí.",
            ]
        ),
    )
    r = sheet.next(1)
    if not date_on_top:
        sheet.put(r, 5, f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}")
        r = sheet.next()
    sheet.put(r, 1, "Nơi nhận:", bold=True)
    sheet.put(r, 5, "TRƯỞNG PHÒNG" if plan.unit != TTKC else "GIÁM ĐỐC", bold=True)
    r = sheet.next()
    sheet.put(r, 1, "- Sở Công Thương;")
    r = sheet.next()
    sheet.put(r, 1, "- Lưu: VT.")
    sheet.put(
        r, 5, rng.choice(["Nguyễn Văn Hùng", "Trần Thị Lan", "Lê Minh Tuấn", "Phạm Thị Hồng", "Đỗ Văn Sơn"]), bold=True
    )


def build_sheet(rng: random.Random, plan: Plan) -> tuple[Sheet, list[Row], list[Row], Written]:
    sheet = Sheet(plan.sheet)
    place, day, date_on_top = _header(rng, plan, sheet)
    rows = table_rows(rng, plan)
    written = Written()
    _table_a(rng, plan, sheet, rows, written)
    budget = budget_rows(rng, plan, plan.style.abbreviate) if plan.style.budget else []
    if budget:
        _table_b(rng, plan, sheet, budget, written)
    _footer(rng, plan, sheet, place, day, date_on_top)
    return sheet, rows, budget, written


# --------------------------------------------------------------------------------------- legacy text


def legacy(text: str, encoding: str) -> tuple[str, str, str]:
    """(text as typed, font name, text as shown) for one cell typed in a legacy font: TCVN3 (.VnTime, or the
    capitals font .VnTimeH for text with accented capitals, shown in capitals) or VNI (VNI-Times)."""
    typed, font = legacy_font(text, encoding)
    return typed, font, text.upper() if font == ".VnTimeH" else text


# ------------------------------------------------------------------------------------------- the writers


def write_zip(path: Path, members: list[tuple[zipfile.ZipInfo, bytes]]) -> None:
    """A zip with fixed timestamps, each member's order and compression kept (ods: stored mimetype)."""
    with zipfile.ZipFile(path, "w") as z:
        for info, data in members:
            stored = info.compress_type == zipfile.ZIP_STORED
            out = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            out.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            out.external_attr = 0o644 << 16
            out.create_system = 3
            z.writestr(out, data, compresslevel=None if stored else 9)


def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i, z.read(i.filename)) for i in z.infolist()]


def _typed(sheet: Sheet, encoding: str) -> tuple[dict[tuple[int, int], object], dict[tuple[int, int], str]]:
    """Cell values as typed and the font of each text cell."""
    cells, fonts = {}, {}
    for pos, value in sheet.cells.items():
        if isinstance(value, str) and encoding != "unicode":
            cells[pos], fonts[pos], _ = legacy(value, encoding)
        else:
            cells[pos] = value
    return cells, fonts


def write_xlsx(path: Path, sheet: Sheet, encoding: str) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet.name
    for col, width in zip("ABCDEFG", (6, 62, 12, 12, 12, 14, 18), strict=True):
        ws.column_dimensions[col].width = width
    cells, fonts = _typed(sheet, encoding)
    for (r, c), value in sorted(cells.items()):
        cell = ws.cell(r, c, value)
        cell.font = Font(name=fonts.get((r, c), "Times New Roman"), size=12, bold=(r, c) in sheet.bold)
        if c == 2:
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    for r0, c0, r1, c1 in sheet.merged:
        ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
    wb.properties.created = wb.properties.modified = FIXED
    wb.properties.creator = "khuyencong label corpus"
    buf = io.BytesIO()
    wb.save(buf)
    members = []
    for info, data in _members(buf.getvalue()):
        if info.filename == "docProps/core.xml":
            data = re.sub(
                rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>2013-01-10T08:00:00Z\g<3>", data
            )
        members.append((info, data))
    write_zip(path, members)


def write_xls(path: Path, sheet: Sheet, encoding: str) -> None:
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(sheet.name)
    cells, fonts = _typed(sheet, encoding)
    styles: dict[tuple[str, bool], xlwt.XFStyle] = {}

    def style(pos: tuple[int, int]) -> xlwt.XFStyle:
        key = (fonts.get(pos, "Times New Roman"), pos in sheet.bold)
        if key not in styles:
            styles[key] = xlwt.easyxf(f"font: name {key[0]}{', bold on' if key[1] else ''}")
        return styles[key]

    inside = {(r, c) for r0, c0, r1, c1 in sheet.merged for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    for r0, c0, r1, c1 in sheet.merged:
        ws.write_merge(r0 - 1, r1 - 1, c0 - 1, c1 - 1, cells.get((r0, c0), ""), style((r0, c0)))
    for (r, c), value in sorted(cells.items()):
        if (r, c) not in inside:
            ws.write(r - 1, c - 1, value, style((r, c)))
    ws.col(1).width = 256 * 62
    buf = io.BytesIO()
    book.save(buf)
    path.write_bytes(buf.getvalue())


@contextmanager
def _own_namespaces() -> Iterator[None]:
    """odfpy declares in each document every namespace any document of the process used before (a class-level
    dict): cleared for the time of one document, the file declares its own, whatever was written before it; put
    back as it was after, so that what others write later does not depend on this file either."""
    saved = dict(OdfElement.namespaces)
    OdfElement.namespaces.clear()
    try:
        yield
    finally:
        OdfElement.namespaces.clear()
        OdfElement.namespaces.update(saved)


def write_ods(path: Path, sheet: Sheet) -> None:
    height = max(r for r, _ in sheet.cells)
    width = max(c for _, c in sheet.cells)
    grid: list[list[object]] = [[None] * width for _ in range(height)]
    for (r, c), value in sheet.cells.items():
        grid[r - 1][c - 1] = value
    buf = io.BytesIO()
    with _own_namespaces(), pd.ExcelWriter(buf, engine="odf") as writer:
        pd.DataFrame(grid, dtype=object).to_excel(writer, sheet_name=sheet.name, header=False, index=False)
    members = []
    for info, data in _members(buf.getvalue()):
        if info.filename == "meta.xml":
            data = re.sub(
                rb"<meta:creation-date>[^<]*</meta:creation-date>",
                b"<meta:creation-date>2013-01-10T08:00:00</meta:creation-date>",
                data,
            )
            data = re.sub(rb"<dc:date>[^<]*</dc:date>", b"<dc:date>2013-01-10T08:00:00</dc:date>", data)
        members.append((info, data))
    write_zip(path, members)


# ----------------------------------------------------------------------------------------- expectations


def _amount(value: object) -> str | None:
    """A value as the reader stores it (Decimal, printed with format 'f'), None for no value."""
    if value is None:
        return None
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def _shown(text: str, encoding: str) -> str:
    return legacy(text, encoding)[2] if encoding != "unicode" else text


def expectations(plan: Plan, written: Written) -> dict:
    ref = sheet_ref(plan.sheet)
    rows = []
    for row, r, value_col in written.rows:
        entry = {
            "row": r,
            "label": _shown(row.label, plan.encoding),
            "dvt": row.dvt,
            "value": _amount(row.value),
            "cell": f"{ref}!{get_column_letter(value_col)}{r}" if value_col else None,
            "expected": row.expected,
            "kind": row.kind,
            "section": row.section,
        }
        rows.append(entry)
    budget = []
    for row, r, cols in written.budget:
        for src, amount in row.amounts.items():
            budget.append(
                {
                    "row": r,
                    "label": _shown(row.label, plan.encoding),
                    "source": src,
                    "value": _amount(amount),
                    "cell": f"{ref}!{get_column_letter(cols[src])}{r}",
                    "expected": row.expected,
                }
            )
    s = plan.style
    return {
        "file": plan.name,
        "unit": plan.unit,
        "period": plan.period.code,
        "format": plan.fmt,
        "encoding": plan.encoding,
        "split": plan.split,
        "sheet": plan.sheet,
        "style": {
            "headings": s.headings,
            "numbering": s.numbering,
            "abbreviations": s.abbreviate,
            "columns": s.columns,
        },
        "rows": rows,
        "budget": budget,
    }


class _Dumper(yaml.SafeDumper):
    """Rows (dicts of scalars) on one line each."""


def _dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    flow = all(not isinstance(x, list | dict) for x in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


_Dumper.add_representer(dict, _dict)


def main(folder: Path = HERE) -> list[dict]:
    """(Re)write folder/files/ and folder/expected.yaml; return the files' expectations."""
    files, expected = folder / "files", folder / "expected.yaml"
    if files.exists():
        shutil.rmtree(files)
    files.mkdir(parents=True)
    rng = random.Random(SEED)
    plans = plan_files(rng)
    entries = []
    for plan in plans:
        sheet, _rows, _budget, written = build_sheet(rng, plan)
        path = files / plan.name
        if plan.fmt == "xlsx":
            write_xlsx(path, sheet, plan.encoding)
        elif plan.fmt == "xls":
            write_xls(path, sheet, plan.encoding)
        else:
            assert plan.encoding == "unicode"
            write_ods(path, sheet)
        entries.append(expectations(plan, written))
    _check(entries)
    doc = {
        "about": "Generated by make_labels.py. Per file: unit, period, format, text encoding, split (tune | "
        "held_out) and every table row as written: label, ĐVT, value (as stored, or null), the value's "
        "cell, and the indicator it belongs to (null: the row must stay unmatched). kind: indicator, "
        "heading (section naming the sub-programme in 'section'), other (work that is no indicator), "
        "subrow, money, subtotal, note. Budget rows: one per amount, expected = the sub-programme.",
        "seed": SEED,
        "files": entries,
    }
    expected.write_text(
        yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8"
    )
    return entries


def _check(entries: list[dict]) -> None:
    """What the corpus promises: every indicator and sub-programme in both splits, one row per indicator per file."""
    for split in ("tune", "held_out"):
        group = [e for e in entries if e["split"] == split]
        codes = {r["expected"] for e in group for r in e["rows"] if r["expected"] and r["value"] is not None}
        assert codes == set(INDICATORS), (split, set(INDICATORS) - codes)
        sections = {r["section"] for e in group for r in e["rows"] if r["kind"] == "heading"}
        assert set(SUBPROGRAMMES) <= sections, (split, set(SUBPROGRAMMES) - sections)
    for e in entries:
        codes = [r["expected"] for r in e["rows"] if r["expected"]]
        assert len(codes) == len(set(codes)), e["file"]
        for r in e["rows"]:
            assert _ends_table(r["label"]) is False, (e["file"], r["label"])
            assert _is_total(r["label"]) == (r["kind"] == "subtotal"), (e["file"], r["label"])


_TABLE_END = re.compile(
    r"^(?:(?:[b-e]|[ivx]+)\.\s*(?:kinh phi|kho khan|de xuat|kien nghi|phuong huong|nhiem vu)"
    r"|(?:kho khan|de xuat|kien nghi|vuong mac|noi nhan|nguoi lap|thu truong|chu tich|giam doc"
    r"|truong phong|ky ten)(?!\w))"
)


def _ends_table(label: str) -> bool:
    """A label the reader would take for the end of a table (a section on funding, difficulties, proposals, the
    signatures): a corpus row must never be one, or the rows under it would not be read at all."""
    return _TABLE_END.match(fold(label)) is not None


def _is_total(label: str) -> bool:
    """A totals row ("Cộng", "Tổng số …"): only the subtotals written as such."""
    return re.match(r"^(?:tổng cộng|tổng số|tổng|cộng)(?!\w)", unicodedata.normalize("NFC", label).lower()) is not None


if __name__ == "__main__":
    made = main()
    rows = sum(len(e["rows"]) for e in made)
    print(
        f"{len(made)} files, {rows} rows in {(HERE / 'files').relative_to(ROOT)}; "
        f"expectations in {(HERE / 'expected.yaml').relative_to(ROOT)}"
    )
