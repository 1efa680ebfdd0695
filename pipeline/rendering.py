"""Render the consolidated report as HTML (preview) and PDF (Jinja2 + WeasyPrint).

The template is ``templates/report.html.j2``; it inlines ``templates/report.css`` so the HTML preview
stands alone. Everything that came from inputs is escaped (autoescape on), and WeasyPrint may only load
``data:`` URLs and files inside the templates folder (``SafeFetcher``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from pipeline.aggregating import ZERO, Consolidated, IndicatorRow, UnitRow
from pipeline.files import atomic_output
from pipeline.formatting import long_date, number, percent, short_date
from pipeline.paths import TEMPLATES_DIR
from pipeline.recipients import Issuer, Recipient
from pipeline.text import nfc

TEMPLATE = "report.html.j2"
MAX_UNITS_PER_TABLE = 10  # unit columns per table in the by-unit section (landscape A4)


class BlockedURLError(ValueError):
    """The report tried to load something other than a data: URL or a file in the templates folder."""


class SafeFetcher(URLFetcher):
    """URL fetcher that serves only ``data:`` URLs and files inside `root`; everything else raises."""

    def __init__(self, root: Path = TEMPLATES_DIR, **kwargs: object) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, **kwargs)
        self.root = Path(root).resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self.allowed_path(url)
            if path is not None:
                return super().fetch(path.as_uri(), headers)
        raise BlockedURLError(f"refusing to load {url[:200]!r}: only data: URLs and files in {self.root}")

    def allowed_path(self, url: str) -> Path | None:
        """The local file a ``file:`` URL names, if it is an existing file inside `root`."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(parts.path)).resolve()
        return path if path.is_relative_to(self.root) and path.is_file() else None


@dataclass(frozen=True)
class IndicatorGroup:
    """A sub-programme heading and its indicator rows, in programme order."""

    code: str
    name: str
    rows: tuple[IndicatorRow, ...]


@dataclass(frozen=True)
class ByUnitTable:
    """One slice of the unit x indicator table (at most MAX_UNITS_PER_TABLE unit columns)."""

    units: tuple[UnitRow, ...]
    with_total: bool  # the last slice carries the "Cộng" column


def report_basename(report: Consolidated, recipient: Recipient) -> str:
    """File name without extension, e.g. ``bao-cao-2012-Q3-ubnd-tinh``."""
    return f"bao-cao-{report.period.code}-{recipient.code}"


def indicator_groups(report: Consolidated) -> list[IndicatorGroup]:
    """Indicator rows grouped by sub-programme, programme order first, unknown codes last."""
    names = {sp.code: sp.name for sp in report.programme.subprogrammes}
    by_code: dict[str, list[IndicatorRow]] = {code: [] for code in names}
    for row in report.indicators:
        by_code.setdefault(row.subprogramme, []).append(row)
    return [IndicatorGroup(code, names.get(code, code), tuple(rows)) for code, rows in by_code.items() if rows]


def by_unit_tables(units: Sequence[UnitRow], size: int = MAX_UNITS_PER_TABLE) -> list[ByUnitTable]:
    """Split the unit columns into balanced slices that fit a landscape page."""
    if not units:
        return []
    count = math.ceil(len(units) / size)
    base, extra = divmod(len(units), count)
    bounds = [i * base + min(i, extra) for i in range(count + 1)]
    slices = [tuple(units[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
    return [ByUnitTable(s, with_total=i == len(slices) - 1) for i, s in enumerate(slices)]


def sum_or_none(values: Sequence[Decimal | None]) -> Decimal | None:
    """Sum of the values present; None when none is."""
    present = [v for v in values if v is not None]
    return sum(present, ZERO) if present else None


def by_unit_totals(report: Consolidated) -> dict[str, object]:
    """Column "Cộng" of the by-unit table: results and spending summed over the units."""
    rows = report.by_unit
    return {
        "result_totals": {
            code: sum_or_none([u.results.get(code) for u in rows]) for code in report.programme.indicators
        },
        "spending_totals": {
            src: sum_or_none([u.spending.get(src) for u in rows]) for src in report.programme.source_codes
        },
        "spending_grand_total": sum_or_none([u.spending_total for u in rows]),
    }


def _day(value: date | datetime | None) -> str:
    return short_date(value.date() if isinstance(value, datetime) else value)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=number, pct=percent, day=_day, long_date=long_date)
    return env


def render_html(report: Consolidated, recipient: Recipient, issuer: Issuer) -> str:
    """The report as a self-contained HTML page (NFC), for preview and for the PDF."""
    units = report.units
    context = {
        "report": report,
        "programme": report.programme,
        "period": report.period,
        "recipient": recipient,
        "issuer": issuer,
        "groups": indicator_groups(report),
        "budget_totals": report.budget_totals,
        "reported_count": len(report.reporting_units),
        "late_count": sum(1 for u in units if u.late_files),
        "by_unit_tables": by_unit_tables(report.by_unit) if recipient.unit_detail else [],
        **by_unit_totals(report),
    }
    return nfc(_environment().get_template(TEMPLATE).render(context))


def render_pdf(report: Consolidated, recipient: Recipient, issuer: Issuer, out_path: Path) -> Path:
    """Render the report to `out_path` (written atomically) and return that path."""
    html = HTML(
        string=render_html(report, recipient, issuer),
        base_url=str(TEMPLATES_DIR),
        url_fetcher=SafeFetcher(),
    )
    with atomic_output(out_path) as tmp:
        html.write_pdf(tmp)
    return out_path


def write_html(report: Consolidated, recipient: Recipient, issuer: Issuer, out_path: Path) -> Path:
    """Write the HTML preview (same template as the PDF) atomically and return its path."""
    with atomic_output(out_path) as tmp:
        tmp.write_text(render_html(report, recipient, issuer), encoding="utf-8")
    return out_path
