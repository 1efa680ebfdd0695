"""How a recipient's copy names and numbers its parts: the file name, the appendices' numbers ("Phụ lục 01", in
the recipient's order), the references to them ("chi tiết tại Phụ lục 01"), the Excel sheets they go to
("PhuLuc01") and the attachment line under each appendix title. Content only: no engine imports it for layout.
"""

from __future__ import annotations

from pipeline.aggregating import Consolidated
from pipeline.formatting import long_date
from pipeline.recipients import Issuer, Recipient

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")  # body sections, in the recipient's order


def report_basename(report: Consolidated, recipient: Recipient) -> str:
    """File name without extension, e.g. ``bao-cao-2012-Q3-ubnd-tinh``."""
    return f"bao-cao-{report.period.code}-{recipient.code}"


def excel_sheet(recipient: Recipient, key: str) -> str:
    """The Excel sheet of an appendix ("PhuLuc03")."""
    return f"PhuLuc{appendix_numbers(recipient)[key]}"


def excel_file_sheet(report: Consolidated, recipient: Recipient, sheet: str) -> str:
    """ "sheet YKien của tệp Excel kèm theo (bao-cao-2013-ubnd-tinh.xlsx)" """
    return f"sheet {sheet} của tệp Excel kèm theo ({report_basename(report, recipient)}.xlsx)"


def excel_pointer(report: Consolidated, recipient: Recipient, key: str) -> str:
    """Where appendix `key` lists every unit: "sheet PhuLuc03 của tệp Excel kèm theo (bao-cao-….xlsx)"."""
    return excel_file_sheet(report, recipient, excel_sheet(recipient, key))


def appendix_numbers(recipient: Recipient) -> dict[str, str]:
    """Appendix key -> its number in this recipient's copy ("01", "02" …), in the recipient's order."""
    return {key: f"{i:02d}" for i, key in enumerate(recipient.appendices, start=1)}


def appendix_ref(recipient: Recipient, key: str) -> str:
    """ " (chi tiết tại Phụ lục 01)" or "" when the recipient's copy has no such appendix."""
    no = appendix_numbers(recipient).get(key)
    return f" (chi tiết tại Phụ lục {no})" if no else ""


def cite(text: str, recipient: Recipient, key: str) -> str:
    """`text` with " (chi tiết tại Phụ lục 01)" before its final full stop, when the copy has that appendix."""
    ref = appendix_ref(recipient, key)
    return f"{text[:-1]}{ref}." if ref and text.endswith(".") else text + ref


def attachment_line(report: Consolidated, issuer: Issuer, number: int | None) -> str:
    """ "(Kèm theo Báo cáo số 05/BC-SCT ngày 05 tháng 01 năm 2013 của Sở Công Thương)" """
    no = issuer.document_number(number).removeprefix("Số:").strip("\u00a0 ")
    if number is None:
        no = "\u00a0" * 6 + no
    return f"(Kèm theo Báo cáo số {no} {long_date(report.generated_on)} của {issuer.short_name})"
