"""Table tests: the site-broker renderer (hub.enrol.site_bridge) refuses bad input with the
value named, keeps the shipped template true, and its command writes the three files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from contracts.errors import ContractError
from hub.enrol.site_bridge import SiteBroker, main, render_conf

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "docker" / "mosquitto" / "site-bridge.conf.template"
GOOD = (("edge-07", "EDGE-07-PASSWORD"), ("edge-08", "EDGE-08-PASSWORD"))


def site(**kw: object) -> SiteBroker:
    args: dict[str, object] = {
        "listen_host": "0.0.0.0",
        "listen_port": 1883,
        "central_host": "CENTRAL_HOST",
        "central_port": 8883,
        "prefix": "gridwall",
        "folder": Path("/mosquitto/site"),
        "boxes": GOOD,
        "ca_file": "/mosquitto/site/central-ca.pem",
    }
    args.update(kw)
    return SiteBroker(**args)  # type: ignore[arg-type]


def test_the_shipped_template_is_what_the_renderer_writes() -> None:
    # the template is its own comment lines, then what the renderer writes for placeholders
    assert TEMPLATE.read_text().endswith(render_conf(site()))


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"prefix": "grid wall"}, "topic prefix 'grid wall'"),
        ({"central_host": "hub;rm"}, "host 'hub;rm'"),
        ({"central_port": 0}, "port 0"),
        ({"boxes": ()}, "at least one box"),
        ({"boxes": (("Edge-07", "EDGE-07-PASSWORD"),)}, "box id 'Edge-07'"),
        ({"boxes": (GOOD[0], GOOD[0])}, "'edge-07' is listed twice"),
        ({"boxes": (("edge-07", "short"),)}, "12+ characters"),
        ({"boxes": (("edge-07", "has a space in it"),)}, "no spaces"),
    ],
)
def test_bad_input_is_refused_by_name(change: dict[str, object], error: str) -> None:
    with pytest.raises((ValueError, ContractError)) as got:
        site(**change)
    assert error in str(got.value)


def test_each_box_bridges_only_its_own_topics_with_qos_1_and_a_kept_session() -> None:
    conf = render_conf(site(ca_file=None))
    bridges = conf.split("\nconnection ")[1:]
    assert len(bridges) == 2
    for block, (box, password) in zip(bridges, GOOD, strict=True):
        assert f"remote_username {box}\nremote_password {password}\n" in block
        assert "cleansession false" in block and "bridge_cafile" not in block
        topics = [ln for ln in block.splitlines() if ln.startswith("topic ")]
        assert all(f" gridwall/v1/edge/{box}/" in ln and ln.endswith(" 1") for ln in topics)
        assert [ln.split()[1].rsplit("/", 1)[-1] for ln in topics if " in " in ln] == [
            "config",
            "request",
        ]


def test_the_command_writes_private_files_and_needs_every_password(tmp_path: Path) -> None:
    args = ["--central", "hub.example:8883", "--folder", str(tmp_path), "--box", "edge-07"]
    assert main(args, env={}) == 2  # no password for edge-07: nothing written
    assert not (tmp_path / "mosquitto.conf").exists()
    assert main(args, env={"GRIDWALL_SITE_PASSWORD_EDGE_07": "EDGE-07-PASSWORD"}) == 0
    for name in ("mosquitto.conf", "passwd", "acl"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600
    assert "user edge-07" in (tmp_path / "acl").read_text()
    assert (tmp_path / "passwd").read_text().startswith("edge-07:$7$")
