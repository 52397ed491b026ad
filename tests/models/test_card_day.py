"""The card's false alarms per camera-day: read from the bench's JSON, stale runs named."""

from __future__ import annotations

import json
from pathlib import Path

from models.card_day import day_section, sha256_12


def _run(sha: str, alerts: int, targets: dict[str, object] | None = None) -> dict[str, object]:
    run: dict[str, object] = {
        "model": "models/m.onnx",
        "model_sha256_12": sha,
        "cameras": 2,
        "backgrounds": ["street", "site"],
        "seeds": [1, 2],
        "simulated_minutes": 30.0,
        "detect_fps": [2.0],
        "alert_threshold": {"waste": 0.2},
        "categories": {
            "06010": {
                "name": "Exposed garbage",
                "alerts": alerts,
                "camera_hours": 0.5,
                "false_alarms_per_camera_day": alerts * 48.0,
                "upper_95_per_camera_day": 143.8,
            }
        },
        "total": {
            "alerts": alerts,
            "camera_hours": 0.5,
            "false_alarms_per_camera_day": alerts * 48.0,
            "upper_95_per_camera_day": 143.8,
        },
    }
    if targets is not None:
        run["targets"] = targets
    return run


def test_the_section_shows_the_shipped_models_run(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"model")
    day = tmp_path / "day.json"
    targets: dict[str, object] = {"waste_dump": {"episodes": 3, "alerted": 2}}
    runs = {"distractors": _run(sha256_12(model), 1), "with_targets": _run("x", 0, targets)}
    day.write_text(json.dumps(runs))
    text = "\n".join(day_section(day, model))
    assert "| 06010 Exposed garbage | 1 | 0.5 | 48.0 | 143.8 |" in text
    assert "30 simulated minutes in all" in text
    assert "waste_dump 2 of 3" in text
    assert "Stale" not in text


def test_a_run_of_another_model_file_is_named_stale(tmp_path: Path) -> None:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"model")
    day = tmp_path / "day.json"
    day.write_text(json.dumps({"distractors": _run("0123456789ab", 0)}))
    text = "\n".join(day_section(day, model))
    assert (
        f"**Stale:** these runs scored `0123456789ab`, not the shipped `m.onnx@{sha256_12(model)}`"
        in text
    )
    assert day_section(tmp_path / "none.json", model) == []


def test_the_shipped_card_carries_the_shipped_models_run() -> None:
    card = (Path(__file__).resolve().parents[2] / "models" / "MODEL_CARD.md").read_text()
    assert "## False alarms per camera-day" in card
    assert "**Stale:**" not in card
