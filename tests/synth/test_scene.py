"""Table tests for the synthetic camera: scripts, determinism, ground truth timing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from edge.synth import SceneScript, SyntheticScene

ONE_OF_EACH: dict[str, Any] = {
    "background": "street",
    "duration_s": 40.0,
    "loop": True,
    "episodes": [
        {
            "kind": "gas_cylinder_stack",
            "start_s": 2.0,
            "end_s": 14.0,
            "region_norm": (0.1, 0.6, 0.4, 0.85),
        },
        {
            "kind": "waste_dump",
            "start_s": 16.0,
            "end_s": 30.0,
            "region_norm": (0.6, 0.6, 0.8, 0.85),
        },
        {"kind": "dust_plume", "start_s": 20.0, "end_s": 38.0, "region_norm": (0.3, 0.2, 0.6, 0.8)},
        {"kind": "distractor_walkers", "start_s": 30.0, "end_s": 40.0, "walkers": 4},
        {"kind": "distractor_vehicle", "start_s": 0.0, "end_s": 6.0},
        {"kind": "lighting_change", "start_s": 30.0, "end_s": 40.0, "gain": 0.5},
    ],
}


def classes_at(scene: SyntheticScene, t_s: float) -> set[str]:
    return {b.class_name for b in scene.render_at(t_s).truth}


@pytest.mark.parametrize(
    ("t_s", "expected"),
    [
        (1.0, set()),  # only the vehicle: no target
        (3.0, {"gas_cylinder"}),  # carried in: a visible cylinder is a target
        (10.0, {"gas_cylinder"}),  # standing in a row
        (15.0, set()),  # removed at end_s
        (17.0, set()),  # bag still carried: a distractor, not truth
        (21.0, {"waste"}),  # dropped and lying still; plume not yet grown
        (28.0, {"waste", "dust"}),
        (33.0, {"dust"}),
        (39.5, set()),  # plume faded, walkers only
    ],
)
def test_truth_follows_the_timeline(t_s: float, expected: set[str]) -> None:
    scene = SyntheticScene(SceneScript.from_dict(ONE_OF_EACH), seed=3)
    assert classes_at(scene, t_s) == expected


def test_carried_bag_is_a_distractor() -> None:
    scene = SyntheticScene(SceneScript.from_dict(ONE_OF_EACH), seed=3)
    frame = scene.render_at(17.0)
    names = {d.class_name for d in frame.distractors}
    assert {"person", "carried_bag"} <= names


def test_deterministic_for_a_seed() -> None:
    script = SceneScript.from_dict(ONE_OF_EACH)
    a = [SyntheticScene(script, seed=5).next_frame() for _ in range(1)]
    s1, s2 = SyntheticScene(script, seed=5), SyntheticScene(script, seed=5)
    for _ in range(30):
        f1, f2 = s1.next_frame(), s2.next_frame()
        assert np.array_equal(f1.image, f2.image)
        assert f1.truth == f2.truth
    assert a[0].frame_index == 0
    other = SyntheticScene(script, seed=6).next_frame()
    assert not np.array_equal(other.image, a[0].image)


def test_frame_fields_and_clock() -> None:
    scene = SyntheticScene(SceneScript.preset("street_corner"), resolution_wh=(320, 180), fps=5.0)
    frames = [scene.next_frame() for _ in range(3)]
    assert [f.frame_index for f in frames] == [0, 1, 2]
    assert [f.t_s for f in frames] == pytest.approx([0.0, 0.2, 0.4])
    assert frames[0].image.shape == (180, 320, 3)
    assert frames[0].image.dtype == np.uint8


def test_boxes_inside_frame_and_in_region() -> None:
    scene = SyntheticScene(SceneScript.from_dict(ONE_OF_EACH), seed=1)
    for t in np.arange(0.0, 40.0, 0.5):
        for box in scene.render_at(float(t)).truth + scene.render_at(float(t)).distractors:
            x0, y0, x1, y1 = box.xyxy
            assert 0 <= x0 < x1 <= 640 and 0 <= y0 < y1 <= 360
    waste = next(b for b in scene.render_at(25.0).truth if b.class_name == "waste")
    cx = (waste.xyxy[0] + waste.xyxy[2]) / 2 / 640
    assert 0.6 <= cx <= 0.8


def test_loop_wraps_and_log_unrolls() -> None:
    scene = SyntheticScene(SceneScript.from_dict(ONE_OF_EACH), seed=3)
    assert classes_at(scene, 50.0) == classes_at(scene, 10.0)
    log = scene.truth_intervals(90.0)
    cyl = [e for e in log if e.class_name == "gas_cylinder"]
    assert [(e.start_s, e.end_s) for e in cyl] == [(2.0, 14.0), (42.0, 54.0), (82.0, 94.0)]


def test_lighting_change_dims() -> None:
    scene = SyntheticScene(SceneScript.from_dict(ONE_OF_EACH), seed=3, noise_sigma=0.0)
    bright = scene.render_at(29.9).image[:60].mean()
    dim = scene.render_at(35.0).image[:60].mean()
    assert dim < bright * 0.7


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            {"episodes": [{"kind": "waste_dump", "start_s": 5.0, "end_s": 2.0}]},
            "end_s must be after",
        ),
        (
            {
                "episodes": [
                    {
                        "kind": "waste_dump",
                        "start_s": 1.0,
                        "end_s": 2.0,
                        "region_norm": (0.5, 0.5, 0.4, 0.9),
                    }
                ]
            },
            "region_norm",
        ),
        ({"episodes": [{"kind": "waste_dump", "start_s": 1.0, "end_s": 99.0}]}, "past duration_s"),
        ({"episodes": [{"kind": "meteor", "start_s": 1.0, "end_s": 2.0}]}, "kind"),
        ({"background": "beach"}, "background"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_scripts_name_the_problem(patch: dict[str, Any], message: str) -> None:
    data = {"background": "street", "duration_s": 10.0, **patch}
    with pytest.raises(ValidationError, match=message):
        SceneScript.from_dict(data)


@pytest.mark.parametrize("name", ["street_corner", "construction_site"])
def test_presets_play_each_target(name: str) -> None:
    scene = SyntheticScene(SceneScript.preset(name), resolution_wh=(320, 180))
    seen = set()
    for t in np.arange(0.0, scene.script.duration_s, 2.0):
        seen |= classes_at(scene, float(t))
    expected = {"gas_cylinder", "waste"} | ({"dust"} if name == "construction_site" else set())
    assert seen == expected
    kinds = {e.kind for e in scene.episode_log}
    assert {"distractor_walkers", "distractor_vehicle", "lighting_change"} <= kinds


def test_unknown_preset() -> None:
    with pytest.raises(KeyError, match="street_corner"):
        SceneScript.preset("moon_base")
