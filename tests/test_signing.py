"""The PDF's signature field and signing with a certificate (pyHanko), validated by pyHanko's own validator with a
throw-away certificate made here."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from weasyprint import HTML

from pipeline import signing

HOLDER = "Trần Thị Bình"
PLACE = signing.Place(0, (350.0, 100.0, 520.0, 162.0))


def throwaway_certificate(folder: Path, passphrase: str = "mật khẩu") -> tuple[signing.SigningKey, Path]:
    """A self-signed certificate for HOLDER: (the PKCS#12 key, the certificate's PEM to trust)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, HOLDER),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sở Công Thương Bình Phước"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    usage = x509.KeyUsage(True, True, False, False, False, True, True, False, False)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    p12 = folder / "ky-so.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"ky-so", key, cert, None, serialization.BestAvailableEncryption(passphrase.encode())
        )
    )
    pem = folder / "ky-so.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return signing.SigningKey(p12, passphrase), pem


def _stamp(holder: str) -> bytes:
    css = "@page { size: 60mm 22mm; margin: 0 } body { font: 9pt 'Liberation Serif'; margin: 2mm }"
    return HTML(string=f"<style>{css}</style><p>Ký số bởi: {holder}</p>").write_pdf()


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    return HTML(string="<p>BÁO CÁO</p><p>PHÓ GIÁM ĐỐC</p>").write_pdf()


def test_an_unsigned_pdf_carries_an_empty_signature_field_at_its_place(report_pdf) -> None:
    pdf = signing.with_field(report_pdf, PLACE)
    (field,) = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/AcroForm"]["/Fields"]
    field = field.get_object()
    assert field["/FT"] == "/Sig" and field["/T"] == signing.FIELD
    assert "/V" not in field  # empty: the signer's own software signs into it
    assert [round(float(x)) for x in field["/Rect"]] == [350, 100, 520, 162]
    assert pdf.startswith(report_pdf)  # an incremental update: the report itself is unchanged


def test_a_signed_pdf_validates_and_names_its_holder(tmp_path, report_pdf) -> None:
    key, pem = throwaway_certificate(tmp_path)
    assert signing.holder(key) == HOLDER
    pdf = signing.signed(signing.with_field(report_pdf, PLACE), key, _stamp(HOLDER), location="Bình Phước")
    (sig,) = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert sig.field_name == signing.FIELD
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=[load_cert_from_pemder(str(pem))]))
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.signing_cert.subject.native["common_name"] == HOLDER
    annotation = PdfReader(io.BytesIO(pdf)).pages[0]["/Annots"][0].get_object()
    assert annotation["/T"] == signing.FIELD and "/AP" in annotation  # visible: it has an appearance


def test_a_tampered_signed_pdf_fails_validation(tmp_path, report_pdf) -> None:
    key, pem = throwaway_certificate(tmp_path)
    pdf = signing.signed(signing.with_field(report_pdf, PLACE), key, _stamp(HOLDER))
    at = pdf.index(b"WeasyPrint")  # the producer's name, in the bytes the signature covers
    tampered = pdf[:at] + b"WeasyPrinT" + pdf[at + 10 :]
    (sig,) = PdfFileReader(io.BytesIO(tampered), strict=False).embedded_signatures
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=[load_cert_from_pemder(str(pem))]))
    assert not status.intact and not status.bottom_line


def test_a_wrong_passphrase_or_a_missing_file_is_said_in_one_line(tmp_path) -> None:
    key, _ = throwaway_certificate(tmp_path)
    with pytest.raises(signing.SigningError, match="cannot be read"):
        signing.holder(signing.SigningKey(key.pkcs12, "sai"))
    with pytest.raises(signing.SigningError, match="does not exist"):
        signing.holder(signing.SigningKey(tmp_path / "none.p12", "x"))
