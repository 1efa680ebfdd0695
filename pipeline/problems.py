"""Problems: the catalogue of every problem code, and the one record a problem is, from the check that finds it
to the receipt, the ledger and the exports.

Each code is a module-level `Code` (a `str`: "ZIP_BOMB" is what the ledger stores) carrying its default
severity, where it is raised, an English meaning, a Vietnamese title, what the officer should do and the
Vietnamese message template(s) its messages are built from. Modules import the codes they use by name
(`from pipeline.problems import ZIP_BOMB`), so a misspelt code fails at import. A `Problem` names the file,
the sheet!cell, what was found, what was expected and the message; a file refused as a whole raises it
in `Refused`. `python -m pipeline.problems --markdown` prints the README's table of problem codes.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the file is rejected
    WARNING = "warning"  # the file is accepted; the officer should look


@dataclass(frozen=True)
class Problem:
    """One problem: a file refused as a whole (cell "") or something wrong in it."""

    code: str
    severity: Severity
    file: str  # as people are shown it ("" until the stage that knows the name fills it in: `of_file`)
    cell: str  # "BaoCao!E12", or "BaoCao" / "" when no single cell is at fault
    found: str
    expected: str
    message: str  # what is wrong and how to fix it, in Vietnamese

    def of_file(self, name: str) -> Problem:
        """This problem as the file `name`'s (a refusal found before the name was known): what was found is
        the file itself unless the check said otherwise."""
        return replace(self, file=name, found=self.found or f"«{name}»")


class Refused(Exception):  # noqa: N818 - a file refused, not a failure of the program
    """Raised where a file is refused as a whole (guards, reading, archive): `problem` says why."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


CATALOGUE: dict[str, Code] = {}  # every code, in the order declared (the README's table follows it)


class Code(str):
    """A problem code: the text itself ("ZIP_BOMB") and its catalogue entry. Declared once, below."""

    severity: Severity  # the default: a programme check (`rule`) sets its own in the programme file
    stage: str  # what raises it: intake, guards, reading, validation, cross-check
    meaning: str  # in English, for the README
    title: str  # in Vietnamese, a few words
    action: str  # in Vietnamese: what the officer should do
    template: str  # the Vietnamese message, str.format fields in braces
    variants: Mapping[str, str]  # other messages of the same code, by name
    rule: str  # the programme check (programme file `checks:`) that raises it and sets its severity, or ""

    def __new__(
        cls,
        name: str,
        severity: Severity,
        stage: str,
        *,
        meaning: str,
        title: str,
        action: str,
        template: str,
        variants: Mapping[str, str] | None = None,
        rule: str = "",
    ) -> Code:
        if name in CATALOGUE:
            raise ValueError(f"problem code {name} declared twice")
        code = super().__new__(cls, name)
        code.severity, code.stage, code.meaning, code.title = severity, stage, meaning, title
        code.action, code.template, code.variants, code.rule = action, template, dict(variants or {}), rule
        CATALOGUE[name] = code
        return code

    def __reduce__(self) -> tuple[object, tuple[str]]:  # pickled by name (worker processes): the same entry
        return by_name, (str(self),)

    def message(self, variant: str = "", **fields: object) -> str:
        """The message built from the template (or the named variant) with these fields."""
        return (self.variants[variant] if variant else self.template).format(**fields)


def by_name(name: str) -> Code:
    return CATALOGUE[name]


READABLE = "một tệp Excel (.xlsx, .xlsm, .xls, .ods) đọc được"  # what a file refused as a whole should be


def refusal(code: Code, message: str, found: str = "", expected: str = READABLE) -> Problem:
    """A file refused as a whole (no cell): the stage that knows the file's name fills it in (`of_file`)."""
    return Problem(code, code.severity, "", "", found, expected, message)


