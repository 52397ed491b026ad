"""Per-class alert thresholds: which one a zone applies, and the model's file beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts.cameras import ZoneRules
from edge.detect.base import DetectorError
from edge.detect.thresholds import alert_thresholds
from edge.settings import DetectorSettings
from edge.zones import alert_floor

MODEL = {"waste": 0.42, "gas_cylinder": 0.3}


@pytest.mark.parametrize(
    ("rules", "name", "want"),
    [
        (ZoneRules(), "waste", 0.42),  # the model's threshold
        (ZoneRules(), "dust", 0.35),  # the model has none: the zone's default
        (ZoneRules(class_confidence={"waste": 0.6}), "waste", 0.6),  # the zone's own first
        (ZoneRules(min_confidence=0.5), "waste", 0.5),  # an explicit zone floor beats the model
        (ZoneRules(min_confidence=0.5, class_confidence={"waste": 0.2}), "waste", 0.2),
        (ZoneRules(min_confidence=0.35), "gas_cylinder", 0.35),  # explicit, even at the default
    ],
)
def test_alert_floor(rules: ZoneRules, name: str, want: float) -> None:
    assert alert_floor(rules, name, MODEL) == pytest.approx(want)


def _settings(tmp_path: Path, classes_yaml: str | None, **kw: object) -> DetectorSettings:
    model = tmp_path / "m.onnx"
    model.write_bytes(b"")
    if classes_yaml is not None:
        (tmp_path / "classes.yaml").write_text(classes_yaml)
    return DetectorSettings(model_path=model, **kw)


def test_thresholds_come_from_the_file_beside_the_model(tmp_path: Path) -> None:
    s = _settings(tmp_path, "names: {0: waste}\nalert_confidence: {waste: 0.4, dust: 0.5}\n")
    assert alert_thresholds(s) == {"waste": 0.4, "dust": 0.5}


def test_configured_thresholds_win_and_no_file_means_none(tmp_path: Path) -> None:
    assert alert_thresholds(_settings(tmp_path, None)) == {}
    s = _settings(tmp_path, "alert_confidence: {waste: 0.4}\n", alert_confidence={"waste": 0.7})
    assert alert_thresholds(s) == {"waste": 0.7}


def test_a_model_file_named_in_by_file_takes_its_own(tmp_path: Path) -> None:
    text = (
        "alert_confidence: {waste: 0.19}\n"
        "alert_confidence_by_file: {m-int8.onnx: {waste: 0.16}, m.onnx: {waste: 0.2}}\n"
    )
    assert alert_thresholds(_settings(tmp_path, text)) == {"waste": 0.2}  # m.onnx
    int8 = tmp_path / "m-int8.onnx"
    int8.write_bytes(b"")
    assert alert_thresholds(DetectorSettings(model_path=int8)) == {"waste": 0.16}
    other = tmp_path / "other.onnx"
    other.write_bytes(b"")
    assert alert_thresholds(DetectorSettings(model_path=other)) == {"waste": 0.19}


def test_the_shipped_int8_file_reads_its_own_thresholds() -> None:
    models = Path(__file__).resolve().parents[2] / "models"
    fp32 = alert_thresholds(DetectorSettings(model_path=models / "gridwall-det-320.onnx"))
    int8 = alert_thresholds(DetectorSettings(model_path=models / "gridwall-det-320-int8.onnx"))
    assert set(fp32) == set(int8) == {"gas_cylinder", "waste", "dust", "overflow"}
    assert all(0.15 <= v <= 1.0 for v in [*fp32.values(), *int8.values()])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("alert_confidence_by_file: [0.4]\n", "must map model file names"),
        ("alert_confidence_by_file: {m.onnx: {waste: 2}}\n", "not within 0..1"),
        ("alert_confidence: {waste: 1.4}\n", "not within 0..1"),
        ("alert_confidence: {pigeon: 0.4}\n", "not one of"),
        ("alert_confidence: [0.4]\n", "must map"),
        ("alert_confidence: {waste: [\n", "not YAML"),
    ],
)
def test_a_bad_thresholds_file_is_refused_with_its_reason(
    tmp_path: Path, text: str, match: str
) -> None:
    with pytest.raises(DetectorError, match=match):
        alert_thresholds(_settings(tmp_path, text))
