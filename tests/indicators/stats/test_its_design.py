"""Methods §3 coding: I = 1[t ≥ t_e]; D = min(t, t_x) − t_e in regime (held after exit); A = (t − t_x)·1[t ≥ t_x]."""

import numpy as np
import pytest

from indicators.stats.its import its_design


def test_it_codes_one_change_point():
    X = its_design(6, t_entry=4)
    np.testing.assert_array_equal(
        X,
        [
            [1, 1, 0, 0],
            [1, 2, 0, 0],
            [1, 3, 0, 0],
            [1, 4, 1, 0],
            [1, 5, 1, 1],
            [1, 6, 1, 2],
        ],
    )


def test_it_codes_two_change_points_holding_time_in_regime_after_exit():
    X = its_design(8, t_entry=3, t_exit=6)
    np.testing.assert_array_equal(X[:, 2], [0, 0, 1, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(X[:, 3], [0, 0, 0, 1, 2, 3, 3, 3])
    np.testing.assert_array_equal(X[:, 4], [0, 0, 0, 0, 0, 0, 1, 2])


def test_it_gives_the_slopes_the_methods_describe():
    X = its_design(30, t_entry=10, t_exit=20)
    b = np.array([0.3, 0.05, -0.4, -0.1, 0.02])
    line = X @ b
    assert np.allclose(np.diff(line[:9]), b[1])
    assert np.allclose(np.diff(line[9:19]), b[1] + b[3])
    assert np.allclose(np.diff(line[19:]), b[1] + b[4])


def test_it_refuses_an_exit_before_entry():
    with pytest.raises(ValueError):
        its_design(10, t_entry=5, t_exit=5)