ERROR, WARNING = Severity.ERROR, Severity.WARNING
_RESAVE = "Hãy mở báo cáo bằng Excel, lưu lại dưới dạng .xlsx rồi gửi lại."
_RESAVE_ACTION = "Mở báo cáo bằng Excel, lưu lại dưới dạng .xlsx rồi gửi lại."
_ROWS = (
    "{where} có hơn {limit} dòng, vượt giới hạn cho phép. Hãy xoá các dòng thừa (kể cả dòng trống đã định "
    "dạng) rồi lưu lại và gửi lại."
)
_NOT_FOUND = "Không tìm thấy {what} trên sheet «{sheet}». Hãy dùng mẫu báo cáo và giữ nguyên tiêu đề."

# --- taking a file from the inputs folder (pipeline.intake, pipeline.archive) -------------------------------

FILE_NAME_INVALID = Code(
    "FILE_NAME_INVALID",
    ERROR,
    "intake",
    meaning="the file name is not valid UTF-8 (shown with \\xNN escapes); the file is not read",
    title="Tên tệp không đọc được",
    action="Đổi tên tệp, chỉ dùng chữ cái, chữ số và dấu gạch ngang, rồi gửi lại.",
    template="Tên tệp có ký tự không đọc được (thường do giải nén tệp .zip tạo trên Windows), nên tệp chưa được "
    "đọc; các tệp khác vẫn được đọc bình thường. Hãy đổi tên tệp, chỉ dùng chữ cái, chữ số và dấu gạch "
    "ngang (ví dụ bao-cao-bu-dop-2012-06.xlsx), rồi gửi lại.",
)
PERMISSION_DENIED = Code(
    "PERMISSION_DENIED",
    ERROR,
    "intake",
    meaning="the service may not read the file; it is read as soon as it can",
    title="Không được phép đọc tệp",
    action="Nhờ cán bộ quản trị cấp quyền đọc cho tệp: tệp sẽ được đọc ở lần chạy sau.",
    template="Chương trình tiếp nhận không được phép đọc tệp này (quyền truy cập của tệp trên máy chủ), nên tệp "
    "chưa được đọc; các tệp khác vẫn được đọc bình thường. Hãy nhờ cán bộ quản trị cấp quyền đọc cho tệp, "
    "hoặc chép lại tệp vào thư mục tiếp nhận: tệp sẽ được đọc ở lần chạy sau.",
)
FILE_UNREADABLE = Code(
    "FILE_UNREADABLE",
    ERROR,
    "intake, reading",
    meaning="the file cannot be opened or read (a system error, or an error no other check foresaw)",
    title="Không đọc được tệp",
    action=_RESAVE_ACTION,
    template="Không đọc được nội dung tệp ({error}). " + _RESAVE,
    variants={
        "reader": "Không mở được tệp ({error}). " + _RESAVE,
        "open": "Không mở được tệp. Hãy gửi lại tệp báo cáo; các tệp khác vẫn được đọc bình thường.",
        "read": "Không đọc hết được tệp. Hãy gửi lại tệp báo cáo; các tệp khác vẫn được đọc bình thường.",
    },
)
READER_CRASHED = Code(
    "READER_CRASHED",
    ERROR,
    "intake",
    meaning="reading the file killed the worker process twice; only this file is refused",
    title="Tệp làm chương trình đọc dừng đột ngột",
    action=_RESAVE_ACTION,
    template="Tệp làm chương trình đọc bảng tính dừng đột ngột (cấu trúc bất thường hoặc quá lớn) nên không đọc "
    "được; các tệp khác vẫn được đọc bình thường. " + _RESAVE,
)

# --- the guards, before any reader (pipeline.guards; docs/guards.md says how each is detected) --------------

