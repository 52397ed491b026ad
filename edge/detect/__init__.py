"""Detector backends behind one protocol; see ``base.py``."""

from edge.detect.base import Detector, build_detector

__all__ = ["Detector", "build_detector"]
