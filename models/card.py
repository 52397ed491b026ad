"""Render `MODEL_CARD.md` from the evaluation JSON (no figure is typed by hand)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.paths import CLASS_NAMES, SHARED_DETECT

AIMS = {"gas_cylinder": 0.85, "waste": 0.6, "dust": 0.5}
INT8_AIM = 0.03


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


def _by_size(entry: dict[str, Any], alert_conf: float) -> list[str]:
    """Truth boxes found at the alert threshold, by box side at the model input (fp32)."""
    from models.evaluate import HEADLINE_SET

    rows: list[tuple[str, str, dict[str, dict[str, int]]]] = [
        (name, set_name, entry["sets"][set_name]["recall_by_size"][name])
        for name, set_name in HEADLINE_SET.items()
        if "recall_by_size" in entry["sets"].get(set_name, {})
    ]
    if not rows:
        return []
    bins = list(rows[0][2])
    lines = [
        f"Truth boxes found by a detection of their class at the alert threshold {alert_conf}"
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
    from models.evaluate import HEADLINE_SET

    short: list[str] = []
    for name, set_name in HEADLINE_SET.items():
        fp, q = s.get("fp32", {}).get(name), s.get("int8", {}).get(name)
        drop = s.get("int8_map50_drop", {}).get(name)
        close = drop is None or abs(drop) <= INT8_AIM
        met = fp is not None and fp >= AIMS[name] and close
        lines.append(
            f"| {name} ({set_name}) | {AIMS[name]} | {_f(fp)} | {_f(q)} | {_f(drop)} | {'yes' if met else 'no'} |"
        )
        if fp is not None and fp < AIMS[name]:
            short.append(f"{name} fp32 mAP50 {_f(fp)} (aim {AIMS[name]})")
        if not close:
            short.append(f"{name} int8 off fp32 by {_f(drop)} (aim within {INT8_AIM})")
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


def write_card(report: dict[str, Any], out: Path, attribution: Path | None = None) -> None:
    attribution = attribution or SHARED_DETECT / "ATTRIBUTION.md"
    fp32, int8 = report["models"].get("fp32"), report["models"].get("int8")
    stages: list[dict[str, Any]] = report.get("weights", {}).get("stages", [])
    lines = [
        "# Model card: gridwall-det-320",
        "",
        "<!-- Generated by `python -m models export` from `models/eval.json`; do not edit by hand. -->",
        "",
        "YOLOv8n-architecture detector for the Gridwall edge agent, trained from scratch (no",
        "pretrained weights) at 320 px. Files: `gridwall-det-320.onnx` (fp32),",
        "`gridwall-det-320-int8.onnx` (int8 QDQ, for ARM boxes), `gridwall-det-320.pt` (Ultralytics",
        "weights, the starting point for site fine-tuning), `classes.yaml`, `SHA256SUMS`. The ONNX",
        "contract is in `models/README.md`.",
        "",
        "## Classes",
        "",
        "| id | name | meaning |",
        "|---|---|---|",
        "| 0 | gas_cylinder | LPG bottle (15/5/2 kg), standing, lying, in rows or stacks |",
        "| 1 | waste | rubbish bags, dumped piles, litter |",
        "| 2 | dust | construction dust plume (trained on smoke as the nearest real stand-in) |",
        "",
        "## Data",
        "",
        f"- Real (CC BY 4.0): `{SHARED_DETECT}`, waste bags and outdoor litter, smoke plumes;"
        " read in place. Train / val split as shipped with it.",
        "- Synthetic (made by `python -m models generate`): LPG cylinders composited on label-free"
        " crops of the real photos (train crops for train, val crops for val) with lighting, blur,"
        " JPEG noise and perspective, occluders and hard negatives (water jugs, buckets, bins, fire"
        " extinguishers, people, carried bags); dust plumes over site backgrounds; frames of the"
        " `edge.synth` synthetic cameras with their ground truth.",
        f"- Validation images: {report['sets']}. There is no real gas-cylinder set: cylinder figures"
        " are on synthetic validation only and say nothing yet about real cameras.",
        "",
        "### Attribution",
        "",
    ]
    if attribution.exists():
        text = attribution.read_text().strip().splitlines()
        lines += [
            f'From `{attribution}` ("this folder" there is the shared data folder):',
            "",
            *[("###" + ln[1:] if ln.startswith("## ") else ln).rstrip() for ln in text[1:]],
        ]
    lines += [
        "",
        "## Training",
        "",
    ]
    if stages:
        keys = [k for k in stages[-1] if k != "run"]
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
        "`epochs` is a cap: with `time` (hours) set, Ultralytics re-fits the epoch count to the"
        " wall-clock budget after each epoch; `optimizer: auto` picks AdamW at a small learning"
        " rate for short runs (lr0 then shows Ultralytics' unused default). `repeat_real` is how"
        " many times the real train split is listed per epoch (`--repeat-real`); `repeat_class`"
        " lists the real images holding a class more often (`--repeat-class`). `epochs_done`"
        " and `train_hours` are what actually ran on a 2-core CPU shared with other work;"
        " `threads` is torch's CPU threads (one where the stage did not record it).",
    ]
    lines += _quantization(report.get("int8_quantization"))
    lines += [
        "",
        f"## Results (alert threshold {report['alert_conf']}, NMS IoU {report['nms_iou']})",
        "",
        "Produced by `python -m models evaluate` on the shipped ONNX files. P and R at the"
        " confidence of best F1; image recall = share of images holding the class on which a"
        " detection of it reaches the alert threshold; false alarms = share of images without the"
        " class on which one does.",
        "",
        "### Against the aims (mAP50)",
        "",
        *_aims(report),
        "",
    ]
    for label, entry in (("fp32", fp32), ("int8", int8)):
        if entry is None:
            continue
        for set_name, title in (
            ("real", "real validation"),
            ("synthetic", "synthetic validation"),
            ("scene", "synthetic-camera frames only"),
        ):
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
        lines += _by_size(fp32, report["alert_conf"])
    if fp32 and fp32.get("failure_counts"):
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(fp32["failure_counts"].items()))
        lines += [
            f"Image-level failures at the alert threshold on real + synthetic validation: {counts}.",
            "",
        ]
    for ex in (fp32 or {}).get("failure_examples", []):
        lines.append(
            f"- {ex['class']} {ex['kind'].replace('_', ' ')} (top confidence {ex['top_conf']:.2f}, `{ex['image']}`): ![](card/{ex['file']})"
        )
    lines += [
        "",
        "Structural limits: smoke is a stand-in for construction dust (thin grey dust over sand may"
        " be missed, steam and exhaust may alarm); cylinders are only synthetic, so real bottles"
        " with labels, rust or unusual colours are untested; small objects (under ~12 px at 320)"
        " are weak. Sites should close the gap with the feedback loop in `docs/models.md`.",
        "",
    ]
    out.write_text("\n".join(lines))
