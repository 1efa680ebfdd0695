"""What calamine reads in an ods: content.xml's tables, their used areas with row and column repeats expanded
as calamine expands them (`OdsSheets`); and encryption declared in the manifest (`ManifestScan`)."""

from __future__ import annotations

import contextlib
from xml.parsers import expat

from pipeline.guards.limits import MAX_CELLS, MAX_ROWS, UNSURE, Extents, Reads, name_key, refuse
from pipeline.guards.zip_directory import damaged
from pipeline.problems import PASSWORD_PROTECTED

# The attributes of a cell that calamine reads as empty (LibreOffice writes these on empty cells); any other
# (office:value, string-value, date-value, boolean-value, value-type, table:formula …) may make it a value.
_ODS_EMPTY_CELL = frozenset(
    {
        "number-columns-repeated",
        "style-name",
        "number-columns-spanned",
        "number-rows-spanned",
        "number-matrix-columns-spanned",
        "number-matrix-rows-spanned",
        "content-validation-name",
        "protect",
        "protected",
    }
)


class OdsSheets:
    """Parses content.xml with expat (no DTD: the entity scan runs first) and expands row/column repeats
    up to each table's last non-empty cell, as calamine does. Elements and attributes are recognised by
    local name in any namespace: calamine matches the literal "table:" prefix whatever it is bound to."""

    def __init__(self, extents: Extents):
        self.extents = extents
        self.reads = Reads()
        p = expat.ParserCreate(namespace_separator=" ")
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartElementHandler, p.EndElementHandler = self.start, self.end
        self.parser = p
        self.table = ""
        self.table_key: object = None
        self.row = self.row_rep = self.col = self.last_row = self.last_col = self.row_last_col = 0
        self.cell_depth = 0  # >0 inside a cell
        self.cell_has_value = False

    @staticmethod
    def _repeat(attrs: dict[str, str], local: str) -> int:
        """The largest repeat given under this local name, in any namespace (1 if none can be read)."""
        n = 1
        for key, value in attrs.items():
            if key.rpartition(" ")[2] == local:
                with contextlib.suppress(ValueError):
                    n = max(n, int(value))
        return n

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.cell_depth:
            self.cell_depth += 1
            self.cell_has_value = True  # any content (text:p …) makes the cell non-empty
            return
        local = name.rpartition(" ")[2]
        if local == "table":
            names = [v for k, v in attrs.items() if k.rpartition(" ")[2] == "name"]
            self.table = names[0] if names else "?"
            # calamine reads a table by its table:name (a table without one is not read at all)
            self.table_key = UNSURE if len(names) > 1 else name_key(names[0]) if names else object()
            self.row = self.last_row = self.last_col = 0
        elif local == "table-row":
            self.row_rep = self._repeat(attrs, "number-rows-repeated")
            self.col = self.row_last_col = 0
        elif local in ("table-cell", "covered-table-cell"):
            self.col += self._repeat(attrs, "number-columns-repeated")
            self.cell_depth = 1
            # calamine reads a value from office:value, string-value, date-value, boolean-value … even without
            # a value-type: only the attributes of an empty cell leave it empty
            self.cell_has_value = any(k.rpartition(" ")[2] not in _ODS_EMPTY_CELL for k in attrs)

    def end(self, name: str) -> None:
        if self.cell_depth:
            self.cell_depth -= 1
            if self.cell_depth:
                return
            if self.cell_has_value:
                self.row_last_col = self.col
            return
        local = name.rpartition(" ")[2]
        if local == "table-row":
            self.row += self.row_rep
            if self.row_last_col:
                self.last_row = self.row
                self.last_col = max(self.last_col, self.row_last_col)
                if self.last_row > MAX_ROWS or self.last_row * self.last_col > MAX_CELLS:
                    self.extents.add_sheet(self.table, self.last_row, self.last_col)
        elif local == "table":
            self.extents.add_sheet(self.table, self.last_row, self.last_col)
            self.reads.add(self.table_key, self.last_row * self.last_col)

    def feed(self, part: bytes, final: bool) -> None:
        try:
            self.parser.Parse(part, final)
        except expat.ExpatError as exc:
            raise damaged("nội dung content.xml sai cấu trúc") from exc


class ManifestScan:
    """META-INF/manifest.xml: an ods whose parts are encrypted declares `encryption-data` there."""

    def feed(self, part: bytes, final: bool) -> None:
        if b"encryption-data" in part:
            raise refuse(PASSWORD_PROTECTED, "ods")
