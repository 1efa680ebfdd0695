"""The consolidated report: its content, built once, and the engines that lay it out.

Content (no engine imported): numbering (file names, appendix numbers and references, sheet names), tables
(table rows), sentences (the Vietnamese sentences). Engines: html (Jinja2 + WeasyPrint: HTML preview and PDF)
and excel (XlsxWriter). Importing the Excel engine never imports WeasyPrint.
"""
