"""Data quality: Great Expectations 1.x suites, as code, for the raw layer and the marts.

- `quality.suites`: what is checked (one `Target` per raw table or mart; each holds one or more
  GX suites with the SQL projection of the few columns they need, ERROR or WARN per rule).
- `quality.validate`: runs suites against a DuckDB connection (SQL narrows and derives, GX
  validates the narrowed pandas frame) and returns plain results: unexpected counts and a few
  non-personal samples per failed expectation.
- `quality.scope`: what a check run looks at (the file versions not yet checked, the order
  dates of fct_orders whose rows changed) and the watermark it keeps in the warehouse.
- `quality.docs`: GX Data Docs and dbt docs as static folders, readable offline, under
  UMKM_DOCS_DIR; `quality.data_docs` renders the GX sites (called while validating).

Nothing here imports Dagster: `orchestration/assets/quality.py` turns results into asset checks.
"""
