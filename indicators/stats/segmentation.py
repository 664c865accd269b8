"""NHS Oversight Framework segmentation: average scores (1.00 best – 4.00 worst) to segments 1–4.

Two boundary rules, named as FrameworkVersion.boundary_rule names them:

- `quartile_within_category` (2025/26): within one category, a trust's segment is
  1 + floor(4 r / n), where n is the number of trusts scored and r the number with a strictly
  better (lower) score. **Ties take the better segment**: trusts with equal scores share the
  lowest position of their group, so no two equal scores are ever split across a boundary, and
  the result does not depend on the order the trusts are listed in.
- `fixed_thresholds` (2026/27): a score up to and including thresholds[k-1] is segment k
  (a score exactly on a threshold takes the better segment, as ties do above); above the last, 4.

Then the deficit cap: a trust in financial deficit is no better than `deficit_cap` (3), so a
deficit trust computed as 1 or 2 becomes 3; 3 and 4 are unchanged. Segment 5 is a judgement
overlay (PIP) and never computed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SEGMENTS = 4


def quartile_segments(scores: Sequence[float]) -> list[int]:
    """Segment 1–4 of each score by quartile of the group (lower score better, ties take the better segment)."""
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        return []
    if np.isnan(values).any():
        raise ValueError("every trust needs an average score to be placed by quartile")
    n = values.size
    ordered = np.sort(values)
    better = np.searchsorted(ordered, values, side="left")  # how many scores are strictly lower
    return [int(1 + (SEGMENTS * r) // n) for r in better]


def threshold_segment(score: float, thresholds: Sequence[float]) -> int:
    """Segment of one score under fixed thresholds: score <= thresholds[k-1] is segment k, else the last."""
    if len(thresholds) != SEGMENTS - 1 or list(thresholds) != sorted(thresholds):
        raise ValueError(f"fixed thresholds are {SEGMENTS - 1} increasing scores, got {list(thresholds)}")
    if score is None or math.isnan(score):
        raise ValueError("a trust needs an average score to be placed by threshold")
    for k, bound in enumerate(thresholds, start=1):
        if score <= bound:
            return k
    return SEGMENTS


def deficit_capped(segment: int, in_deficit: bool | None, cap: int | None) -> int:
    """The segment after the deficit cap: a trust in deficit is no better (lower) than `cap`."""
    if cap and in_deficit:
        return max(segment, cap)
    return segment


@dataclass(frozen=True)
class Placement:
    """One trust's computed segment, before and after the deficit cap."""

    before_cap: int
    segment: int

    @property
    def capped(self) -> bool:
        return self.segment != self.before_cap


def segment_group(
    scores: Sequence[float],
    deficits: Sequence[bool | None],
    *,
    rule: str,
    parameters: dict,
) -> list[Placement]:
    """Every trust of one category placed under a framework's rule and parameters."""
    if len(scores) != len(deficits):
        raise ValueError("one deficit flag per score")
    if rule == "quartile_within_category":
        before = quartile_segments(scores)
    elif rule == "fixed_thresholds":
        before = [threshold_segment(score, parameters["thresholds"]) for score in scores]
    else:
        raise ValueError(f"the rule {rule!r} has no arithmetic: its segments are judgements")
    cap = parameters.get("deficit_cap")
    return [Placement(before_cap=b, segment=deficit_capped(b, deficit, cap)) for b, deficit in zip(before, deficits)]


def implied_upper_bounds(
    scores: Sequence[float], segments: Sequence[int], capped: Sequence[bool]
) -> list[float | None]:
    """The worst score that still held each segment 1–3, from published placements not moved by the cap.

    A published table gives segments, not boundaries; the worst uncapped score seen in segment k is
    the boundary a trust must reach to be placed in k ("reach" as ties do: equal is enough).
    None where no uncapped trust holds the segment.
    """
    bounds: list[float | None] = []
    for k in range(1, SEGMENTS):
        held = [s for s, seg, cap in zip(scores, segments, capped) if seg == k and not cap]
        bounds.append(max(held) if held else None)
    return bounds


@dataclass(frozen=True)
class Distance:
    """How far a score is from the boundaries of its segment (in average-score points; lower is better)."""

    to_better: float | None  # the fall in score that reaches the next better segment (None: best, or capped)
    to_worse: float | None  # the rise in score beyond which the trust drops a segment (None: already worst)
    capped_by_deficit: bool = False

    @property
    def nearest(self) -> tuple[str, float] | None:
        """("better" | "worse", distance) to the nearer boundary, or None when there is neither."""
        options = [
            (name, value) for name, value in (("better", self.to_better), ("worse", self.to_worse)) if value is not None
        ]
        return min(options, key=lambda item: item[1]) if options else None


def distance_to_next_segment(
    score: float,
    segment: int,
    upper_bounds: Sequence[float | None],
    *,
    in_deficit: bool = False,
    cap: int | None = None,
) -> Distance:
    """Score change that crosses the nearest boundary, given each segment's upper bound (segments 1–3).

    To reach segment k-1 the score must fall to upper_bounds[k-2] (equal is enough: ties take the
    better segment), so the distance is score − bound. To drop to k+1 the score must rise above
    upper_bounds[k-1], so the margin is bound − score (any rise beyond it drops). A deficit trust
    at the cap cannot move up by score alone. Segment 5 (a judgement) has no score boundary.
    """
    if segment > SEGMENTS:
        return Distance(None, None)
    capped = bool(cap and in_deficit and segment <= cap)
    to_better = None
    if segment > 1 and not capped:
        bound = upper_bounds[segment - 2]
        to_better = round(max(score - bound, 0.0), 6) if bound is not None else None
    to_worse = None
    if segment < SEGMENTS:
        bound = upper_bounds[segment - 1]
        to_worse = round(max(bound - score, 0.0), 6) if bound is not None else None
    return Distance(to_better, to_worse, capped_by_deficit=capped)


def furthest_domain(own: dict[str, int | None], peers: dict[str, Sequence[int | None]]) -> tuple[str, float] | None:
    """The domain where the trust's segment is furthest worse than its category's median, and by how much.

    Ties go to the domain listed first. None when the trust has no domain segments.
    """
    best: tuple[str, float] | None = None
    for domain, value in own.items():
        values = [v for v in peers.get(domain, ()) if v is not None]
        if value is None or not values:
            continue
        gap = float(value) - float(np.median(values))
        if best is None or gap > best[1]:
            best = (domain, gap)
    return best