FILE_EMPTY = Code(
    "FILE_EMPTY",
    ERROR,
    "guards",
    meaning="0 bytes",
    title="Tệp rỗng",
    action="Lưu lại báo cáo bằng Excel rồi gửi lại.",
    template="Tệp rỗng (0 byte). Hãy lưu lại báo cáo bằng Excel rồi gửi lại.",
)
FILE_TOO_LARGE = Code(
    "FILE_TOO_LARGE",
    ERROR,
    "guards",
    meaning="over 20 MiB on disk",
    title="Tệp quá lớn",
    action="Xoá các trang tính, hình ảnh thừa, lưu lại rồi gửi lại.",
    template="Tệp quá lớn ({size}, tối đa {limit}). Báo cáo của một đơn vị chỉ vài chục KB: hãy xoá các trang "
    "tính, hình ảnh thừa rồi lưu lại và gửi lại.",
)
NOT_A_WORKBOOK = Code(
    "NOT_A_WORKBOOK",
    ERROR,
    "guards, intake",
    meaning="not a workbook (CSV, HTML, PDF, Word … renamed .xlsx; an .xlsb), or not a regular file (a link, FIFO)",
    title="Không phải bảng tính Excel",
    action=_RESAVE_ACTION,
    template="Tệp không phải là bảng tính Excel: nội dung là {what}. " + _RESAVE,
    variants={
        "open": "Không mở được tệp (lỗi hệ thống {errno}). Hãy gửi lại tệp báo cáo.",
        "not_regular": "Đây không phải là một tệp thông thường. Hãy gửi tệp báo cáo Excel.",
        "not_regular_input": "Đây không phải là một tệp thông thường (có thể là liên kết tới tệp khác, một "
        "ống dẫn hay một thiết bị), nên không được đọc. Hãy chép chính tệp báo cáo Excel "
        "vào thư mục tiếp nhận.",
    },
)
EXTENSION_MISMATCH = Code(
    "EXTENSION_MISMATCH",
    ERROR,
    "guards",
    meaning="a workbook under another kind's suffix, refused only where renamed files are not allowed",
    title="Đuôi tệp không đúng loại tệp",
    action="Đổi đuôi tệp cho đúng, hoặc lưu lại dưới dạng .xlsx rồi gửi lại.",
    template="Tệp có đuôi {suffix} nhưng thực chất là tệp {kind}. Hãy đổi đuôi tệp cho đúng, hoặc mở bằng Excel "
    "và lưu lại dưới dạng .xlsx rồi gửi lại.",
)
ZIP_DAMAGED = Code(
    "ZIP_DAMAGED",
    ERROR,
    "guards",
    meaning="a damaged zip (truncated, bad CRC …), or one that readers could read differently",
    title="Tệp bị hỏng",
    action=_RESAVE_ACTION,
    template="Tệp bị hỏng ({what}), có thể do tải về hoặc sao chép chưa xong. " + _RESAVE,
    variants={
        "ambiguous": "Tệp nén có cấu trúc không rõ ràng ({what}): mỗi phần mềm có thể đọc ra một nội dung "
        "khác nhau, nên tệp không được mở để bảo đảm an toàn. " + _RESAVE
    },
)
ZIP_BOMB = Code(
    "ZIP_BOMB",
    ERROR,
    "guards",
    meaning="too many members, too large unpacked, too high a compression ratio (a zip bomb)",
    title="Tệp có cấu trúc bất thường",
    action=_RESAVE_ACTION,
    template="Tệp có cấu trúc bất thường ({what}) nên không được mở để bảo đảm an toàn. " + _RESAVE,
)
PASSWORD_PROTECTED = Code(
    "PASSWORD_PROTECTED",
    ERROR,
    "guards, reading",
    meaning="encrypted or password-protected",
    title="Tệp có mật khẩu",
    action="Gỡ mật khẩu, lưu lại rồi gửi lại.",
    template="Tệp được đặt mật khẩu nên không đọc được. Hãy mở bằng Excel, gỡ mật khẩu (Tệp > Thông tin > Bảo vệ "
    "sổ làm việc > Mã hoá bằng mật khẩu: xoá trống), lưu lại rồi gửi lại.",
    variants={
        "zip": "Tệp được nén có mật khẩu. Hãy gỡ mật khẩu, lưu lại báo cáo bằng Excel rồi gửi lại.",
        "ods": "Tệp bảng tính được đặt mật khẩu. Hãy gỡ mật khẩu, lưu lại rồi gửi lại.",
        "reader": "Tệp có mật khẩu nên không đọc được. Hãy gỡ mật khẩu rồi gửi lại.",
    },
)
XLS_DAMAGED = Code(
    "XLS_DAMAGED",
    ERROR,
    "guards",
    meaning="an .xls whose sectors, directory or Workbook stream cannot be followed",
    title="Tệp Excel 97-2003 bị hỏng",
    action=_RESAVE_ACTION,
    template="Tệp Excel 97-2003 bị hỏng ({what}). " + _RESAVE,
)
XML_ENTITIES = Code(
    "XML_ENTITIES",
    ERROR,
    "guards",
    meaning="a `<!DOCTYPE` or `<!ENTITY` declaration in a part a reader parses",
    title="Tệp chứa khai báo DOCTYPE/ENTITY",
    action=_RESAVE_ACTION,
    template="Tệp chứa khai báo DOCTYPE/ENTITY trong phần {part!r}: không phải tệp do Excel lưu và có thể gây "
    "hại. " + _RESAVE,
)
TOO_MANY_ROWS = Code(
    "TOO_MANY_ROWS",
    ERROR,
    "guards",
    meaning="a sheet over 20 000 rows",
    title="Trang tính có quá nhiều dòng",
    action="Xoá các dòng thừa (kể cả dòng trống đã định dạng), lưu lại rồi gửi lại.",
    template=_ROWS,
)
TOO_MANY_CELLS = Code(
    "TOO_MANY_CELLS",
    ERROR,
    "guards",
    meaning="over 1 000 000 cells in all sheets' used areas, or over 2 000 sheets",
    title="Bảng tính quá lớn",
    action="Xoá các trang tính, cột và dòng thừa, lưu lại rồi gửi lại.",
    template="Bảng tính quá lớn (vùng dữ liệu hơn {limit} ô). Hãy xoá các trang tính, cột và dòng thừa rồi lưu "
    "lại và gửi lại.",
    variants={
        "sheets": "Bảng tính có hơn {limit} trang tính, vượt giới hạn cho phép. Hãy xoá các trang tính thừa "
        "rồi lưu lại và gửi lại."
    },
)

