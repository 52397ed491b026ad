"""The hub's instance name: a pinned client id as given, a configured instance once per host,
else the lowest number free on this host for the same broker, group and prefix; a number is
free again as soon as its holder lets go (a process's locks go when it ends)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.services.instance import InstanceTaken, claim, host_name
from hub.settings import HubMqtt


def test_instance_names(tmp_path: Path) -> None:
    host = host_name()
    assert claim(HubMqtt(client_id="pinned-1"), tmp_path).name == "pinned-1"
    a, b = claim(HubMqtt(), tmp_path), claim(HubMqtt(), tmp_path)
    assert (a.name, b.name) == (f"hub-{host}-0", f"hub-{host}-1")
    other_group = claim(HubMqtt(shared_group="other"), tmp_path)
    assert other_group.name == f"hub-{host}-0"  # numbers count per broker, group and prefix
    a.release()
    again = claim(HubMqtt(), tmp_path)
    assert again.name == f"hub-{host}-0"  # the number let go is taken back
    named = claim(HubMqtt(instance="east"), tmp_path)
    assert named.name == "hub-east"
    with pytest.raises(InstanceTaken, match="'east' already runs on this host"):
        claim(HubMqtt(instance="east"), tmp_path)
    for i in (b, other_group, again, named):
        i.release()
