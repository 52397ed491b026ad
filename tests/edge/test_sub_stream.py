"""A camera with a sub stream: detection reads the small stream, the frame tap (video) gets
every frame of the main stream at its own resolution, and alerts still come."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.agent import Agent
from edge.settings import parse_edge_config
from edge.sources.synthetic import SyntheticSource
from tests.edge.helpers import box_config, camera, wait_for

pytestmark = pytest.mark.integration


def test_detection_on_the_sub_stream_video_on_the_main(
    tmp_path: Path, mqtt_url: str, topic_prefix: str
) -> None:
    script = {
        "duration_s": 300.0,
        "loop": False,
        "episodes": [
            {
                "kind": "gas_cylinder_stack",
                "start_s": 0.0,
                "end_s": 300.0,
                "region_norm": (0.12, 0.58, 0.36, 0.82),
                "count": 3,
            }
        ],
    }
    main = {"kind": "synthetic", "script": script, "seed": 4, "speed": 4.0}
    cam = camera("cam-v", main, wh=(640, 360), rules={"cylinder_hold_s": 0.5})
    cam["stream"]["sub"] = {**main}
    cam["stream"]["detect_resolution_wh"] = [320, 180]
    data = box_config(tmp_path, mqtt_url, topic_prefix, [cam])
    agent = Agent(parse_edge_config(data, "test", tmp_path), tmp_path)
    sub = agent.frame_tap.subscribe("cam-v", maxlen=4)
    agent.start()
    try:
        tapped = sub.get(10.0)
        assert tapped is not None and tapped.image.shape == (360, 640, 3)
        pipe = agent.pipelines["cam-v"]
        assert pipe.view_capture is not None
        assert wait_for(lambda: pipe.detections_run > 3, 20.0)
        detect_src, view_src = pipe.capture.source, pipe.view_capture.source
        assert isinstance(detect_src, SyntheticSource) and isinstance(view_src, SyntheticSource)
        assert detect_src.scene.resolution_wh == (320, 180)
        assert view_src.scene.resolution_wh == (640, 360)
        assert wait_for(lambda: any(lc.active for lc in pipe.lifecycles.values()), 30.0)
        assert pipe.stats().state == "online"
    finally:
        sub.close()
        agent.stop()