# --- what reading found odd (pipeline.layout, judged by pipeline.validating) --------------------------------

LEGACY_TEXT = Code(
    "LEGACY_TEXT",
    WARNING,
    "validation",
    meaning="text typed in a TCVN3 or VNI font was converted to Unicode",
    title="Chữ mã TCVN3/VNI đã được chuyển sang Unicode",
    action="Kiểm tra lại chữ đã chuyển; dùng phông chữ Unicode (Times New Roman) cho các báo cáo sau.",
    template="Đã chuyển {count} ô từ mã {encoding} sang Unicode, ví dụ «{before}» thành «{after}». Hãy kiểm tra "
    "lại và dùng phông chữ Unicode (Times New Roman) cho các báo cáo sau.",
)
UNMATCHED_ROW = Code(
    "UNMATCHED_ROW",
    WARNING,
    "validation",
    meaning="a row whose name matches no indicator (not added up)",
    title="Dòng không khớp với chỉ tiêu nào",
    action="Ghi đúng tên chỉ tiêu của Chương trình (hoặc dùng mẫu báo cáo).",
    template="{row}{value} không khớp với chỉ tiêu nào nên không được tổng hợp. Nếu đây là một chỉ tiêu của "
    "Chương trình, hãy ghi đúng tên chỉ tiêu (hoặc dùng mẫu báo cáo).",
)
GROUP_ROW_VALUE = Code(
    "GROUP_ROW_VALUE",
    WARNING,
    "validation",
    meaning="a number on a group or totals row (not added up)",
    title="Dòng nhóm có số",
    action="Ghi số vào đúng dòng chỉ tiêu.",
    template="Dòng nhóm «{name}» có số {value}; số của dòng nhóm không được tổng hợp, chỉ số của từng chỉ tiêu. "
    "Hãy ghi số vào đúng dòng chỉ tiêu.",
)
OTHER_SHEET = Code(
    "OTHER_SHEET",
    WARNING,
    "validation",
    meaning="another sheet also looks like a report (one report per file is read)",
    title="Sheet khác cũng giống một báo cáo",
    action="Gửi báo cáo của kỳ khác thành tệp riêng.",
    template="Sheet «{sheet}» cũng giống một báo cáo nhưng không được đọc: mỗi tệp chỉ đọc một báo cáo. Nếu đó là "
    "báo cáo của kỳ khác, hãy gửi thành tệp riêng.",
)
CODE_UNKNOWN = Code(
    "CODE_UNKNOWN",
    WARNING,
    "validation",
    meaning="a row's code is not the programme's; the row is read by its name",
    title="Mã số không có trong Chương trình",
    action="Sửa mã số cho đúng với tên chỉ tiêu.",
    template="Mã số «{found}» không có trong Chương trình; theo tên chỉ tiêu, dòng này được đọc là {indicator}. Hãy "
    "sửa mã số thành {code}.",
)
DUPLICATE_ROW = Code(
    "DUPLICATE_ROW",
    ERROR,
    "validation",
    meaning="one indicator or budget line has numbers on two rows",
    title="Một mục có số ở hai dòng",
    action="Giữ một dòng cho mỗi mục.",
    template="Mục {item} có số ở cả hai ô {first} và {second}; không biết dùng số nào. Hãy giữ một dòng cho mỗi mục.",
)
AMBIGUOUS_COLUMN = Code(
    "AMBIGUOUS_COLUMN",
    WARNING,
    "validation",
    meaning="several columns could hold the period's results; the one used is named",
    title="Nhiều cột có thể là kết quả trong kỳ",
    action="Đặt tên cột kết quả là «Thực hiện trong kỳ».",
    template="Có nhiều cột có thể là kết quả trong kỳ; hệ thống dùng cột «{column}». Nếu không đúng, hãy đặt tên "
    "cột kết quả là «Thực hiện trong kỳ».",
)

