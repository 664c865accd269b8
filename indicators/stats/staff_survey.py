"""Staff survey tests: paired signed-rank entry vs exit, and bottom-quartile counts vs 25% (methods §8)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

# Exact null distribution up to this many non-zero differences (as R's wilcox.test, n < 50).
EXACT_MAX_N = 49


@dataclass(frozen=True)
class SignedRank:
    """Wilcoxon signed-rank result: W+ (rank sum of exit > entry), two-sided p, n used, and how."""

    statistic: float
    w_minus: float
    p_value: float
    n: int
    n_zero: int
    method: str
    zero_method: str
    z: float | None


@dataclass(frozen=True)
class BinomialResult:
    """Exact two-sided binomial test of k of n against p0, with the Clopper–Pearson 95% CI (0–1)."""

    k: int
    n: int
    proportion: float
    p0: float
    expected: float
    p_value: float
    ci_low: float
    ci_high: float


def _exact_upper_tail_counts(n: int) -> np.ndarray:
    """Number of sign assignments giving each W+ = 0…n(n+1)/2 for ranks 1…n (no ties)."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for rank in range(1, n + 1):
        counts[rank:] = counts[rank:] + counts[:-rank].copy()
    return counts


def signed_rank(entry, exit) -> SignedRank:
    """Paired Wilcoxon signed-rank test of exit − entry (score units in, p-value out), two-sided."""
    # Zero differences are dropped ("wilcox" zero method), as R's wilcox.test and SPSS do, so the
    # figures can be reproduced elsewhere; a zero carries no sign, and with deviations reported to
    # one decimal Pratt's method would let ties at zero move the ranks of everyone else. The p-value
    # is exact (the permutation distribution of W+) when at most 49 non-zero differences remain and
    # none are tied; otherwise the normal approximation with tie-corrected variance and a continuity
    # correction (again R's rule). Pairs with a missing value are dropped.
    entry = np.asarray(entry, dtype=float).ravel()
    exit_ = np.asarray(exit, dtype=float).ravel()
    if entry.shape != exit_.shape:
        raise ValueError("entry and exit must be paired (same length)")
    differences = exit_ - entry
    differences = differences[np.isfinite(differences)]
    n_zero = int(np.sum(differences == 0))
    differences = differences[differences != 0]
    n = len(differences)
    if n == 0:
        return SignedRank(np.nan, np.nan, np.nan, 0, n_zero, "none", "wilcox", None)

    from scipy.stats import rankdata  # scipy.stats takes ~0.5 s to import: only where a test needs it

    ranks = rankdata(np.abs(differences))
    w_plus = float(ranks[differences > 0].sum())
    w_minus = float(ranks[differences < 0].sum())
    total = n * (n + 1) / 2
    has_ties = len(np.unique(np.abs(differences))) < n

    if n <= EXACT_MAX_N and not has_ties:
        counts = _exact_upper_tail_counts(n)
        probabilities = counts / counts.sum()
        w = int(round(w_plus))
        lower = probabilities[: w + 1].sum()
        upper = probabilities[w:].sum()
        p_value = float(min(1.0, 2.0 * min(lower, upper)))
        return SignedRank(w_plus, w_minus, p_value, n, n_zero, "exact", "wilcox", None)

    _, tie_counts = np.unique(ranks, return_counts=True)
    variance = n * (n + 1) * (2 * n + 1) / 24.0 - np.sum(tie_counts**3 - tie_counts) / 48.0
    centred = w_plus - total / 2.0
    correction = 0.5 * np.sign(centred)
    z = float((centred - correction) / np.sqrt(variance))
    p_value = float(min(1.0, 2.0 * special.ndtr(-abs(z))))
    return SignedRank(w_plus, w_minus, p_value, n, n_zero, "normal", "wilcox", z)


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper–Pearson) two-sided 1 − alpha confidence interval for a proportion k/n (0–1)."""
    if n <= 0 or not 0 <= k <= n:
        raise ValueError("need 0 ≤ k ≤ n and n > 0")
    low = 0.0 if k == 0 else float(special.betaincinv(k, n - k + 1, alpha / 2))
    high = 1.0 if k == n else float(special.betaincinv(k + 1, n - k, 1 - alpha / 2))
    return low, high


def binomial_test_vs(k: int, n: int, p0: float = 0.25) -> BinomialResult:
    """Exact two-sided binomial test of k successes in n trials against p0, with its Clopper–Pearson CI."""
    if n <= 0 or not 0 <= k <= n:
        raise ValueError("need 0 ≤ k ≤ n and n > 0")
    if not 0 < p0 < 1:
        raise ValueError("p0 must lie strictly between 0 and 1")
    from scipy.stats import binom  # imported on first use, as rankdata above

    pmf = binom.pmf(np.arange(n + 1), n, p0)
    # Two-sided by summing every outcome no more likely than the observed one (R's binom.test),
    # with a small relative tolerance so floating-point ties are counted as ties.
    p_value = float(min(1.0, pmf[pmf <= pmf[k] * (1 + 1e-7)].sum()))
    low, high = clopper_pearson(k, n)
    return BinomialResult(k=k, n=n, proportion=k / n, p0=p0, expected=n * p0, p_value=p_value, ci_low=low, ci_high=high)
