"""The Raspberry Pi install script's logic, run against a temp root with ``--dry-run``."""

from __future__ import annotations

import configparser
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "docker" / "pi" / "install.sh"
STEPS = [
    "==> platform",
    "==> packages",
    "==> user",
    "==> folders",
    "==> venv and package",
    "==> model",
    "==> enrol",
    "==> systemd unit",
]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=30, check=False
    )


def test_dry_run_plans_every_step_and_writes_the_unit(tmp_path: Path) -> None:
    out = run(
        "--hub", "https://hub.example", "--token", "gwe_abc", "--root", str(tmp_path), "--dry-run"
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    positions = [lines.index(s) for s in STEPS]
    assert positions == sorted(positions), "steps out of order"
    commands = [x for x in lines if x.startswith("+ ")]
    assert any("apt-get install" in c and "python3-venv" in c for c in commands)
    enrol = next(c for c in commands if " -m edge enrol " in c)
    assert "--hub https://hub.example --token gwe_abc" in enrol
    assert f"--dir {tmp_path}/etc/gridwall" in enrol
    assert commands[-1] == "+ systemctl enable --now gridwall-edge.service"
    unit = tmp_path / "etc/systemd/system/gridwall-edge.service"
    text = unit.read_text()
    assert "@" not in text.replace("network-online", "")
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read_string(text)
    assert parser["Service"]["ExecStart"] == (
        "/opt/gridwall/.venv/bin/python -m edge supervise --config /etc/gridwall/edge.yaml"
    )
    assert parser["Service"]["EnvironmentFile"] == "/etc/gridwall/credentials.env"
    assert parser["Service"]["User"] == "gridwall"
    assert parser["Install"]["WantedBy"] == "multi-user.target"
    assert (tmp_path / "var/lib/gridwall/models").is_dir()
    assert oct((tmp_path / "etc/gridwall").stat().st_mode & 0o777) == "0o750"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--hub URL is required"),
        (["--hub", "hub.example", "--token", "gwe_x"], "--hub 'hub.example' must start with http"),
        (["--hub", "https://h"], "--token is required"),
        (["--hub", "https://h", "--token", "abc"], "--token 'abc' is not an enrolment token"),
        (["--hub", "https://h", "--token", "gwe_x", "--bogus"], "unknown option '--bogus'"),
        (
            ["--hub", "https://h", "--token", "gwe_x", "--source", "/nonexistent"],
            "is not a Gridwall source tree",
        ),
    ],
)
def test_bad_arguments_are_named(args: list[str], message: str) -> None:
    out = run(*args, "--dry-run")
    assert out.returncode == 2 and message in out.stderr, out.stderr
