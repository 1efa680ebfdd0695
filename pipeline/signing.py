"""Digital signing of a report's PDF (pyHanko): an empty signature field at the signature block's place, which
the signer's own software fills, and - when the province names a PKCS#12 certificate - the signature itself,
visible in that field. Works on bytes; the caller writes the file (pipeline.files.atomic_output)."""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

FIELD = "ChuKySo"  # the field's name: a PDF field name may not contain "."


@dataclass(frozen=True)
class Place:
    """Where the signature goes: a page (0 = first) and a box in PDF points, origin at the page's bottom left."""

    page: int
    box: tuple[float, float, float, float]  # x1, y1, x2, y2


@dataclass(frozen=True)
class SigningKey:
    """A PKCS#12 file (.p12/.pfx) with the signer's key and certificate chain, and its passphrase."""

    pkcs12: Path
    passphrase: str | None = None


class SigningError(ValueError):
    """The certificate cannot be used (missing file, wrong passphrase, no key): said in one line."""


def with_field(pdf: bytes, place: Place, name: str = FIELD) -> bytes:
    """`pdf` with an empty, unsigned signature field at `place` (an incremental update: the rest is as it was)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    append_signature_field(writer, SigFieldSpec(sig_field_name=name, on_page=place.page, box=place.box))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def holder(key: SigningKey) -> str:
    """The certificate holder's name (its subject's common name), for the visible stamp."""
    cert = _load(key).signing_cert
    return cert.subject.native.get("common_name") or cert.subject.human_friendly


def signed(
    pdf: bytes,
    key: SigningKey,
    stamp: bytes,
    *,
    reason: str = "Ký ban hành báo cáo",
    location: str = "",
    name: str = FIELD,
) -> bytes:
    """`pdf` (which has the field `name`, see `with_field`) signed in that field, its visible appearance the first
    page of `stamp` (a small PDF the caller lays out - holder, time - scaled into the field's box)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.stamp import StaticStampStyle

    signer = _load(key)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(stamp)
        f.flush()
        style = StaticStampStyle.from_pdf_file(f.name, border_width=0)
        meta = signers.PdfSignatureMetadata(field_name=name, reason=reason, location=location or None)
        out = io.BytesIO()
        signers.PdfSigner(meta, signer=signer, stamp_style=style).sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(pdf)), output=out
        )
    return out.getvalue()


def _load(key: SigningKey):
    from pyhanko.sign import signers

    if not key.pkcs12.is_file():
        raise SigningError(f"the signing certificate {key.pkcs12} does not exist")
    passphrase = key.passphrase.encode() if key.passphrase is not None else None
    try:
        signer = signers.SimpleSigner.load_pkcs12(str(key.pkcs12), passphrase=passphrase)
    except (ValueError, OSError) as exc:
        raise SigningError(f"the signing certificate {key.pkcs12} cannot be read: {exc}") from None
    if signer is None:
        raise SigningError(f"the signing certificate {key.pkcs12} cannot be read (wrong passphrase?)")
    return signer
