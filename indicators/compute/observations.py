"""Observations in: lineages merged under their successors, rows screened, organisations the indicator applies to."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .meta import IndicatorMeta


def final_successors(successor_of: dict[int, int]) -> dict[int, int]:
    """{organisation: the last successor of its lineage} for every organisation that has one (cycles cut)."""
    out = {}
    for org in successor_of:
        current, seen = org, {org}
        while current in successor_of and successor_of[current] not in seen:
            current = successor_of[current]
            seen.add(current)
        if current != org:
            out[org] = current
    return out


def merge_lineages(frame: pd.DataFrame, final_of: dict[int, int]) -> pd.DataFrame:
    """Each lineage's series under its last successor: per period, numerators and denominators summed.

    `final_of` maps a predecessor to its last successor (`final_successors`). A predecessor's rows
    become its successor's, so national values count the lineage once and the successor's series
    runs back through its predecessors. Where two codes of a lineage report the same period the
    counts add up; published limits cannot be combined, so a combined ratio row has none (and is
    rebuilt from its summed observed and expected); a score is averaged.
    """
    if not final_of or frame.empty:
        return frame
    mapped = frame["organisation_id"].map(final_of)
    if not mapped.notna().any():
        return frame
    frame = frame.assign(organisation_id=mapped.fillna(frame["organisation_id"]).astype("int64"))
    keys = ["indicator_id", "organisation_id", "period"]
    shared = frame.duplicated(keys, keep=False)
    if not shared.any():
        return frame
    grouped = frame[shared].groupby(keys, sort=False)
    combined = grouped[["numerator", "denominator"]].sum(min_count=1)
    combined["value"] = grouped["value"].mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = combined["numerator"] / combined["denominator"]
    has_counts = combined["numerator"].notna() & (combined["denominator"] > 0)
    combined["value"] = combined["value"].where(~has_counts | combined["value"].isna(), ratio)
    combined["lower"] = np.nan
    combined["upper"] = np.nan
    # Any other column (the batch, the synthetic flag): the largest, so a combined row is synthetic
    # when any of its parts was.
    for column in frame.columns.difference([*keys, "numerator", "denominator", "value", "lower", "upper"]):
        combined[column] = grouped[column].max()
    combined = combined.reset_index()[frame.columns]
    return pd.concat([frame[~shared], combined], ignore_index=True)


def screen_rows(frame: pd.DataFrame, meta: IndicatorMeta) -> tuple[pd.DataFrame, list[dict]]:
    """The rows fit to analyse, and a problem (with its reason) for each row that is not.

    One bad row never fails a run: it is left out and reported on the run. Rows with nothing
    reported (no value, no counts) are simply not data and are not problems.
    """
    missing = np.full(len(frame), np.nan)  # a frame of scores may carry no counts at all
    num = frame["numerator"].to_numpy(dtype=float) if "numerator" in frame else missing
    den = frame["denominator"].to_numpy(dtype=float) if "denominator" in frame else missing
    value = frame["value"].to_numpy(dtype=float) if "value" in frame else missing
    reasons = np.full(len(frame), "", dtype=object)

    def flag(mask, reason):
        mask = mask & (reasons == "")
        reasons[mask] = reason

    with np.errstate(invalid="ignore"):
        flag(np.isinf(num) | np.isinf(den) | np.isinf(value), "a value is infinite")
        flag((num < 0) | (den < 0), "a negative count")
        if meta.kind == "proportion":
            flag(num > den, "the numerator exceeds the denominator")
            flag(np.isfinite(num) & (den == 0), "a numerator over a zero denominator")
        elif meta.kind == "ratio":
            upper = frame["upper"].to_numpy(dtype=float)
            has_value = np.isfinite(value) | (np.isfinite(num) & np.isfinite(den))
            flag(np.isfinite(value) & (value <= 0), "a ratio of zero or less cannot be scored on the log scale")
            limits_ok = np.isfinite(upper) & (upper > 1)
            counts_ok = np.isfinite(num) & np.isfinite(den) & (num > 0) & (den > 0)
            flag(
                has_value & ~limits_ok & ~counts_ok,
                "no published upper limit above 1 and no observed and expected counts to rebuild limits from",
            )
    bad = reasons != ""
    if not bad.any():
        return frame, []
    rows = frame[bad]
    problems = [
        {
            "indicator": meta.code,
            "organisation_id": int(org),
            "period": pd.Timestamp(period).date().isoformat(),
            "reason": reason,
        }
        for org, period, reason in zip(rows["organisation_id"], rows["period"], reasons[bad], strict=True)
    ]
    return frame[~bad], problems


UNCLASSIFIED_KIND = "other"  # trusts.constants.OrganisationKind.OTHER (the stats side imports no app)


def applicable_observations(frame: pd.DataFrame, meta: IndicatorMeta, kinds: dict[int, str]) -> pd.DataFrame:
    """The observations of organisations the indicator applies to (its kinds), so no other is scored.

    Dropped before the z-scores, so an organisation the indicator does not apply to neither gets a
    z-score, chart or alert nor moves the national value the others are compared with.
    """
    if not meta.applies_to:
        return frame
    org_kinds = frame["organisation_id"].map(kinds)
    # An organisation whose kind the registers do not give ("other", not yet classified) is judged
    # from the data: it reported the indicator, so it applies.
    unknown = org_kinds.isna() | (org_kinds == UNCLASSIFIED_KIND)
    return frame[(org_kinds.isin(meta.applies_to) | unknown).to_numpy()]
