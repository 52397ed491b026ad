"""Camera sources behind one interface (``base.FrameSource``) and the factory ``open_source``."""

from edge.sources.base import Frame, FrameSource, SourceError
from edge.sources.factory import make_source

__all__ = ["Frame", "FrameSource", "SourceError", "make_source"]
