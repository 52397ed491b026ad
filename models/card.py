"""Render `MODEL_CARD.md` from the evaluation JSON (no figure is typed by hand)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.card_day import day_section
from models.card_field import (
    INT8_FIELD_AIM,
    aims_met,
    field_section,
    precision_section,
    previous_section,
    thresholds_section,
)
from models.paths import (
    CLASS_NAMES,
    SHARED_CYLINDERS,
    SHARED_DETECT,
    SHARED_STREET,
    SHARED_WEIGHTS,
)

# mAP50 aims per (class, set) of `models.evaluate.HEADLINE`
AIMS = {
    "gas_cylinder@synthetic": 0.85,
    "gas_cylinder@cylinders": 0.85,
    "waste@real": 0.6,
    "waste@street": 0.6,
    "dust@real": 0.5,
    "overflow@street": 0.5,
}
INT8_AIM = INT8_FIELD_AIM


def _f(v: Any, digits: int = 3) -> str:
    return "n/a" if v is None else f"{v:.{digits}f}"


def _pct(v: Any) -> str:
    return "n/a" if v is None else f"{100 * v:.1f}%"


def _table(entry: dict[str, Any], set_name: str) -> list[str]:
    rows = [
        "| class | boxes | P | R | mAP50 | mAP50-95 | image recall | false alarms (images without) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in CLASS_NAMES:
        r = entry["sets"][set_name]["per_class"][name]
        fa = f"{_pct(r['false_alarm_rate'])} of {r['images_without']}"
        recall = f"{_pct(r['image_recall'])} of {r['images_with']}"
        rows.append(
            f"| {name} | {r['boxes']} | {_f(r['precision'])} | {_f(r['recall'])} | {_f(r['map50'])} | "
            f"{_f(r['map50_95'])} | {recall} | {fa} |"
        )
    return rows


def _by_size(entry: dict[str, Any]) -> list[str]:
    """Truth boxes found at the alert threshold, by box side at the model input (fp32)."""
    from models.evaluate import HEADLINE

    rows: list[tuple[str, str, dict[str, dict[str, int]]]] = [
        (name, set_name, entry["sets"][set_name]["recall_by_size"][name])
        for name, set_name in HEADLINE
        if "recall_by_size" in entry["sets"].get(set_name, {})
    ]
    if not rows:
        return []
    bins = list(rows[0][2])
    lines = [
        "Truth boxes found by a detection of their class at its alert threshold"
        " (IoU 0.5), by box side (square root of its area) in pixels of the 320 px input:"
        " found / boxes.",
        "",
        "| class (set) | " + " | ".join(f"{b} px" for b in bins) + " |",
        "|---|" + "---|" * len(bins),
    ]
    for name, set_name, by in rows:
        cells = [
            f"{v['found']} / {v['boxes']} ({100 * v['found'] / v['boxes']:.0f}%)"
            if v["boxes"]
            else "-"
            for v in by.values()
        ]
        lines.append(f"| {name} ({set_name}) | " + " | ".join(cells) + " |")
    return [*lines, ""]


def _aims(report: dict[str, Any]) -> list[str]:
    s = report["summary"]
    lines = [
        "| class (set) | aim mAP50 | fp32 | int8 | int8 drop | met |",
        "|---|---|---|---|---|---|",
    ]
    from models.evaluate import HEADLINE, headline_key

    short: list[str] = []
    for name, set_name in HEADLINE:
        key = headline_key(name, set_name)
        fp, q = s.get("fp32", {}).get(key), s.get("int8", {}).get(key)
        drop = s.get("int8_map50_drop", {}).get(key)
        close = drop is None or abs(drop) <= INT8_AIM
        met = fp is not None and fp >= AIMS[key] and close
        lines.append(
            f"| {name} ({set_name}) | {AIMS[key]} | {_f(fp)} | {_f(q)} | {_f(drop)} | {'yes' if met else 'no'} |"
        )
        if fp is None or fp < AIMS[key]:
            short.append(f"{name} ({set_name}) fp32 mAP50 {_f(fp)} (aim {AIMS[key]})")
        if not close:
            short.append(f"{name} ({set_name}) int8 off fp32 by {_f(drop)} (aim within {INT8_AIM})")
    field_lines, field_short = aims_met(report)
    lines += ["", "Image level, at the alert thresholds, on the report half:", "", *field_lines]
    short += field_short
    lines += ["", "Still below the aims: " + ("; ".join(short) if short else "none") + "."]
    return lines


def _quantization(q: dict[str, Any] | None) -> list[str]:
    if not q:
        return []
    groups = ", ".join(f"{k} {v}" for k, v in q["calibration_images"].items())
    method = q["method"] + (
        f" ({q['percentile']} percentile)" if q["method"] == "percentile" else ""
    )
    return [
        "",
        "## int8 quantisation",
        "",
        f"- {q['format']}; onnxruntime {q['onnxruntime']} static quantisation.",
        f"- Calibration: {method} ranges over {sum(q['calibration_images'].values())} images of"
        f" the {q['calibration_split']} split ({groups}; seed {q['seed']}); validation images are"
        " never used.",
        f"- {q['float_nodes']} nodes of the detect head's box decoding and score tail stay in"
        " float (DFL softmax, anchors, concatenation of pixel boxes with 0-1 scores).",
    ]


def _machine(m: dict[str, str] | None) -> list[str]:
    if not m:
        return []
    return [
        f"Measured on {m['cpu']} ({m['arch']}; int8 instructions: {m['int8_instructions']};"
        f" onnxruntime {m['onnxruntime']}). int8 kernels differ by CPU (x86 with or without"
        " VNNI, ARM dot-product), so int8 accuracy and speed are this machine's: re-run"
        " `python -m models evaluate` on the target box.",
        "",
    ]


ATTRIBUTIONS = (
    ("waste bags, litter and smoke photos", SHARED_DETECT / "ATTRIBUTION.md"),
    ("street photos", SHARED_STREET / "ATTRIBUTION.md"),
    ("gas-cylinder crops", SHARED_CYLINDERS.parent / "ATTRIBUTION.md"),
)
SET_TITLES = (
    ("street", "street photos (garbage, overflowing bins, bins)"),
    ("cylinders", "real cylinders in street photos (held-out cut-outs and photos)"),
    ("real", "waste and smoke photos"),
    ("synthetic", "synthetic validation"),
    ("scene", "synthetic-camera frames only"),
)


def _attribution(attribution: Path | None) -> list[str]:
    files = [("real data", attribution)] if attribution else list(ATTRIBUTIONS)
    lines: list[str] = []
    for what, path in files:
        if path is None or not path.exists():
            continue
        text = path.read_text().strip().splitlines()
        lines += [
            f"#### {what} (`{path}`)",
            "",
            *[("####" + ln[1:] if ln.startswith("## ") else ln).rstrip() for ln in text[1:]],
            "",
        ]
    return lines


def write_card(
    report: dict[str, Any],
    out: Path,
    attribution: Path | None = None,
    previous: dict[str, Any] | None = None,
) -> None:
    fp32, int8 = report["models"].get("fp32"), report["models"].get("int8")
    stages: list[dict[str, Any]] = report.get("weights", {}).get("stages", [])
    lines = [
        "# Model card: gridwall-det-320",
        "",
        "<!-- Generated by `python -m models export` from `models/eval.json`; do not edit by hand. -->",
        "",
        "Detector for the Gridwall edge agent: Ultralytics' anchor-free YOLOv5n at 320 px, its",
        "backbone and neck started from Ultralytics' COCO-trained YOLOv5n weights (AGPL-3.0,",
        f"`{SHARED_WEIGHTS}`), the detect head trained here. Files: `gridwall-det-320.onnx` (fp32),",
        "`gridwall-det-320-int8.onnx` (int8 QDQ, for ARM boxes), `gridwall-det-320.pt` (Ultralytics",
        "weights, the starting point for site fine-tuning), `classes.yaml` (ids and alert",
        "thresholds), `SHA256SUMS`. The ONNX contract is in `models/README.md`.",
        "",
        "## Classes",
        "",
        "| id | name | meaning | raises |",
        "|---|---|---|---|",
        "| 0 | gas_cylinder | an LPG or propane bottle, standing or leaning, alone or in a group; the edge's"
        " stacking rule counts them per zone | 06901 |",
        "| 1 | waste | garbage on the ground: dumped bags, heaps, loose rubbish (the street set's"
        " `garbage`; bags and litter of the shared photos) | 06010 exposed garbage |",
        "| 2 | dust | a construction dust plume (trained on smoke, the nearest real stand-in) | 08004 |",
        "| 3 | overflow | a bin overflowing (the street set's `overflow`), the bin-overflow scene"
        " city platforms raise | 06902 (local code) |",
        "",
        "Bins alone (the street set's `garbage_bin`) are no class: a bin is no problem, and a street"
        " camera sees bins all day, so their photos are trained as background and are the hard"
        " negatives the waste and overflow false-alarm figures are read on.",
        "",
        "## Data",
        "",
        f"- Street (CC BY 4.0): `{SHARED_STREET}`, real eye-level street photos from China with"
        " garbage piles, bins and overflowing bins; train / val as shipped (split by source photo).",
        f"- Real cylinders (CC BY 4.0): `{SHARED_CYLINDERS}`, crops of real LPG and propane bottles."
        " `python -m models generate` cuts each out (GrabCut), and pastes groups of 1-12 (mostly 2-12)"
        " standing and leaning into street photos, sized from the scene (a labelled bin on the same"
        " foot line, or a ground plane), with contact shadows, overlap and a CCTV look (resolution"
        " loss, blur, dusk noise, JPEG). Near-duplicate crops are grouped; a fifth of the groups is"
        " held out: the `cylinders` validation set pastes only held-out crops into street val"
        " photos, so neither its bottles nor its backgrounds were trained on.",
        f"- Waste and smoke (CC BY 4.0): `{SHARED_DETECT}`, waste bags and outdoor litter, smoke plumes.",
        "- Synthetic (made by `python -m models generate`): drawn LPG cylinders and hard negatives"
        " on label-free crops of those photos, dust plumes over site backgrounds, frames of the"
        " `edge.synth` synthetic cameras with their ground truth.",
        f"- Validation images: {report['sets']}.",
        "",
        "### Attribution",
        "",
        "Pretrained weights: Ultralytics YOLOv5n (v7.0 release, COCO), AGPL-3.0, by Ultralytics.",
        "",
        *_attribution(attribution),
        "## Training",
        "",
    ]
    if stages:
        keys = list(dict.fromkeys(k for st in stages for k in st if k != "run"))
        lines += [
            "| setting | "
            + " | ".join(f"stage {i + 1}: {st['run']}" for i, st in enumerate(stages))
            + " |"
        ]
        lines += ["|---|" + "---|" * len(stages)]
        lines += [
            f"| {k} | " + " | ".join(str(st.get(k, "")) for st in stages) + " |" for k in keys
        ]
    lines += [
        "",
        "`device` is `cpu` for a run on this project's 2-core CPU machines and a GPU index for a"
        " CUDA run (`scripts/train-gpu`). `epochs` is a cap: with `time` (hours) set, Ultralytics"
        " re-fits the epoch count to the wall-clock budget after each epoch; `optimizer: auto`"
        " picks AdamW at a small learning rate for short runs (lr0 then shows Ultralytics' unused"
        " default). `start` names the pretrained start (`models/pretrained.py`). `epochs_done` and"
        " `train_hours` are what actually ran.",
    ]
    lines += _quantization(report.get("int8_quantization"))
    lines += ["", *thresholds_section(report)]
    if fp32:
        lines += precision_section(fp32, "fp32")
    lines += [
        *field_section(report),
        *day_section(),
        f"## Results (NMS IoU {report['nms_iou']})",
        "",
        "Produced by `python -m models evaluate` on the shipped ONNX files. P and R at the"
        " confidence of best F1; image recall = share of images holding the class on which a"
        " detection of it reaches its alert threshold; false alarms = share of images without the"
        " class on which one does (whole sets here; the field figures above use the report half).",
        "",
        "### Against the aims",
        "",
        *_aims(report),
        "",
        *previous_section(report, previous),
    ]
    for label, entry in (("fp32", fp32), ("int8", int8)):
        if entry is None:
            continue
        for set_name, title in SET_TITLES:
            if set_name not in entry["sets"]:
                continue
            lines += [
                f"### {label}, {title} ({entry['sets'][set_name]['images']} images)",
                "",
                *_table(entry, set_name),
                "",
            ]
    lines += [
        "## Speed (ONNX Runtime, 1 thread, 1x3x320x320)",
        "",
        *_machine(report.get("machine")),
        "| model | median ms | p90 ms |",
        "|---|---|---|",
    ]
    for label, entry in (("fp32", fp32), ("int8", int8)):
        if entry:
            lines.append(
                f"| {label} | {entry['infer_ms']['median']} | {entry['infer_ms']['p90']} |"
            )
    lines += ["", "## Known failure cases", ""]
    if fp32:
        lines += _by_size(fp32)
    if fp32 and fp32.get("failure_counts"):
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(fp32["failure_counts"].items()))
        lines += [
            f"Image-level failures at the alert thresholds on every set but the scene frames: {counts}.",
            "",
        ]
    for ex in (fp32 or {}).get("failure_examples", []):
        lines.append(
            f"- {ex['class']} {ex['kind'].replace('_', ' ')} (top confidence {ex['top_conf']:.2f}, `{ex['image']}`): ![](card/{ex['file']})"
        )
    lines += [
        "",
        "Structural limits: smoke is a stand-in for construction dust (thin grey dust over sand may"
        " be missed, steam and exhaust may alarm); the real cylinders are cut-outs pasted into"
        " photos, not bottles photographed where they stand, so lighting and contact are"
        " approximations; the street photos are web photos (loose boxes, watermarks), not CCTV"
        " frames; small objects (under ~12 px at 320) are weak. Sites should close the gap with the"
        " feedback loop in `docs/models.md`.",
        "",
    ]
    out.write_text("\n".join(lines))