# --- parts of the report not found -------------------------------------------------------------------------

HEADER_MISSING = Code(
    "HEADER_MISSING",
    ERROR,
    "validation",
    meaning="no «Đơn vị báo cáo:» or «Kỳ báo cáo:» label",
    title="Thiếu ô đơn vị hoặc kỳ báo cáo",
    action="Dùng mẫu báo cáo và giữ nguyên tiêu đề.",
    template=_NOT_FOUND,
)
TABLE_MISSING = Code(
    "TABLE_MISSING",
    ERROR,
    "validation",
    meaning="table A or table B not found (table B missing from the free layout: a warning)",
    title="Thiếu bảng kết quả hoặc bảng kinh phí",
    action="Dùng mẫu báo cáo và giữ nguyên tiêu đề.",
    template=_NOT_FOUND,
    variants={
        "free": "Báo cáo không có bảng kinh phí; kinh phí kỳ này được coi là chưa báo cáo. Hãy dùng mẫu báo "
        "cáo (có bảng B) cho các kỳ sau."
    },
)
COLUMN_MISSING = Code(
    "COLUMN_MISSING",
    ERROR,
    "validation",
    meaning="a funding source's column is missing from table B",
    title="Thiếu cột nguồn kinh phí",
    action="Dùng mẫu báo cáo và giữ nguyên các cột nguồn KCQG, KCĐP, Khác.",
    template="Bảng B thiếu cột nguồn kinh phí «{source}». Hãy dùng mẫu báo cáo và giữ nguyên các cột.",
)
ROW_MISSING = Code(
    "ROW_MISSING",
    WARNING,
    "validation",
    meaning="an indicator's row is missing from the template (counted as not reported)",
    title="Thiếu dòng chỉ tiêu",
    action="Giữ nguyên cột «Mã số» của mẫu.",
    template="Không tìm thấy dòng mã số {indicator}; chỉ tiêu này được coi là chưa báo cáo. Hãy giữ nguyên cột "
    "«Mã số» của mẫu.",
)

