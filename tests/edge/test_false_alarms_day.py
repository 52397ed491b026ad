"""bench/false_alarms_day.py: the harness counts alerts on distractor-only scenes, and the
same harness does alert when a target episode is present (so a zero can be believed)."""

from __future__ import annotations

import importlib.util
import math
import sys
from types import ModuleType
from typing import Any

import pytest

from tests.edge.helpers import MODEL_FP32, REPO


def _bench() -> ModuleType:
    path = REPO / "bench" / "false_alarms_day.py"
    spec = importlib.util.spec_from_file_location("bench_false_alarms_day", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


BENCH = _bench()
SHORT = {"minutes": 1.0, "cameras": 1, "target_every_min": 1.0, "backgrounds": ("street",)}
"""60 scene seconds on one street camera; with targets, gas cylinders stand there 30-60 s."""


def test_distractor_scripts_hold_no_target() -> None:
    for background in ("street", "site"):
        for seed in (1, 2, 3):
            script = BENCH.distractor_script(background, 1800.0, seed)
            kinds = {ep["kind"] for ep in script["episodes"]}
            assert kinds <= {"distractor_walkers", "distractor_vehicle", "lighting_change"}
            assert {"distractor_walkers", "distractor_vehicle"} <= kinds


def test_truth_detector_counts_nothing_on_distractors() -> None:
    result: dict[str, Any] = BENCH.run(backend="truth", **SHORT)
    assert result["frames"] == 120  # 60 s at the district's 2 detect fps
    total = result["total"]
    assert (total["alerts"], total["camera_hours"], total["false_alarms_per_camera_day"]) == (
        0,
        0.017,
        0.0,
    )
    assert total["upper_95_per_camera_day"] == round(-math.log(0.05) * 24 * 60, 2)  # 3 per span
    assert {"06010", "06901", "08004"} <= set(result["categories"])


@pytest.mark.slow
def test_shipped_model_alerts_on_a_target_and_counts_distractor_alerts() -> None:
    if not MODEL_FP32.is_file():
        pytest.skip(f"model {MODEL_FP32.name} not present")
    quiet: dict[str, Any] = BENCH.run(model=MODEL_FP32, **SHORT)
    target: dict[str, Any] = BENCH.run(model=MODEL_FP32, with_targets=True, **SHORT)
    print("distractors only:", quiet["total"], quiet["false_alarms"])
    print("with a target:", target["targets"], target["false_alarms"])
    for result in (quiet, target):
        assert result["model_sha256_12"] and len(result["model_sha256_12"]) == 12
        assert result["detector_calls"] > 0
        assert result["total"]["alerts"] == sum(c["alerts"] for c in result["categories"].values())
        assert result["total"]["false_alarms_per_camera_day"] == round(
            result["total"]["alerts"] * 24 * 60, 2
        )
    assert target["targets"]["gas_cylinder_stack"]["alerted"] == 1, target["targets"]
