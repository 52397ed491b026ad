"""Procedural synthetic cameras for testing the edge pipeline and training the detector.

Pure numpy + OpenCV; no torch. See `edge/synth/README.md`.
"""

from edge.synth.episodes import TruthBox
from edge.synth.scene import EpisodeLogEntry, SceneFrame, SyntheticScene
from edge.synth.script import PRESETS, Episode, EpisodeKind, SceneScript

__all__ = [
    "PRESETS",
    "Episode",
    "EpisodeKind",
    "EpisodeLogEntry",
    "SceneFrame",
    "SceneScript",
    "SyntheticScene",
    "TruthBox",
]
