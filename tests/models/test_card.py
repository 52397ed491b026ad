"""The card names what is below the aims, counting int8 drift either way."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from models.card import write_card
from models.paths import EVAL_SHIPPED


def _card(tmp_path: Path, summary: dict[str, object]) -> str:
    report = copy.deepcopy(json.loads(EVAL_SHIPPED.read_text()))
    report["summary"] = summary
    out = tmp_path / "card.md"
    write_card(report, out, attribution=tmp_path / "absent.md")
    return out.read_text()


def test_card_lists_what_is_short_of_the_aims(tmp_path: Path) -> None:
    text = _card(
        tmp_path,
        {
            "fp32": {"gas_cylinder": 0.9, "waste": 0.55, "dust": 0.7, "infer_ms": 30.0},
            "int8": {"gas_cylinder": 0.9, "waste": 0.55, "dust": 0.75, "infer_ms": 20.0},
            "int8_map50_drop": {"gas_cylinder": 0.0, "waste": 0.0, "dust": -0.05},
        },
    )
    line = next(ln for ln in text.splitlines() if ln.startswith("Still below the aims"))
    assert "waste fp32 mAP50 0.550 (aim 0.6)" in line
    assert "dust int8 off fp32 by -0.050 (aim within 0.03)" in line  # int8 "better" is drift too
    assert "gas_cylinder" not in line
    assert "| dust (real) | 0.5 | 0.700 | 0.750 | -0.050 | no |" in text
    assert "| gas_cylinder (synthetic) | 0.85 | 0.900 | 0.900 | 0.000 | yes |" in text


def test_card_says_none_when_every_aim_is_met(tmp_path: Path) -> None:
    text = _card(
        tmp_path,
        {
            "fp32": {"gas_cylinder": 0.9, "waste": 0.65, "dust": 0.55, "infer_ms": 30.0},
            "int8": {"gas_cylinder": 0.89, "waste": 0.64, "dust": 0.56, "infer_ms": 20.0},
            "int8_map50_drop": {"gas_cylinder": 0.01, "waste": 0.01, "dust": -0.01},
        },
    )
    assert "Still below the aims: none." in text


def test_card_shows_found_boxes_by_size(tmp_path: Path) -> None:
    report = copy.deepcopy(json.loads(EVAL_SHIPPED.read_text()))
    bins = {"0-16": (4, 1), "16-32": (10, 9), "32-64": (0, 0), "64-128": (5, 2), "128+": (1, 1)}
    for entry in report["models"].values():
        for set_entry in entry["sets"].values():
            set_entry["recall_by_size"] = {
                name: {k: {"boxes": b, "found": f} for k, (b, f) in bins.items()}
                for name in ("gas_cylinder", "waste", "dust")
            }
    out = tmp_path / "card.md"
    write_card(report, out, attribution=tmp_path / "absent.md")
    text = out.read_text()
    assert "| class (set) | 0-16 px | 16-32 px | 32-64 px | 64-128 px | 128+ px |" in text
    assert "| waste (real) | 1 / 4 (25%) | 9 / 10 (90%) | - | 2 / 5 (40%) | 1 / 1 (100%) |" in text
