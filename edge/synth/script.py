"""The timeline a synthetic camera plays: a frozen pydantic model a YAML config can carry."""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge.synth.background import BackgroundKind
from edge.synth.sprites import BagColour, CylinderColour, CylinderSize

EpisodeKind = Literal[
    "gas_cylinder_stack",
    "waste_dump",
    "dust_plume",
    "distractor_walkers",
    "distractor_vehicle",
    "lighting_change",
]
TARGET_CLASS: dict[str, str] = {
    "gas_cylinder_stack": "gas_cylinder",
    "waste_dump": "waste",
    "dust_plume": "dust",
}


class Episode(BaseModel):
    """One scripted event. `region_norm` is (x0, y0, x1, y1) in 0-1: where the object ends up.

    Kind-specific fields are ignored by kinds they do not concern.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: EpisodeKind
    start_s: float = Field(ge=0.0)
    end_s: float = Field(gt=0.0)
    region_norm: tuple[float, float, float, float] = (0.4, 0.6, 0.6, 0.9)
    # gas_cylinder_stack
    count: int = Field(default=4, ge=1, le=12)
    stacked: bool = False
    lying: bool = False
    cylinder_size: CylinderSize | None = None
    cylinder_colour: CylinderColour | None = None
    # waste_dump
    pile: bool = False
    bag_colour: BagColour | None = None
    # distractor_walkers
    walkers: int = Field(default=3, ge=1, le=20)
    # lighting_change: brightness gain reached at the middle of the episode
    gain: float = Field(default=0.5, gt=0.0, le=2.0)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.end_s <= self.start_s:
            raise ValueError(
                f"end_s must be after start_s, got start_s={self.start_s} end_s={self.end_s}"
            )
        x0, y0, x1, y1 = self.region_norm
        if not (0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0):
            raise ValueError(
                f"region_norm must be (x0, y0, x1, y1), 0 <= x0 < x1 <= 1, got {self.region_norm}"
            )
        return self

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


class SceneScript(BaseModel):
    """Background, length and episodes of a synthetic camera."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    background: BackgroundKind = "street"
    duration_s: float = Field(default=60.0, gt=0.0)
    loop: bool = True
    episodes: tuple[Episode, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Self:
        for i, ep in enumerate(self.episodes):
            if ep.end_s > self.duration_s:
                raise ValueError(
                    f"episodes[{i}].end_s={ep.end_s} is past duration_s={self.duration_s}"
                )
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SceneScript:
        return cls.model_validate(data)

    @classmethod
    def preset(cls, name: str) -> SceneScript:
        """A named demo script: "street_corner" or "construction_site"."""
        if name not in PRESETS:
            raise KeyError(f"unknown preset {name!r}, expected one of {sorted(PRESETS)}")
        return cls.model_validate(PRESETS[name])

    @classmethod
    def demo_default(cls, background: BackgroundKind = "street") -> SceneScript:
        return cls.preset("street_corner" if background == "street" else "construction_site")


PRESETS: dict[str, dict[str, Any]] = {
    "street_corner": {
        "background": "street",
        "duration_s": 90.0,
        "loop": True,
        "episodes": [
            {"kind": "distractor_walkers", "start_s": 0.0, "end_s": 10.0, "walkers": 3},
            {
                "kind": "gas_cylinder_stack",
                "start_s": 12.0,
                "end_s": 36.0,
                "region_norm": (0.12, 0.58, 0.36, 0.82),
                "count": 4,
            },
            {"kind": "distractor_vehicle", "start_s": 38.0, "end_s": 44.0},
            {"kind": "distractor_walkers", "start_s": 38.0, "end_s": 46.0, "walkers": 2},
            {
                "kind": "waste_dump",
                "start_s": 48.0,
                "end_s": 80.0,
                "region_norm": (0.6, 0.6, 0.8, 0.8),
                "pile": True,
            },
            {"kind": "lighting_change", "start_s": 60.0, "end_s": 75.0, "gain": 0.55},
        ],
    },
    "construction_site": {
        "background": "site",
        "duration_s": 90.0,
        "loop": True,
        "episodes": [
            {"kind": "distractor_walkers", "start_s": 0.0, "end_s": 8.0, "walkers": 2},
            {
                "kind": "dust_plume",
                "start_s": 10.0,
                "end_s": 40.0,
                "region_norm": (0.3, 0.25, 0.7, 0.8),
            },
            {"kind": "distractor_vehicle", "start_s": 42.0, "end_s": 48.0},
            {
                "kind": "gas_cylinder_stack",
                "start_s": 50.0,
                "end_s": 75.0,
                "region_norm": (0.6, 0.6, 0.85, 0.85),
                "count": 5,
                "stacked": True,
            },
            {
                "kind": "waste_dump",
                "start_s": 52.0,
                "end_s": 85.0,
                "region_norm": (0.1, 0.65, 0.3, 0.85),
            },
            {"kind": "lighting_change", "start_s": 70.0, "end_s": 88.0, "gain": 0.6},
        ],
    },
}
