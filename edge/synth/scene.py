"""`SyntheticScene`: a procedural camera that plays a `SceneScript` frame by frame.

Each frame carries its ground truth (target boxes while visible; waste only once it lies
still) and the distractors drawn in it, so the whole edge pipeline can be tested end to end
and the detector can be trained on the very frames the synthetic cameras show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from edge.synth.background import apply_lighting, ground_for, render_background
from edge.synth.distractors import NEGATIVE_KINDS, render_negative
from edge.synth.episodes import Player, TruthBox, make_player
from edge.synth.script import TARGET_CLASS, EpisodeKind, SceneScript
from edge.synth.sprites import ImageU8, Sprite, paste


@dataclass(frozen=True)
class SceneFrame:
    """One rendered frame: BGR uint8 image, scene time and its ground truth."""

    image: ImageU8
    t_s: float
    frame_index: int
    truth: list[TruthBox] = field(default_factory=list)
    distractors: list[TruthBox] = field(default_factory=list)


@dataclass(frozen=True)
class EpisodeLogEntry:
    """When an episode plays in script time (one pass of the script)."""

    kind: EpisodeKind
    start_s: float
    end_s: float
    class_name: str | None


class SyntheticScene:
    """Render frames of a scripted scene; deterministic for a given script, size, fps and seed."""

    def __init__(
        self,
        script: SceneScript,
        resolution_wh: tuple[int, int] = (640, 360),
        fps: float = 10.0,
        seed: int = 0,
        noise_sigma: float = 3.0,
        static_negatives: int = 2,
    ) -> None:
        if fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        w, h = resolution_wh
        if w < 64 or h < 64:
            raise ValueError(f"resolution_wh must be at least 64x64, got {resolution_wh}")
        self.script = script
        self.resolution_wh = (int(w), int(h))
        self.fps = float(fps)
        self.seed = seed
        self.noise_sigma = noise_sigma
        self.frame_index = 0
        self.ground = ground_for(self.resolution_wh)
        self._base = render_background(script.background, self.resolution_wh, seed)
        self._players: list[Player] = [
            make_player(ep, self.ground, seed * 1000 + i + 1)
            for i, ep in enumerate(script.episodes)
        ]
        self._negatives = self._place_negatives(static_negatives)

    def _place_negatives(self, count: int) -> list[tuple[Sprite, int, int]]:
        """Fixed hard negatives (bins, jugs, buckets, extinguishers) away from episode regions."""
        rng = np.random.default_rng([self.seed, 99])
        w, h = self.resolution_wh
        regions = [p.region for p in self._players if p.ep.kind in TARGET_CLASS]
        placed: list[tuple[Sprite, int, int]] = []
        for _ in range(count * 10):
            if len(placed) >= count:
                break
            x = int(rng.integers(int(0.05 * w), int(0.95 * w)))
            y = int(rng.integers(int(self.ground.ground_top_y + 0.02 * h), int(0.7 * h)))
            if any(r[0] - 40 <= x <= r[2] + 40 and r[1] - 20 <= y <= r[3] + 20 for r in regions):
                continue
            kind = NEGATIVE_KINDS[int(rng.integers(0, len(NEGATIVE_KINDS)))]
            sprite = render_negative(kind, self.ground.px_per_m(y), rng)
            sw, sh = sprite.size_wh
            placed.append((sprite, x - sw // 2, y - sh))
        return placed

    @property
    def episode_log(self) -> list[EpisodeLogEntry]:
        """Ground-truth timeline of one pass of the script."""
        return [
            EpisodeLogEntry(ep.kind, ep.start_s, ep.end_s, TARGET_CLASS.get(ep.kind))
            for ep in self.script.episodes
        ]

    def truth_intervals(self, until_s: float) -> list[EpisodeLogEntry]:
        """The episode log unrolled over loops up to scene time `until_s`."""
        out: list[EpisodeLogEntry] = []
        passes = math.ceil(until_s / self.script.duration_s) if self.script.loop else 1
        for k in range(max(passes, 1)):
            off = k * self.script.duration_s
            for e in self.episode_log:
                if e.start_s + off < until_s:
                    out.append(
                        EpisodeLogEntry(e.kind, e.start_s + off, e.end_s + off, e.class_name)
                    )
        return out

    def script_time(self, t_s: float) -> float:
        """Scene time mapped into the script (wrapped when looping)."""
        if self.script.loop:
            return t_s % self.script.duration_s
        return t_s

    def render_at(self, t_s: float, frame_index: int = 0) -> SceneFrame:
        """Render the frame at scene time `t_s` without advancing the scene."""
        ts = self.script_time(t_s)
        frame = self._base.astype(np.uint8)
        truth: list[TruthBox] = []
        distractors: list[TruthBox] = []
        for sprite, x, y in self._negatives:
            box = paste(frame, sprite, x, y)
            if box is not None:
                distractors.append(TruthBox("hard_negative", box))
        gain = 1.0 + 0.05 * math.sin(2 * math.pi * ts / 47.0)
        # Ground-level objects drawn far to near so nearer ones occlude farther ones.
        active = [p for p in self._players if p.ep.start_s <= ts < p.ep.end_s]
        for player in sorted(active, key=lambda p: (p.ep.kind == "dust_plume", p.region[3])):
            player.draw(frame, ts, truth, distractors)
            gain *= player.gain(ts)
        rng = np.random.default_rng([self.seed, frame_index, 7])
        warmth = 0.5 * math.sin(2 * math.pi * ts / 90.0)
        image = apply_lighting(frame.astype(np.float32), gain, warmth, self.noise_sigma, rng)
        return SceneFrame(image, float(t_s), frame_index, truth, distractors)

    def next_frame(self) -> SceneFrame:
        """Render the next frame at `frame_index / fps` and advance."""
        frame = self.render_at(self.frame_index / self.fps, self.frame_index)
        self.frame_index += 1
        return frame