# --- who reports, for which period ---------------------------------------------------------------------------

UNIT_FROM_TITLE = Code(
    "UNIT_FROM_TITLE",
    WARNING,
    "validation",
    meaning="the unit cell is blank or names an office; the unit is read from the title",
    title="Đơn vị được xác định theo tiêu đề",
    action="Ghi tên đơn vị vào ô «Đơn vị báo cáo».",
    template="Ô {ref} không ghi tên đơn vị; theo tiêu đề ({title_ref}), đơn vị là {unit}. Lần sau hãy ghi tên đơn "
    "vị vào ô này.",
)
UNIT_UNKNOWN = Code(
    "UNIT_UNKNOWN",
    ERROR,
    "validation",
    meaning="the reporting unit is not one of the province's",
    title="Không xác định được đơn vị báo cáo",
    action="Ghi tên đơn vị, ví dụ «huyện Bù Đăng».",
    template="Không xác định được đơn vị báo cáo. Hãy ghi tên đơn vị, ví dụ «huyện Bù Đăng».",
)
UNIT_MISMATCH = Code(
    "UNIT_MISMATCH",
    ERROR,
    "validation",
    meaning="the title and the unit cell name different units",
    title="Tiêu đề và ô đơn vị ghi hai đơn vị khác nhau",
    action="Sửa cho hai ô cùng một đơn vị.",
    template="Tiêu đề ghi {title_unit} nhưng ô {ref} ghi {unit}. Hãy sửa cho hai ô cùng một đơn vị.",
)
PERIOD_UNKNOWN = Code(
    "PERIOD_UNKNOWN",
    ERROR,
    "validation",
    meaning="the reporting period cannot be read",
    title="Không hiểu kỳ báo cáo",
    action="Ghi kỳ theo mẫu, ví dụ «tháng 3 năm 2012».",
    template="Không hiểu kỳ báo cáo. Hãy ghi kỳ theo mẫu, ví dụ «tháng 3 năm 2012».",
)
PERIOD_OUTSIDE_PROGRAMME = Code(
    "PERIOD_OUTSIDE_PROGRAMME",
    ERROR,
    "validation",
    meaning="no programme file covers the period's years",
    title="Kỳ báo cáo ngoài giai đoạn của Chương trình",
    action="Kiểm tra lại kỳ báo cáo.",
    template="Kỳ báo cáo nằm ngoài giai đoạn {first}-{last} của Chương trình.",
)
PERIOD_MISMATCH = Code(
    "PERIOD_MISMATCH",
    ERROR,
    "validation",
    meaning="the title and the period cell name different periods",
    title="Tiêu đề và ô kỳ báo cáo ghi hai kỳ khác nhau",
    action="Sửa cho hai ô cùng một kỳ.",
    template="Kỳ ghi dưới tiêu đề («{title_period}») khác kỳ ở ô {ref} («{period}»). Hãy sửa cho hai ô cùng một kỳ.",
)
UNIT_NOT_IN_PERIOD = Code(
    "UNIT_NOT_IN_PERIOD",
    ERROR,
    "validation",
    meaning="the unit did not exist yet during the period",
    title="Đơn vị chưa tồn tại trong kỳ báo cáo",
    action="Kiểm tra lại đơn vị hoặc kỳ báo cáo.",
    template="{unit} được thành lập từ ngày {since:%d/%m/%Y}, chưa tồn tại trong {period}. Hãy kiểm tra lại đơn vị "
    "hoặc kỳ báo cáo.",
)
DATE_INVALID = Code(
    "DATE_INVALID",
    WARNING,
    "validation",
    meaning="the report's date cannot be read",
    title="Ngày báo cáo không đọc được",
    action="Ghi ngày theo dạng ngày/tháng/năm.",
    template="Ngày báo cáo không đọc được; hãy ghi theo dạng ngày/tháng/năm.",
)

