"""Recipients of the consolidated report and the issuing body, as data (config/recipients.yaml).

Each recipient has its name, the salutation line ("Kính gửi: …"), what its copy contains (body sections and
appendices, in order; unit-level detail and how many units its PDF lists one by one; the national funds set
apart), the "Nơi nhận" list and the signer.
Adding a recipient is adding an entry to the file. The titles of the body sections and appendices are data
too (`titles`), one for every key: a missing or unknown one is refused on load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pipeline.configfile import load_model

# Body sections, numbered I., II. … in the order the recipient lists them.
Section = Literal["results", "funding", "reporting", "difficulties", "tasks"]
# Appendices, numbered Phụ lục 01, 02 … in the order the recipient lists them.
Appendix = Literal["results", "funding", "units", "kcqg", "reporting"]
SECTIONS: tuple[str, ...] = ("results", "funding", "reporting", "difficulties", "tasks")
APPENDICES: tuple[str, ...] = ("results", "funding", "units", "kcqg", "reporting")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Signer(_Model):
    authority: str = ""  # "KT. GIÁM ĐỐC" (empty when the head signs)
    title: str  # "PHÓ GIÁM ĐỐC"
    name: str = ""  # the signer's name, in bold under the signature; empty: a blank line, and a warning


class Signing(_Model):
    """The certificate a run signs the PDFs with (optional): a PKCS#12 file relative to the configuration folder,
    its passphrase in an environment variable (never in the file)."""

    pkcs12: str
    passphrase_env: str = "KHUYENCONG_SIGNING_PASSPHRASE"


class Issuer(_Model):
    parent: str  # "UBND TỈNH BÌNH PHƯỚC"
    name: str  # "SỞ CÔNG THƯƠNG"
    place: str  # "Bình Phước" (where the body sits, for the date line)
    short_name: str = "Sở Công Thương"  # in sentences ("… của Sở Công Thương")
    document_code: str = "BC-SCT"  # "Số: 05/BC-SCT"
    number_width: int = Field(default=2, ge=1, le=6)  # numbers below 10 zero-padded (NĐ 30/2020)
    signer: Signer = Signer(title="GIÁM ĐỐC")  # who signs every copy, unless a recipient names its own
    signing: Signing | None = None  # sign the PDFs in the run (else each carries an empty signature field)

    def document_number(self, number: int | None) -> str:
        """ "Số: 05/BC-SCT"; with no number, the blank the office fills in by hand ("Số:      /BC-SCT")."""
        if number is None:
            return f"Số:{' ' * 6}/{self.document_code}".replace(" ", "\u00a0")
        return f"Số: {number:0{self.number_width}d}/{self.document_code}"


class Recipient(_Model):
    code: str
    name: str
    salutation: str
    unit_detail: bool = True  # results by reporting unit (appendix "units", unit-level sentences)
    kcqg_separate: bool = False  # the use of national funds (KCQG) set apart (section II and appendix "kcqg")
    data_sheet: bool = False  # Excel: the long-form sheet of every value with its file and cell
    # The most units the PDF lists one by one (appendices "units" and "reporting"). Beyond it (a national
    # consolidation) those appendices summarise: figures by indicator with how many units contributed and the
    # largest contribution; the units that did not report fully or on time. The Excel workbook lists every unit.
    max_units_listed: int = Field(default=100, ge=1, le=10_000)
    sections: tuple[Section, ...] = ("results", "funding", "reporting", "difficulties", "tasks")
    appendices: tuple[Appendix, ...] = ("results", "funding", "reporting")
    copies: tuple[str, ...] = ("Như trên", "Lưu: VT")  # "Nơi nhận:" lines, without the dash and the ";"
    signer: Signer | None = None  # who signs this copy, when not the issuer's signer

    @model_validator(mode="after")
    def _check(self) -> Recipient:
        for key, seen in (("sections", self.sections), ("appendices", self.appendices)):
            if len(set(seen)) != len(seen):
                raise ValueError(f"{self.code}: {key} listed twice: {list(seen)}")
        if "units" in self.appendices and not self.unit_detail:
            raise ValueError(f"{self.code}: appendix 'units' needs unit_detail: true")
        if "kcqg" in self.appendices and not self.kcqg_separate:
            raise ValueError(f"{self.code}: appendix 'kcqg' needs kcqg_separate: true")
        return self

    @property
    def copy_lines(self) -> list[str]:
        """ "- Như trên;" … "- Lưu: VT, QLCN." (the last line ends with a full stop)."""
        lines = [c.strip().rstrip(";.") for c in self.copies if c.strip()]
        return [f"- {c}{'.' if i == len(lines) - 1 else ';'}" for i, c in enumerate(lines)]


class SectionTitles(_Model):
    """The heading of each body section ("KINH PHÍ THỰC HIỆN"); tasks is followed by the next period."""

    results: str
    assessment: str  # the office's own assessment (pipeline.assessment), after the results when written
    funding: str
    reporting: str
    difficulties: str
    tasks: str


class AppendixTitles(_Model):
    """The title of each appendix ("KẾT QUẢ THỰC HIỆN THEO ĐƠN VỊ")."""

    results: str
    funding: str
    units: str
    kcqg: str
    reporting: str


class Titles(_Model):
    sections: SectionTitles
    appendices: AppendixTitles

    def section(self, key: str) -> str:
        return getattr(self.sections, key)

    def appendix(self, key: str) -> str:
        return getattr(self.appendices, key)


class RecipientBook(_Model):
    issuer: Issuer
    titles: Titles
    recipients: tuple[Recipient, ...]

    def signer_of(self, recipient: Recipient) -> Signer:
        return recipient.signer or self.issuer.signer

    def signed_by(self, name: str | None) -> RecipientBook:
        """The book with `name` as every copy's signer (`khuyencong run --signer`); None or "": unchanged."""
        if not name or not name.strip():
            return self
        name = " ".join(name.split())
        issuer = self.issuer.model_copy(update={"signer": self.issuer.signer.model_copy(update={"name": name})})
        recipients = tuple(
            r.model_copy(update={"signer": r.signer.model_copy(update={"name": name})}) if r.signer else r
            for r in self.recipients
        )
        return self.model_copy(update={"issuer": issuer, "recipients": recipients})

    def unsigned(self) -> list[str]:
        """The recipients whose copy names no signer (a blank line under the signature)."""
        return [r.code for r in self.recipients if not self.signer_of(r).name.strip()]

    @model_validator(mode="after")
    def _unique(self) -> RecipientBook:
        codes = [r.code for r in self.recipients]
        if len(set(codes)) != len(codes):
            raise ValueError(f"recipient codes must be unique: {codes}")
        return self


def load_recipients(config_dir: Path) -> RecipientBook:
    """The issuer and recipients of a configuration folder (recipients.yaml); a malformed file is a ConfigError."""
    return load_model(config_dir / "recipients.yaml", RecipientBook)
