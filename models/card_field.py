"""The model card's field sections: thresholds, confidence -> precision, image-level figures,
the issue's must-show checks and the before/after comparison (all from the evaluation JSON)."""

from __future__ import annotations

from typing import Any

from models.field import FALSE_ALARM_BUDGET, MIN_THRESHOLD
from models.paths import CLASS_NAMES

# Image-level aims, read on the report half at the alert thresholds: (set, figure, aim, at most?)
FIELD_AIMS: tuple[tuple[str, str, float, bool], ...] = (
    ("street", "garbage_recall", 0.85, False),
    ("street", "waste_false_alarm_bins", 0.10, True),
    ("cylinders", "group3_recall", 0.90, False),
    ("street", "cylinder_false_alarm", 0.05, True),
)
INT8_FIELD_AIM = 0.02

FIGURE_TEXT = {
    "garbage_recall": "photos with a garbage pile on which waste fires",
    "waste_false_alarm_bins": "bin-only photos on which waste fires",
    "overflow_recall": "photos with an overflowing bin on which overflow fires",
    "overflow_false_alarm_bins": "bin-only photos on which overflow fires",
    "cylinder_false_alarm": "photos without cylinders on which gas_cylinder fires",
    "dust_false_alarm": "photos without dust on which dust fires",
    "cylinder_recall": "composites on which gas_cylinder fires",
    "group3_recall": "composites with 3+ cylinders on which gas_cylinder fires",
    "group3_rule_recall": "composites with 3+ cylinders with 3+ cylinder detections (the count rule)",
    "single_recall": "composites with one cylinder on which it fires",
    "waste_recall": "photos with waste on which waste fires",
    "waste_false_alarm": "photos without waste on which waste fires",
    "dust_recall": "photos with dust on which dust fires",
}


def _f(v: Any, digits: int = 3) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def _pct(v: Any) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def thresholds_section(report: dict[str, Any]) -> list[str]:
    at = report.get("alert_conf")
    if not isinstance(at, dict):
        return []
    lines = [
        "## Alert thresholds",
        "",
        "Chosen per class on the *calibration half* of the validation images (a fixed half by"
        " file name; a cylinder composite goes with its street photo): the lowest confidence at"
        " which the class fires on no more than its budget of the street-view calibration photos"
        " (street photos and the cylinder composites made of them) that do not show it (never"
        f" below {MIN_THRESHOLD}); the shared close-ups and the synthetic renders are not counted. Every field figure below is read on the"
        " other, *report* half. Each model file gets thresholds chosen on its own detections"
        " (the int8 file scores a little differently from its fp32 source), and each file's"
        " field figures are read at its own. `models/classes.yaml` carries them"
        " (`alert_confidence`, and `alert_confidence_by_file` for a file whose own differ) and"
        " the edge takes those of the file it loads as its per-class defaults (a zone's"
        " `class_confidence` overrides).",
        "",
    ]
    own = {k: m["alert_conf"] for k, m in report.get("models", {}).items() if m.get("alert_conf")}
    keys = list(own) or ["all"]
    cols = own or {"all": at}
    lines += [
        "| class | "
        + " | ".join(f"alert threshold, {k}" for k in keys)
        + " | false-alarm budget (calibration) |",
        "|---|" + "---|" * (len(keys) + 1),
    ]
    lines += [
        f"| {n} | "
        + " | ".join(f"{cols[k][n]:.2f}" for k in keys)
        + f" | {_pct(FALSE_ALARM_BUDGET[n])} |"
        for n in CLASS_NAMES
    ]
    return [*lines, ""]


def precision_section(entry: dict[str, Any], label: str) -> list[str]:
    """Confidence -> box precision (IoU 0.5) on the report half of the real sets."""
    curves = entry.get("precision_curve")
    if not curves:
        return []
    confs = [row["conf"] for row in curves[CLASS_NAMES[0]]][1::2]  # 0.10, 0.20, ..
    lines = [
        f"### Confidence -> precision ({label}, report half of the real-photo sets, IoU 0.5)",
        "",
        "Of the detections at or above a confidence, the share that sit on a labelled object of"
        " their class (and, in brackets, the share of labelled objects they find).",
        "",
        "| class | " + " | ".join(f"≥ {c:.2f}" for c in confs) + " |",
        "|---|" + "---|" * len(confs),
    ]
    for n in CLASS_NAMES:
        cells = []
        for row in curves[n]:
            if row["conf"] not in confs:
                continue
            cells.append(
                "-"
                if row["precision"] is None
                else f"{_f(row['precision'], 2)} ({_f(row['recall'], 2)})"
            )
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return [*lines, ""]


def field_section(report: dict[str, Any]) -> list[str]:
    fp32, int8 = report["models"].get("fp32", {}), report["models"].get("int8", {})
    if "field" not in fp32:
        return []
    lines = [
        "## Field figures (image level, at the alert thresholds, report half)",
        "",
        "| set | figure | fp32 | int8 | images |",
        "|---|---|---|---|---|",
    ]
    for set_name, figures in fp32["field"].items():
        for key, row in figures.items():
            q = int8.get("field", {}).get(set_name, {}).get(key, {})
            lines.append(
                f"| {set_name} | {FIGURE_TEXT.get(key, key)} | {_pct(row['value'])} |"
                f" {_pct(q.get('value'))} | {row['images']} |"
            )
    return [*lines, ""]


def aims_met(report: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The image-level aims table and what falls short (fp32 and int8 alike)."""
    lines = [
        "| figure (set) | aim | fp32 | int8 | met |",
        "|---|---|---|---|---|",
    ]
    short: list[str] = []
    for set_name, key, aim, at_most in FIELD_AIMS:
        vals = {
            m: report["models"]
            .get(m, {})
            .get("field", {})
            .get(set_name, {})
            .get(key, {})
            .get("value")
            for m in ("fp32", "int8")
        }
        ok = {
            m: v is not None and (v <= aim if at_most else v >= aim)
            for m, v in vals.items()
            if m in report["models"]
        }
        lines.append(
            f"| {FIGURE_TEXT.get(key, key)} ({set_name}) | {'≤' if at_most else '≥'} {_pct(aim)} |"
            f" {_pct(vals['fp32'])} | {_pct(vals['int8'])} | {'yes' if all(ok.values()) else 'no'} |"
        )
        short += [f"{key} ({set_name}) {m} {_pct(vals[m])}" for m, good in ok.items() if not good]
    return lines, short


def previous_section(report: dict[str, Any], previous: dict[str, Any] | None) -> list[str]:
    """mAP50 per class and set, the previous shipped model against this one (fp32)."""
    if not previous:
        return []
    old, new = previous["models"]["fp32"]["sets"], report["models"]["fp32"]["sets"]
    lines = [
        "## Against the previous model",
        "",
        f"The model shipped before this one (`{previous.get('model', 'previous')}`), scored by the"
        " same code on the same validation images (fp32 mAP50; `models/eval-previous.json`).",
        "",
        "| class | set | previous | this model |",
        "|---|---|---|---|",
    ]
    for set_name in new:
        for n in CLASS_NAMES:
            b = old.get(set_name, {}).get("per_class", {}).get(n, {}).get("map50")
            a = new[set_name]["per_class"][n]["map50"]
            if a is None and b is None:
                continue
            lines.append(f"| {n} | {set_name} | {_f(b)} | {_f(a)} |")
    return [*lines, ""]
