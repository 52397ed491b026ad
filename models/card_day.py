"""The model card's false alarms per camera-day, from `bench/false_alarms_day.py` runs.

`models/false-alarms-day.json` keeps the last line (one JSON object) of two runs of the bench:
`distractors` (the default run: distractors only) and `with_targets` (target episodes added,
so a harness that can never alert shows itself). A run of another model file than the one
shipped is named as such, never passed off as the shipped model's figure.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from models.paths import MODELS_DIR, ONNX_FP32

DAY_JSON = MODELS_DIR / "false-alarms-day.json"


def sha256_12(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def _run_line(run: dict[str, Any]) -> str:
    return (
        f"{run['cameras']} cameras ({', '.join(run['backgrounds'])}; seeds"
        f" {', '.join(str(s) for s in run['seeds'])}), {run['simulated_minutes']:.0f} simulated"
        f" minutes in all at {run['detect_fps'][0]:g} detect fps, model"
        f" `{Path(run['model']).name}@{run['model_sha256_12']}`"
    )


def day_section(path: Path = DAY_JSON, model: Path = ONNX_FP32) -> list[str]:
    """Markdown lines for the card; empty when no run was recorded."""
    if not path.is_file():
        return []
    runs = json.loads(path.read_text())
    day, targets = runs.get("distractors"), runs.get("with_targets")
    if not isinstance(day, dict):
        return []
    lines = [
        "## False alarms per camera-day (synthetic day with distractors)",
        "",
        "`bench/false_alarms_day.py` plays synthetic cameras that show only distractors (walkers"
        " with bags, cars and vans, light changes, fixed bins, water jugs, buckets and"
        " extinguishers) through the edge's own pipeline, detector, tracker, zones, rules and"
        " alert lifecycle on a simulated clock; every alert that starts is a false alarm.",
        "",
    ]
    if model.is_file() and day.get("model_sha256_12") != sha256_12(model):
        lines += [
            f"**Stale:** these runs scored `{day.get('model_sha256_12')}`, not the shipped"
            f" `{model.name}@{sha256_12(model)}`; run the bench again.",
            "",
        ]
    lines += [
        f"Run: {_run_line(day)}; alert thresholds {day.get('alert_threshold')}.",
        "",
        "| category | alerts | camera-hours | per camera-day | 95% upper limit |",
        "|---|---|---|---|---|",
    ]
    for code, c in sorted(day["categories"].items()):
        lines.append(
            f"| {code} {c['name']} | {c['alerts']} | {c['camera_hours']:g} |"
            f" {c['false_alarms_per_camera_day']:.1f} | {c['upper_95_per_camera_day']:.1f} |"
        )
    total = day["total"]
    lines.append(
        f"| total | {total['alerts']} | {total['camera_hours']:g} |"
        f" {total['false_alarms_per_camera_day']:.1f} | {total['upper_95_per_camera_day']:.1f} |"
    )
    if isinstance(targets, dict) and targets.get("targets"):
        found = ", ".join(
            f"{kind} {t['alerted']} of {t['episodes']}" for kind, t in targets["targets"].items()
        )
        lines += [
            "",
            f"With targets ({_run_line(targets)}): episodes that alerted: {found}; other alerts:"
            f" {targets['total']['alerts']}.",
        ]
    return [*lines, ""]
