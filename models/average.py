"""`python -m models average`: a weighted mean of trained weights, parameter by parameter.

Two stages from the same start differ in what they traded: det8 (the shipped det5 trained on)
gained waste and lost dust box fit. A weighted mean of the two keeps most of each; the result
is an ordinary Ultralytics checkpoint for `python -m models export --weights`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any


def mix_weights(shares: Sequence[float]) -> list[float]:
    """Check that the shares are positive and sum to one (within rounding)."""
    if not shares or any(s <= 0 for s in shares):
        raise ValueError(f"shares must be positive, got {list(shares)}")
    if abs(sum(shares) - 1.0) > 1e-6:
        raise ValueError(f"shares must sum to 1, got {list(shares)} (sum {sum(shares):g})")
    return list(shares)


def average_state(
    states: Sequence[Mapping[str, Any]], shares: Sequence[float], is_float: Callable[[Any], bool]
) -> dict[str, Any]:
    """sum(share_i * state_i[k]) for floating tensors; other entries (counters) from the last.

    `is_float(value)` says whether a value is averaged; the states must hold the same keys.
    """
    mix_weights(shares)
    if len(states) != len(shares):
        raise ValueError(f"{len(states)} weight files but {len(shares)} shares")
    keys = list(states[-1])
    for i, state in enumerate(states):
        if list(state) != keys:
            missing = sorted(set(keys) ^ set(state))[:3]
            raise ValueError(f"weight file {i + 1} holds other layers ({missing} differ)")
    out: dict[str, Any] = {}
    for k in keys:
        last = states[-1][k]
        if is_float(last):
            out[k] = sum(s[k] * w for s, w in zip(states, shares, strict=True))
        else:
            out[k] = last
    return out


def average_weights(paths: Sequence[Path], shares: Sequence[float], out: Path) -> Path:
    """Load Ultralytics checkpoints, average their models, save a checkpoint like the last."""
    import copy

    import torch

    ckpts = [torch.load(p, map_location="cpu", weights_only=False) for p in paths]
    models = [(c.get("ema") or c["model"]).float() for c in ckpts]
    state = average_state([m.state_dict() for m in models], shares, lambda v: v.is_floating_point())
    model = copy.deepcopy(models[-1])
    model.load_state_dict(state)
    ckpt = dict(ckpts[-1])
    ckpt.update(model=model.half(), ema=None, optimizer=None)
    ckpt["gridwall_average"] = [
        {"weights": str(p), "share": s} for p, s in zip(paths, shares, strict=True)
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ckpt, out)
    return out
