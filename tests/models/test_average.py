"""Weight averaging without torch: the arithmetic and the errors, on numpy arrays."""

from __future__ import annotations

import numpy as np
import pytest

from models.average import average_state, mix_weights


def _is_float(v: np.ndarray) -> bool:
    return bool(np.issubdtype(v.dtype, np.floating))


def test_average_state_mixes_floats_and_keeps_counters_from_the_last() -> None:
    a = {"conv.w": np.array([0.0, 4.0]), "bn.tracked": np.array(10)}
    b = {"conv.w": np.array([4.0, 8.0]), "bn.tracked": np.array(30)}
    out = average_state([a, b], [0.75, 0.25], _is_float)
    np.testing.assert_allclose(out["conv.w"], [1.0, 5.0])
    assert int(out["bn.tracked"]) == 30


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ([0.5, 0.6], r"shares must sum to 1, got \[0.5, 0.6\] \(sum 1.1\)"),
        ([1.5, -0.5], r"shares must be positive, got \[1.5, -0.5\]"),
        ([], r"shares must be positive, got \[\]"),
    ],
)
def test_mix_weights_names_bad_shares(shares: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        mix_weights(shares)


def test_average_state_rejects_other_models() -> None:
    a = {"x": np.zeros(2)}
    b = {"y": np.zeros(2)}
    with pytest.raises(
        ValueError, match=r"weight file 1 holds other layers \(\['x', 'y'\] differ\)"
    ):
        average_state([a, b], [0.5, 0.5], _is_float)
    with pytest.raises(ValueError, match="2 weight files but 1 shares"):
        average_state([a, a], [1.0], _is_float)
