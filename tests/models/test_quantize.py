"""int8 export: calibration drawn from the train split of every group, settings checked."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from models.paths import CLASS_NAMES, ONNX_FP32
from models.quantize import GROUPS, QuantSettings, calibration_images, export_int8


def _dataset(root: Path, per_prefix: int = 6, image: bool = False) -> Path:
    """A data dir laid out like `python -m models generate` writes it, train and val."""
    rng = np.random.default_rng(1)
    for split in ("train", "val"):
        for folder, prefix in GROUPS.values():
            d = root / folder.replace("/train", f"/{split}")
            d.mkdir(parents=True, exist_ok=True)
            for i in range(per_prefix):
                name = d / f"{prefix or 'photo_'}{split}_{i:03d}.jpg"
                if image:
                    cv2.imwrite(str(name), rng.integers(0, 255, (96, 160, 3), dtype=np.uint8))
                else:
                    name.write_bytes(b"")
    return root


def test_calibration_takes_every_group_from_train_only(tmp_path: Path) -> None:
    data = _dataset(tmp_path)
    chosen = calibration_images(data, per_group=2, seed=0)
    assert set(chosen) == set(GROUPS)
    assert {k: len(v) for k, v in chosen.items()} == {
        "real": 4,  # the real photos weigh double
        "cylinders": 2,
        "negatives": 2,
        "plumes": 2,
        "scenes": 2,
    }
    for name, paths in chosen.items():
        prefix = GROUPS[name][1]
        for p in paths:
            assert p.parent.name == "train", p
            assert p.name.startswith(prefix), (name, p.name)


def test_calibration_is_reproducible_and_seeded(tmp_path: Path) -> None:
    data = _dataset(tmp_path, per_prefix=30)
    a = calibration_images(data, per_group=5, seed=0)
    assert a == calibration_images(data, per_group=5, seed=0)
    assert a != calibration_images(data, per_group=5, seed=1)


def test_calibration_names_the_missing_group(tmp_path: Path) -> None:
    data = _dataset(tmp_path)
    for p in (data / "synth/images/train").glob("dust_*.jpg"):
        p.unlink()
    with pytest.raises(FileNotFoundError, match=r"dust_\*\.jpg in .*synth/images/train"):
        calibration_images(data, per_group=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "kl"}, "calibration method 'kl'"),
        ({"per_group": 0}, "per_group must be >= 1, got 0"),
        ({"percentile": 50.0}, "percentile must be within 90-100, got 50.0"),
        ({"weight_type": "int4"}, "weight type 'int4' is not one of"),
    ],
)
def test_settings_reject_bad_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        QuantSettings(**kwargs)  # type: ignore[arg-type]


def test_export_int8_quantises_the_shipped_model(tmp_path: Path) -> None:
    import onnx  # onnxruntime's quantiser needs it: a dev dependency, so this runs in CI
    import onnxruntime as ort

    data = _dataset(tmp_path / "data", per_prefix=3, image=True)
    out = tmp_path / "int8.onnx"
    info = export_int8(ONNX_FP32, data, out, QuantSettings(per_group=1))
    assert info["calibration_images"] == dict.fromkeys(GROUPS, 1) | {"real": 2}
    assert info["calibration_split"] == "train" and info["float_nodes"] > 0
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    model = onnx.load(str(out))
    ops = {n.op_type for n in model.graph.node}
    assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    y = sess.run(None, {"images": np.zeros((1, 3, 320, 320), np.float32)})[0]
    assert y.shape == (1, 4 + len(CLASS_NAMES), 2100)
    assert out.stat().st_size < ONNX_FP32.stat().st_size / 2
    # weights stored as uint8 (U8U8): no U8S8 saturation on x86 CPUs without VNNI
    assert info["format"].startswith("QDQ, uint8 per-channel weights")
    weight_types = {
        t.data_type for t in model.graph.initializer if t.data_type in (2, 3) and len(t.dims) == 4
    }
    assert weight_types == {onnx.TensorProto.UINT8}
