"""Pure numerical core of Oversight: z-scores, interrupted time series, pooling, SPC, early warning.

NumPy, pandas, SciPy and statsmodels only; nothing here may import Django (a test enforces it),
so the statistics can be run and checked without a database. The contract is
`shared/specs/methods.md`; every computed number is stored with `METHOD_VERSION`.
"""

# Bump whenever a formula, default or rule changes what a stored number would be.
METHOD_VERSION = "2026.12-1"
