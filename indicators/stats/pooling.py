"""DerSimonian–Laird random-effects pooling of one ITS coefficient across trusts (methods §4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constants import Z95


@dataclass(frozen=True)
class Pooled:
    """A pooled coefficient: random-effects estimate with 95% CI, heterogeneity, and the fixed-effect sensitivity."""

    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float
    q: float
    fixed_estimate: float
    fixed_se: float


def dersimonian_laird(estimates, standard_errors) -> Pooled | None:
    """Pool estimates (any units) with their SEs (same units); None when no trust has an estimate."""
    # Pairs with a missing estimate or SE (a coefficient a trust could not estimate) are left out,
    # so k counts the trusts actually pooled. With k = 1 there is no between-trust spread to
    # estimate: Q = 0, τ² = 0 and I² = 0, and the random-effects result equals that trust's own.
    # I² is a fraction (0–1) and is 0 whenever Q ≤ k − 1 (including Q = 0).
    y = np.asarray(estimates, dtype=float).ravel()
    se = np.asarray(standard_errors, dtype=float).ravel()
    if y.shape != se.shape:
        raise ValueError("estimates and standard_errors must have the same length")
    present = np.isfinite(y) & np.isfinite(se)
    y, se = y[present], se[present]
    if np.any(se <= 0):
        raise ValueError("standard errors must be positive")
    k = len(y)
    if k == 0:
        return None

    v = se**2
    w = 1.0 / v
    sum_w = w.sum()
    fixed = float(np.sum(w * y) / sum_w)
    q = float(np.sum(w * (y - fixed) ** 2)) if k > 1 else 0.0
    c = sum_w - np.sum(w**2) / sum_w
    excess = q - (k - 1)
    tau2 = max(0.0, excess / c) if k > 1 and c > 0 else 0.0
    i2 = max(0.0, excess / q) if k > 1 and q > 0 else 0.0

    w_star = 1.0 / (v + tau2)
    estimate = float(np.sum(w_star * y) / w_star.sum())
    pooled_se = float(1.0 / np.sqrt(w_star.sum()))
    return Pooled(
        k=k,
        estimate=estimate,
        se=pooled_se,
        ci_low=estimate - Z95 * pooled_se,
        ci_high=estimate + Z95 * pooled_se,
        tau2=float(tau2),
        i2=float(i2),
        q=q,
        fixed_estimate=fixed,
        fixed_se=float(1.0 / np.sqrt(sum_w)),
    )
