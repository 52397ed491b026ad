"""Players that act out one scripted episode each: planned once, drawn at any scene time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.synth.background import Ground
from edge.synth.distractors import render_person, render_shadow, render_vehicle
from edge.synth.script import Episode
from edge.synth.sprites import (
    Box,
    CylinderColour,
    CylinderSize,
    ImageU8,
    Sprite,
    paste,
    plume_texture,
    render_bag,
    render_cylinder,
    render_pile,
    render_plume,
)

SIZES: tuple[CylinderSize, ...] = ("15kg", "5kg", "2kg")
COLOURS: tuple[CylinderColour, ...] = ("blue", "grey", "red", "white")
WALK_M_PER_S = 1.3


@dataclass(frozen=True)
class TruthBox:
    """A labelled pixel box: a target (`gas_cylinder`, `waste`, `dust`) or a distractor name."""

    class_name: str
    xyxy: tuple[int, int, int, int]


class Player:
    """Base player: draws nothing, leaves the light alone."""

    def __init__(self, ep: Episode, ground: Ground, seed: int) -> None:
        self.ep = ep
        self.ground = ground
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        w, h = ground.resolution_wh
        x0, y0, x1, y1 = ep.region_norm
        self.region = (int(x0 * w), int(y0 * h), int(x1 * w), int(y1 * h))

    def gain(self, t: float) -> float:
        return 1.0

    def draw(
        self, frame: ImageU8, t: float, truth: list[TruthBox], distractors: list[TruthBox]
    ) -> None:
        return None

    def _walker(
        self,
        frame: ImageU8,
        x: float,
        y: float,
        phase_t: float,
        distractors: list[TruthBox],
        look: int = 0,
    ) -> tuple[int, int]:
        """Draw a person with feet at (x, y); return the hand position in the frame."""
        height = int(1.7 * self.ground.px_per_m(y))
        style = np.random.default_rng([self.seed, look, 1])
        sprite, hand = render_person(height, phase_t * 6.0, style)
        sw, sh = sprite.size_wh
        left, top = int(x) - sw // 2, int(y) - sh
        box = paste(frame, sprite, left, top)
        if box is not None:
            distractors.append(TruthBox("person", box))
        return left + hand[0], top + hand[1]


class _CarryPlayer(Player):
    """Shared walk-in / leave / walk-off timing for objects a person brings and leaves."""

    def __init__(self, ep: Episode, ground: Ground, seed: int) -> None:
        super().__init__(ep, ground, seed)
        self.carry_s = min(4.0, 0.25 * ep.duration_s)
        w = ground.resolution_wh[0]
        cx = (self.region[0] + self.region[2]) / 2
        self.entry_x = -20.0 if cx < w / 2 else w + 20.0
        self.target_x = cx

    def _walker_x(self, tr: float) -> float | None:
        """x of the person at episode time `tr`, or None when off stage."""
        dur = self.ep.duration_s
        if tr < self.carry_s:
            f = tr / self.carry_s
        elif tr < 2 * self.carry_s and 2 * self.carry_s < dur:
            f = 1.0 - (tr - self.carry_s) / self.carry_s
        else:
            return None
        return self.entry_x + (self.target_x - self.entry_x) * f


class CylinderPlayer(_CarryPlayer):
    """A person carries a bottle in and a row or stack of LPG cylinders stands there till end_s."""

    def __init__(self, ep: Episode, ground: Ground, seed: int) -> None:
        super().__init__(ep, ground, seed)
        rng = self.rng
        x0, _, x1, y1 = self.region
        ppm = ground.px_per_m(y1)
        size = ep.cylinder_size or SIZES[int(rng.integers(0, 3))]
        self.placed: list[tuple[Sprite, int, int]] = []
        lying = ep.lying or (ep.stacked and rng.random() < 0.4)
        sprites = [
            render_cylinder(size, ep.cylinder_colour or COLOURS[int(rng.integers(0, 4))], ppm, rng)
            for _ in range(ep.count)
        ]
        if lying:
            sprites = [s.rotated90() for s in sprites]
        sw, sh = sprites[0].size_wh
        step = int(sw * (1.0 if ep.stacked else 1.08)) + 1
        per_row = (
            max(1, min(ep.count, (x1 - x0) // step))
            if not ep.stacked
            else max(1, (ep.count + 1) // 2)
        )
        cx = (x0 + x1) // 2
        for i, sprite in enumerate(sprites):
            row, col = divmod(i, per_row)
            in_row = min(per_row, ep.count - row * per_row)
            left = (
                cx
                - (in_row * step) // 2
                + col * step
                + (row * step // 2 if ep.stacked and lying else 0)
            )
            # Stacked rows sit on top of the row below; unstacked extra rows stand behind it.
            bottom = y1 - row * (sh - 1) if ep.stacked else y1 - row * max(sh // 4, 2)
            self.placed.append((sprite, left, bottom - sh))
        self.placed.sort(key=lambda p: -p[2] if not ep.stacked else 0)
        self.carried = sprites[0] if not lying else sprites[0].rotated90()

    def draw(
        self, frame: ImageU8, t: float, truth: list[TruthBox], distractors: list[TruthBox]
    ) -> None:
        tr = t - self.ep.start_s
        y = float(self.region[3])
        if tr >= self.carry_s:
            order = self.placed if self.ep.stacked else sorted(self.placed, key=lambda p: p[2])
            for sprite, left, top in order:
                box = paste(frame, sprite, left, top)
                if box is not None:
                    truth.append(TruthBox("gas_cylinder", box))
        x = self._walker_x(tr)
        if x is not None:
            hand = self._walker(frame, x, y, tr, distractors)
            if tr < self.carry_s:
                cw, ch = self.carried.size_wh
                box = paste(frame, self.carried, hand[0] - cw // 2, hand[1] - ch // 3)
                if box is not None:
                    truth.append(TruthBox("gas_cylinder", box))


class WastePlayer(_CarryPlayer):
    """A person walks in with a bag, drops it (or a pile appears) and walks off."""

    def __init__(self, ep: Episode, ground: Ground, seed: int) -> None:
        super().__init__(ep, ground, seed)
        x0, _, x1, y1 = self.region
        ppm = ground.px_per_m(y1)
        colour = ep.bag_colour or ("black", "white", "blue")[int(self.rng.integers(0, 3))]
        carried_w = int(0.45 * ppm)
        self.carried = render_bag(colour, carried_w, self.rng)
        width = min(x1 - x0, int((1.6 if ep.pile else 0.6) * ppm))
        self.dropped = (
            render_pile(width, self.rng) if ep.pile else render_bag(colour, width, self.rng)
        )

    def draw(
        self, frame: ImageU8, t: float, truth: list[TruthBox], distractors: list[TruthBox]
    ) -> None:
        tr = t - self.ep.start_s
        y = float(self.region[3])
        if tr >= self.carry_s:
            dw, dh = self.dropped.size_wh
            box = paste(frame, self.dropped, int(self.target_x) - dw // 2, int(y) - dh)
            if box is not None:
                truth.append(TruthBox("waste", box))
        x = self._walker_x(tr)
        if x is not None:
            hand = self._walker(frame, x, y, tr, distractors)
            if tr < self.carry_s:
                cw, ch = self.carried.size_wh
                box = paste(frame, self.carried, hand[0] - cw // 2, hand[1] - ch // 4)
                if box is not None:
                    distractors.append(TruthBox("carried_bag", box))


class DustPlayer(Player):
    """A plume rises over the region for the first 40% of the episode, persists, then fades."""

    def __init__(self, ep: Episode, ground: Ground, seed: int) -> None:
        super().__init__(ep, ground, seed)
        x0, y0, x1, y1 = self.region
        self.size_wh = (x1 - x0, y1 - y0)
        tw, th = self.size_wh
        self.texture = plume_texture((tw, th * 2), self.rng)
        self.tint = float(self.rng.random())
        self.drift = float(self.rng.uniform(-0.4, 0.4))

    def draw(
        self, frame: ImageU8, t: float, truth: list[TruthBox], distractors: list[TruthBox]
    ) -> None:
        tr = t - self.ep.start_s
        dur = self.ep.duration_s
        progress = tr / (0.4 * dur)
        fade = float(np.clip((dur - tr) / (0.1 * dur), 0.0, 1.0))
        _w, h = self.size_wh
        shift = int(tr * 4.0) % h  # billows drift upwards
        tex = self.texture[h - shift : 2 * h - shift]
        sprite = render_plume(self.size_wh, progress, tex, self.tint, self.drift, 0.85 * fade)
        box = paste(frame, sprite, self.region[0], self.region[1])
        if box is not None and progress >= 0.15 and fade >= 0.3:
            truth.append(TruthBox("dust", box))


class WalkersPlayer(Player):
    """People crossing the frame, most carrying bags; they never stop."""

    def __init__(self, ep: Episode, ground: Ground, seed: int) -> None:
        super().__init__(ep, ground, seed)
        w, h = ground.resolution_wh
        rng = self.rng
        self.walks: list[tuple[float, float, int, bool, Sprite | None, float]] = []
        for _ in range(ep.walkers):
            y = float(rng.uniform(ground.ground_top_y + 0.05 * h, 0.98 * h))
            t0 = float(rng.uniform(0.0, max(ep.duration_s * 0.5, 0.1)))
            direction = 1 if rng.random() < 0.5 else -1
            bag = render_bag(
                ("black", "white", "blue")[int(rng.integers(0, 3))],
                int(0.4 * ground.px_per_m(y)),
                rng,
            )
            self.walks.append(
                (t0, y, direction, rng.random() < 0.7, bag, float(rng.uniform(0.8, 1.3)))
            )
        self.shadow = render_shadow((w // 3, h // 4), rng)

    def draw(
        self, frame: ImageU8, t: float, truth: list[TruthBox], distractors: list[TruthBox]
    ) -> None:
        tr = t - self.ep.start_s
        w, h = self.ground.resolution_wh
        sx = int(-w / 3 + (w * 4 / 3) * tr / self.ep.duration_s)
        paste(frame, self.shadow, sx, int(0.72 * h))
        for i, (t0, y, direction, carrying, bag, pace) in enumerate(self.walks):
            if tr < t0:
                continue
            dx = (tr - t0) * WALK_M_PER_S * pace * self.ground.px_per_m(y)
            x = -20.0 + dx if direction > 0 else w + 20.0 - dx
            if not -40.0 < x < w + 40.0:
                continue
            hand = self._walker(frame, x, y, tr * pace, distractors, look=i + 1)
            if carrying and bag is not None:
                bw, bh = bag.size_wh
                box = paste(frame, bag, hand[0] - bw // 2, hand[1] - bh // 4)
                if box is not None:
                    distractors.append(TruthBox("carried_bag", box))


class VehiclePlayer(Player):
    """A car or van crossing along the road during the episode."""

    def __init__(self, ep: Episode, ground: Ground, seed: int) -> None:
        super().__init__(ep, ground, seed)
        h = ground.resolution_wh[1]
        self.y = float(self.rng.uniform(0.78 * h, 0.95 * h))
        self.sprite = render_vehicle(int(4.2 * ground.px_per_m(self.y)), self.rng)
        self.leftwards = bool(self.rng.random() < 0.5)

    def draw(
        self, frame: ImageU8, t: float, truth: list[TruthBox], distractors: list[TruthBox]
    ) -> None:
        w = self.ground.resolution_wh[0]
        sw, sh = self.sprite.size_wh
        f = (t - self.ep.start_s) / self.ep.duration_s
        x = -sw + f * (w + sw)
        if self.leftwards:
            x = w - x - sw
        box = paste(frame, self.sprite, int(x), int(self.y) - sh)
        if box is not None:
            distractors.append(TruthBox("vehicle", box))


class LightingPlayer(Player):
    """Clouds or dusk: brightness eases to `gain` at mid-episode and back."""

    def gain(self, t: float) -> float:
        f = (t - self.ep.start_s) / self.ep.duration_s
        return 1.0 + (self.ep.gain - 1.0) * float(np.sin(np.pi * np.clip(f, 0.0, 1.0)))


PLAYERS: dict[str, type[Player]] = {
    "gas_cylinder_stack": CylinderPlayer,
    "waste_dump": WastePlayer,
    "dust_plume": DustPlayer,
    "distractor_walkers": WalkersPlayer,
    "distractor_vehicle": VehiclePlayer,
    "lighting_change": LightingPlayer,
}


def make_player(ep: Episode, ground: Ground, seed: int) -> Player:
    return PLAYERS[ep.kind](ep, ground, seed)


__all__ = ["Box", "Player", "TruthBox", "make_player"]
