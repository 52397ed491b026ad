"""Box health for the stats message: CPU, temperature, memory, disk. I/O at the edge."""

from __future__ import annotations

import shutil
from pathlib import Path

import psutil

THERMAL = Path("/sys/class/thermal")


def cpu_temp_c() -> float | None:
    """The hottest CPU/SoC sensor the board exposes, or None where there is none."""
    readings: list[float] = []
    try:
        for entries in psutil.sensors_temperatures().values():
            readings += [e.current for e in entries if e.current is not None]
    except (AttributeError, OSError):
        pass
    if not readings and THERMAL.is_dir():
        for zone in THERMAL.glob("thermal_zone*/temp"):
            try:
                readings.append(int(zone.read_text().strip()) / 1000.0)
            except (OSError, ValueError):
                continue
    valid = [r for r in readings if -60 <= r <= 200]
    return max(valid) if valid else None


def cpu_percent() -> float:
    """System CPU % since the previous call (0–100 per core summed into one figure)."""
    return float(psutil.cpu_percent(interval=None))


def mem_used_bytes() -> int:
    vm = psutil.virtual_memory()
    return int(vm.total - vm.available)


def disk_free_bytes(path: Path) -> int:
    probe = path if path.exists() else path.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return int(shutil.disk_usage(probe).free)


def rss_bytes() -> int:
    return int(psutil.Process().memory_info().rss)
