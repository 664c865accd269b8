"""Statistical constants: the one place the normal quantiles used for limits are written.

Two-sided control limits on a z scale (methods §2): 95% limits at ±Z95, 99.8% limits at ±Z998.
Every module that draws, counts or computes against these limits imports them from here.
"""

Z95 = 1.959964  # two-sided 95% normal quantile, Φ⁻¹(0.975)
Z998 = 3.090232  # two-sided 99.8% normal quantile, Φ⁻¹(0.999)
Z99 = 2.575829  # two-sided 99% normal quantile, Φ⁻¹(0.995)
