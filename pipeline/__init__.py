"""khuyencong: consolidated reporting for the Bình Phước industrial-promotion programme.

Stages, one module each: reading -> validating -> ledger (storing) -> aggregating -> report (package).
Reference data (programme, units, recipients, periods) lives in `config/` and is loaded by
`programme`, `units`, `recipients`; `periods` handles reporting periods.
"""