# --- a number cell (pipeline.numbers' rules) -----------------------------------------------------------------

FORMULA_NO_VALUE = Code(
    "FORMULA_NO_VALUE",
    ERROR,
    "validation",
    meaning="a formula saved without its computed value",
    title="Công thức chưa có giá trị",
    action="Mở tệp bằng Excel, lưu lại rồi gửi lại (hoặc nhập số trực tiếp).",
    template="Ô {ref} ({what}) là công thức nhưng tệp chưa lưu kết quả tính. Hãy mở tệp bằng Excel, lưu lại rồi "
    "gửi lại (hoặc nhập số trực tiếp).",
)
FORMULA_ERROR = Code(
    "FORMULA_ERROR",
    ERROR,
    "validation",
    meaning="a formula showing an Excel error (#N/A, #DIV/0! …)",
    title="Công thức báo lỗi",
    action="Sửa công thức hoặc nhập số trực tiếp.",
    template="Ô {ref} ({what}) báo lỗi {error} của Excel. Hãy sửa công thức hoặc nhập số trực tiếp.",
)
NOT_A_NUMBER = Code(
    "NOT_A_NUMBER",
    ERROR,
    "validation",
    meaning="text, a date or a boolean where a number is expected",
    title="Ô số liệu không phải là số",
    action="Nhập số (để trống nếu không có); định dạng ô là Số.",
    template="Ô {ref} ({what}) phải là một số nhưng đang là {kind}. Hãy nhập số (để trống nếu không có); nếu Excel "
    "tự đổi số thành ngày, hãy định dạng ô là Số.",
)
TOO_LARGE = Code(
    "TOO_LARGE",
    ERROR,
    "validation",
    meaning="a number above 10^12",
    title="Số quá lớn",
    action="Kiểm tra lại đơn vị tính và số liệu.",
    template="Ô {ref} ({what}) có số quá lớn ({value}); hãy kiểm tra lại đơn vị tính và số liệu.",
)
MONEY_UNIT = Code(
    "MONEY_UNIT",
    ERROR,
    "validation",
    meaning="an amount of money written with a unit other than million đồng",
    title="Số tiền không tính bằng triệu đồng",
    action="Đổi ra triệu đồng và chỉ nhập số.",
    template="Ô {ref} ({what}) ghi đơn vị «{unit}»; bảng kinh phí tính bằng triệu đồng. Hãy đổi ra triệu đồng và "
    "chỉ nhập số.",
)
AMBIGUOUS_NUMBER = Code(
    "AMBIGUOUS_NUMBER",
    WARNING,
    "validation",
    meaning="a number that reads two ways (1.260: 1260 or 1,26); the reading used is named",
    title="Số có thể hiểu theo hai cách",
    action="Nếu hệ thống đọc sai, nhập số trực tiếp (không dùng dấu phân cách).",
    template="Ô {ref} ({what}): {reading}. Nếu không đúng, hãy nhập số trực tiếp (không dùng dấu phân cách) rồi gửi "
    "lại.",
)
UNIT_TEXT_MISMATCH = Code(
    "UNIT_TEXT_MISMATCH",
    WARNING,
    "validation",
    meaning="a number written with a unit other than the indicator's (the number is read)",
    title="Đơn vị ghi trong ô khác đơn vị tính",
    action="Kiểm tra lại số liệu.",
    template="Ô {ref} ({what}) ghi đơn vị «{written}», khác đơn vị tính «{unit}». Hệ thống đọc phần số; hãy kiểm "
    "tra lại.",
)
NEGATIVE = Code(
    "NEGATIVE",
    ERROR,
    "validation",
    meaning="a negative number",
    title="Số âm",
    action="Nhập số không âm; cần điều chỉnh kỳ trước thì gửi lại báo cáo kỳ đó.",
    template="Ô {ref} ({what}) có số âm. Hãy nhập số không âm; nếu cần điều chỉnh kỳ trước, hãy gửi lại báo cáo kỳ đó.",
)
TOO_PRECISE = Code(
    "TOO_PRECISE",
    ERROR,
    "validation",
    meaning="more than 3 decimals (values are stored exactly in thousandths)",
    title="Quá nhiều chữ số thập phân",
    action="Làm tròn rồi gửi lại.",
    template="Ô {ref} ({what}) có quá {decimals} chữ số thập phân; hãy làm tròn rồi gửi lại.",
)

