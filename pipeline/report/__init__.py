"""The consolidated report: each recipient's copy built once as a typed Document, then laid out by engines.

Content (no engine imported): model (the Document and its parts), build (Consolidated + Recipient + Issuer +
Titles -> Document), sentences (the Vietnamese sentences), tables (the rows of the tables and charts),
sheets (the Excel workbook's sheets), numbering (file names, appendix numbers and references, sheet names).
Engines, layout only, from the Document alone: html (Jinja2 + WeasyPrint: HTML preview and PDF) and excel
(XlsxWriter); importing the Excel engine imports neither WeasyPrint nor Jinja2.
"""
