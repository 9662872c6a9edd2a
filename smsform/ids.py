"""The ids the app's tables hand out, as every layer may need to bound them."""

#: The largest id a table holds (SQLite and PostgreSQL bigint); a larger one is not found.
MAX_ID = 2**63 - 1
