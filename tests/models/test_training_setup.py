"""Training set-up without torch: real-split oversampling, and the stages the card lists."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from models.export import PT_SHIPPED, _stages
from models.train import (
    TrainOptions,
    class_oversampled_yaml,
    image_repeats,
    oversampled_yaml,
    write_notes,
)


def _data_yaml(tmp_path: Path, train: object) -> Path:
    path = tmp_path / "gridwall-det.yaml"
    spec = {"path": str(tmp_path), "train": train, "val": ["real/images/val"], "names": {0: "a"}}
    path.write_text(yaml.safe_dump(spec))
    return path


def test_oversampled_yaml_repeats_only_the_real_split(tmp_path: Path) -> None:
    data = _data_yaml(tmp_path, ["real/images/train", "synth/images/train"])
    out = oversampled_yaml(data, 3, "ft")
    assert out.parent == tmp_path and out.name == "gridwall-det-ft-real3.yaml"
    spec = yaml.safe_load(out.read_text())
    assert spec["train"] == ["real/images/train"] * 3 + ["synth/images/train"]
    assert spec["val"] == ["real/images/val"]
    assert spec["path"] == str(tmp_path)


def test_oversampled_yaml_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="repeat_real must be >= 1, got 0"):
        oversampled_yaml(_data_yaml(tmp_path, ["real/images/train"]), 0, "ft")
    with pytest.raises(ValueError, match=r"no real/ entry in train \['synth/images/train'\]"):
        oversampled_yaml(_data_yaml(tmp_path, "synth/images/train"), 2, "ft")


def _real_split(tmp_path: Path, labels: dict[str, str]) -> Path:
    for folder in ("images", "labels"):
        (tmp_path / "real" / folder / "train").mkdir(parents=True)
    for stem, rows in labels.items():
        (tmp_path / "real" / "images" / "train" / f"{stem}.jpg").write_bytes(b"")
        (tmp_path / "real" / "labels" / "train" / f"{stem}.txt").write_text(rows)
    path = tmp_path / "gridwall-det.yaml"
    spec = {
        "path": str(tmp_path),
        "train": ["real/images/train", "synth/images/train"],
        "val": ["real/images/val"],
        "names": {0: "gas_cylinder", 1: "waste", 2: "dust"},
    }
    path.write_text(yaml.safe_dump(spec))
    return path


_LABELS = {
    "bags": "1 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.1 0.1\n",
    "smoke": "2 0.5 0.5 0.4 0.4\n",
    "both": "1 0.5 0.5 0.2 0.2\n2 0.3 0.3 0.2 0.2\n",
    "empty": "",
}


def test_image_repeats_take_the_most_any_class_asks_for(tmp_path: Path) -> None:
    data = _real_split(tmp_path, _LABELS)
    repeats = image_repeats(data.parent / "real" / "labels" / "train", 2, {2: 4})
    assert repeats == {"bags": 2, "smoke": 4, "both": 4, "empty": 2}


def test_class_oversampled_yaml_lists_each_real_image_as_its_classes_ask(tmp_path: Path) -> None:
    data = _real_split(tmp_path, _LABELS)
    out = class_oversampled_yaml(data, 2, (("dust", 4),), "d8")
    spec = yaml.safe_load(out.read_text())
    listing = Path(spec["train"][0])
    assert spec["train"][1:] == ["synth/images/train"]
    names = [Path(line).name for line in listing.read_text().splitlines()]
    assert sorted(names) == sorted(
        ["bags.jpg"] * 2 + ["empty.jpg"] * 2 + ["smoke.jpg"] * 4 + ["both.jpg"] * 4
    )
    assert all(Path(line).exists() for line in listing.read_text().splitlines())


def test_class_oversampled_yaml_names_a_bad_class_or_count(tmp_path: Path) -> None:
    data = _real_split(tmp_path, _LABELS)
    with pytest.raises(ValueError, match=r"unknown class 'smoke' \(classes: \['dust'"):
        class_oversampled_yaml(data, 2, (("smoke", 4),), "d8")
    with pytest.raises(ValueError, match="dust=0 must be >= 1"):
        class_oversampled_yaml(data, 2, (("dust", 0),), "d8")
    with pytest.raises(ValueError, match="repeat_real must be >= 1, got 0"):
        class_oversampled_yaml(data, 0, (("dust", 4),), "d8")


def _run(runs: Path, name: str, model: str, epochs_done: int) -> Path:
    weights = runs / name / "weights" / "last.pt"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"")
    (runs / name / "args.yaml").write_text(yaml.safe_dump({"model": model, "epochs": 30}))
    header = "epoch,time,train/box_loss"
    rows = [f"{i + 1},{(i + 1) * 360.0},1.0" for i in range(epochs_done)]
    (runs / name / "results.csv").write_text("\n".join([header, *rows]) + "\n")
    return weights


def test_stages_chain_runs_and_inherit_the_shipped_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs = tmp_path / "runs"
    first = _run(runs, "a", "yolov8n.yaml", 2)
    second = _run(runs, "b", str(first), 3)
    assert [s["run"] for s in _stages(second, [{"run": "old"}])] == ["a", "b"]

    monkeypatch.setattr("models.train.RUNS_DIR", runs)
    shipped = str(PT_SHIPPED)
    third = _run(runs, "c", shipped, 4)
    write_notes(TrainOptions(run_name="c", repeat_real=2, threads=2, why="oversample real photos"))
    stages = _stages(third, [{"run": "det"}, {"run": "det2"}])
    assert [s["run"] for s in stages] == ["det", "det2", "c"]
    assert stages[-1]["repeat_real"] == 2
    assert stages[-1]["threads"] == 2
    assert stages[-1]["why"] == "oversample real photos"
    assert stages[-1]["epochs_done"] == 4
    assert stages[-1]["train_hours"] == 0.4


def test_a_copy_of_the_shipped_weights_inherits_their_history(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    kept = tmp_path / "kept-aside.pt"
    kept.write_bytes(PT_SHIPPED.read_bytes())
    run = _run(runs, "d", str(kept), 2)
    stages = _stages(run, [{"run": "det"}, {"run": "det5"}])
    assert [s["run"] for s in stages] == ["det", "det5", "d"]
    assert stages[-1]["model"] == "models/gridwall-det-320.pt"

    data = PT_SHIPPED.read_bytes()
    kept.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # other weights, same size
    other = _run(runs, "e", str(kept), 2)
    assert [s["run"] for s in _stages(other, [{"run": "det"}])] == ["e"]
    assert _stages(kept, [{"run": "det"}]) == []


def test_repeat_class_flag_reads_class_equals_count(capsys: pytest.CaptureFixture[str]) -> None:
    from models.__main__ import _parser

    args = _parser().parse_args(["train", "--repeat-class", "dust=4", "--repeat-class", "waste=2"])
    assert args.repeat_class == [("dust", 4), ("waste", 2)]
    with pytest.raises(SystemExit):
        _parser().parse_args(["train", "--repeat-class", "dust"])
    assert "'dust': expected CLASS=N, e.g. dust=4" in capsys.readouterr().err
