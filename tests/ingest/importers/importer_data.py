"""Paths of the bundled data files the importer tests read (shared by conftest and the tests)."""

from pathlib import Path

DATA = Path(__file__).resolve().parents[3] / "data"
REAL = DATA / "real"
INDICATORS_CSV = DATA / "indicators.csv"
TRUSTS_2021 = REAL / "nhs_trusts_2021.csv"
ETR_2025 = REAL / "ods_trusts_etr_2025.csv"
AE_ATTENDANCES = REAL / "ae_attendances.csv"
MONTHLY = sorted((REAL / "nhse-ae-monthly-2024-25").glob("msitae-*.csv"))
# Type 1 trusts of 2016–2019 that merged into others, so are in neither register.
PREDECESSORS = ["RE9", "RGQ", "RJF", "RLN", "RM2", "RQQ", "RR1", "RW3"]
