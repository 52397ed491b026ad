"""Per-class alert thresholds of a model: from the settings, or the `classes.yaml` beside it."""

from __future__ import annotations

from pathlib import Path

import yaml

from edge.detect.base import DetectorError
from edge.settings import DetectorSettings


def alert_thresholds(settings: DetectorSettings) -> dict[str, float]:
    """The configured thresholds, else those shipped beside the model file, else none.

    Beside the model: the `alert_confidence_by_file` entry of the model's file name when there
    is one (an int8 file scores differently from its fp32 source), else `alert_confidence`.

    A `classes.yaml` that does not parse, names classes the configuration lacks or holds a
    value outside 0..1 is refused with its reason: a model's thresholds must not silently
    fall back to a generic one.
    """
    if settings.alert_confidence is not None:
        return dict(settings.alert_confidence)
    path = Path(settings.model_path).with_name("classes.yaml")
    if not path.is_file():
        return {}
    try:
        spec = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise DetectorError(f"{path}: not YAML ({exc})") from None
    if not isinstance(spec, dict):
        return {}
    table = spec.get("alert_confidence")
    by_file = spec.get("alert_confidence_by_file")
    if by_file is not None and not isinstance(by_file, dict):
        raise DetectorError(f"{path}: alert_confidence_by_file must map model file names to tables")
    model_file = Path(settings.model_path).name
    if by_file and model_file in by_file:  # a model file's own thresholds (the int8 file)
        table = by_file[model_file]
    if table is None:
        return {}
    if not isinstance(table, dict):
        raise DetectorError(f"{path}: alert_confidence must map class names to 0..1")
    out: dict[str, float] = {}
    for name, value in table.items():
        if str(name) not in settings.class_names:
            raise DetectorError(
                f"{path}: alert_confidence names {name!r}, not one of {settings.class_names}"
            )
        if not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
            raise DetectorError(f"{path}: alert_confidence[{name}] = {value!r} is not within 0..1")
        out[str(name)] = float(value)
    return out
