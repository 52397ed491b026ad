"""Train lists without torch: synthetic kinds oversampled, the starts' comparison sample."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from models.compare_starts import CompareOptions, sample, sample_yaml, train_images
from models.train import class_oversampled_yaml, synth_oversampled_yaml


def _dataset(tmp_path: Path) -> Path:
    files = {
        "synth": ["cyl_train_00000", "dust_train_00000", "dust_train_00001", "neg_train_00000"],
        "real": ["bags", "smoke"],
    }
    rows = {"bags": "1 0.5 0.5 0.2 0.2\n", "smoke": "2 0.5 0.5 0.4 0.4\n"}
    for folder, stems in files.items():
        for kind in ("images", "labels"):
            (tmp_path / folder / kind / "train").mkdir(parents=True)
        for stem in stems:
            (tmp_path / folder / "images" / "train" / f"{stem}.jpg").write_bytes(b"")
            (tmp_path / folder / "labels" / "train" / f"{stem}.txt").write_text(rows.get(stem, ""))
    path = tmp_path / "gridwall-det.yaml"
    spec = {
        "path": str(tmp_path),
        "train": ["real/images/train", "synth/images/train"],
        "val": ["real/images/val"],
        "names": {0: "gas_cylinder", 1: "waste", 2: "dust"},
    }
    path.write_text(yaml.safe_dump(spec))
    return path


def _listed(spec: dict[str, object], index: int) -> list[str]:
    train = spec["train"]
    assert isinstance(train, list)
    return [Path(line).name for line in Path(train[index]).read_text().splitlines()]


def test_synth_oversampled_yaml_repeats_one_kind_only(tmp_path: Path) -> None:
    out = synth_oversampled_yaml(_dataset(tmp_path), (("dust", 3),), "d10")
    spec = yaml.safe_load(out.read_text())
    assert spec["train"][0] == "real/images/train"
    assert sorted(_listed(spec, 1)) == sorted(
        ["cyl_train_00000.jpg", "neg_train_00000.jpg"]
        + ["dust_train_00000.jpg", "dust_train_00001.jpg"] * 3
    )


def test_synth_and_class_oversampling_compose(tmp_path: Path) -> None:
    synth = synth_oversampled_yaml(_dataset(tmp_path), (("dust", 2),), "d10")
    out = class_oversampled_yaml(synth, 1, (("dust", 4),), "d10")
    spec = yaml.safe_load(out.read_text())
    assert sorted(_listed(spec, 0)) == ["bags.jpg"] + ["smoke.jpg"] * 4
    assert _listed(spec, 1).count("dust_train_00001.jpg") == 2


def test_synth_oversampled_yaml_names_a_bad_kind_or_count(tmp_path: Path) -> None:
    data = _dataset(tmp_path)
    with pytest.raises(ValueError, match=r"unknown kind 'smoke' \(kinds: \['cyl', 'dust', 'neg'\]"):
        synth_oversampled_yaml(data, (("smoke", 2),), "d10")
    with pytest.raises(ValueError, match="dust=0 must be >= 1"):
        synth_oversampled_yaml(data, (("dust", 0),), "d10")


def test_the_comparison_sample_is_seeded_and_shared_by_every_start(tmp_path: Path) -> None:
    data = _dataset(tmp_path)
    images = train_images(data)
    assert len(images) == 6 and images[0].name == "bags.jpg"
    first, again = sample(images, 3, seed=7), sample(images, 3, seed=7)
    assert first == again and len(first) == 3
    assert any(sample(images, 3, seed=s) != first for s in range(8, 12))
    assert sample(images, 99, seed=7) == images
    with pytest.raises(ValueError, match="images must be > 0"):
        sample(images, 0, seed=7)
    out = sample_yaml(CompareOptions(images=4, data=data, out=tmp_path / "compare"))
    spec = yaml.safe_load(out.read_text())
    assert spec["val"] == ["real/images/val"] and len(_listed(spec, 0)) == 4