# --- cross-checks: the programme file's `checks` set their severity -----------------------------------------

NOT_WHOLE = Code(
    "NOT_WHOLE",
    ERROR,
    "cross-check",
    rule="whole_number",
    meaning="a count (people, classes …) that is not a whole number",
    title="Số đếm không phải số nguyên",
    action="Nhập số nguyên.",
    template="Ô {ref} ({what}) là số đếm ({unit}), phải là số nguyên.",
)
ABOVE_TARGET = Code(
    "ABOVE_TARGET",
    WARNING,
    "cross-check",
    rule="above_target",
    meaning="one report above a multiple of the 5-year target",
    title="Số vượt mục tiêu cả giai đoạn",
    action="Kiểm tra lại số liệu.",
    template="Ô {ref} ({what}): {above} Hãy kiểm tra lại số liệu.",
)
PROVINCE_ONLY = Code(
    "PROVINCE_ONLY",
    WARNING,
    "cross-check",
    rule="province_only",
    meaning="a district reporting an activity only the provincial centre runs",
    title="Chỉ tiêu do Trung tâm Khuyến công tỉnh thực hiện",
    action="Kiểm tra lại số liệu.",
    template="Ô {ref}: {what} do Trung tâm Khuyến công tỉnh thực hiện; đơn vị cấp huyện thường không báo cáo chỉ "
    "tiêu này. Hãy kiểm tra lại.",
)
TOTAL_MISMATCH = Code(
    "TOTAL_MISMATCH",
    WARNING,
    "cross-check",
    rule="row_total",
    meaning="a stated total differs from the sum of its parts (the sum is used)",
    title="Số tổng cộng không khớp",
    action="Kiểm tra lại các số; hệ thống dùng tổng tự tính.",
    template="Cột «Tổng cộng» của {item} không bằng tổng các nguồn; hệ thống dùng tổng các nguồn. Hãy kiểm tra lại "
    "các số.",
    variants={
        "column": "Dòng «Tổng cộng» của nguồn {source} không bằng tổng các dòng; hệ thống dùng tổng các dòng, "
        "không cộng dòng tổng. Hãy kiểm tra lại các số."
    },
)
DISTRICT_ONLY = Code(
    "DISTRICT_ONLY",
    WARNING,
    "validation",
    meaning="the provincial centre reporting a district-only figure (not added up)",
    title="Chỉ tiêu của địa bàn cấp huyện",
    action="Để trống ô này: chỉ tiêu do UBND cấp huyện báo cáo.",
    template="Ô {ref}: {what} là số liệu của địa bàn do UBND cấp huyện báo cáo; Trung tâm Khuyến công tỉnh không báo "
    "cáo chỉ tiêu này nên giá trị này không được cộng.",
)


def markdown() -> str:
    """The README's table of problem codes, one row per code in catalogue order."""
    rows = [
        "| code | severity | raised by | meaning | title (Vietnamese) | what the officer does |",
        "|---|---|---|---|---|---|",
    ]
    for code in CATALOGUE.values():
        severity = f"{code.severity.value} (programme check `{code.rule}`)" if code.rule else code.severity.value
        cells = [f"`{code}`", severity, code.stage, code.meaning, code.title, code.action]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python -m pipeline.problems --markdown")
    sys.stdout.write(markdown())
