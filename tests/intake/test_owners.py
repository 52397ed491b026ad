"""Table tests: category → platform → department, hand-overs, and the district's checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from contracts.config_problems import ConfigError
from hub.district import load_district
from hub.domain.owners import Owner, OwnerError, OwnerTable, hand_over

REPO = Path(__file__).resolve().parents[2]
TABLE = OwnerTable(
    {"06010": "综合行政执法局", "08004": "住房和城乡建设局", "06901": "应急管理局", "07001": "无"},
    {
        "enforcement-bureau": ("综合行政执法局", "enforcement"),
        "housing-construction": ("住房和城乡建设局", "enforcement"),
        "emergency-gas": ("应急管理局", "governance"),
        "service-centre": ("便民服务中心", "services"),
    },
)


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("06010", Owner("enforcement", "enforcement-bureau")),
        ("08004", Owner("enforcement", "housing-construction")),
        ("06901", Owner("governance", "emergency-gas")),
        ("99999", "unknown category '99999'"),
        ("07001", "names department '无', which is not listed"),
    ],
)
def test_owner_of(category: str, expected: Owner | str) -> None:
    if isinstance(expected, str):
        with pytest.raises(OwnerError, match=expected):
            TABLE.owner_of(category)
    else:
        assert TABLE.owner_of(category) == expected


@pytest.mark.parametrize(
    ("current", "first", "target", "reason", "expected"),
    [
        (
            "enforcement-bureau",
            "enforcement-bureau",
            "service-centre",
            "a bin, not a dump",
            ("enforcement-bureau", "service-centre", "services", "enforcement-bureau"),
        ),
        # handed on again: still counted against the first owner
        (
            "service-centre",
            "enforcement-bureau",
            "emergency-gas",
            "gas bottles found",
            ("service-centre", "emergency-gas", "governance", "enforcement-bureau"),
        ),
        (
            "enforcement-bureau",
            "",
            "service-centre",
            "x",
            ("enforcement-bureau", "service-centre", "services", "enforcement-bureau"),
        ),
        ("enforcement-bureau", "enforcement-bureau", "service-centre", "  ", "needs a reason"),
        ("enforcement-bureau", "enforcement-bureau", "service-centre", None, "needs a reason"),
        (
            "enforcement-bureau",
            "enforcement-bureau",
            "nowhere",
            "x",
            "unknown department 'nowhere'",
        ),
        ("enforcement-bureau", "enforcement-bureau", "enforcement-bureau", "x", "already with"),
    ],
)
def test_hand_over(
    current: str, first: str, target: str, reason: str | None, expected: tuple[str, ...] | str
) -> None:
    if isinstance(expected, str):
        with pytest.raises(OwnerError, match=expected):
            hand_over(TABLE, current, first, target, reason)
    else:
        h = hand_over(TABLE, current, first, target, reason)
        assert (h.from_department, h.to_department, h.to_platform, h.rework_against) == expected


def test_sample_district_puts_every_category_on_a_platform() -> None:
    d = load_district(REPO / "configs" / "district")
    table = OwnerTable(
        {c.code: c.department for c in d.categories.values()},
        {x.id: (x.name_zh, x.platform) for x in d.departments.departments},
    )
    owners = {code: table.owner_of(code) for code in d.categories}
    assert owners["06901"] == Owner("governance", "emergency-gas")
    assert {o.platform for o in owners.values()} <= {p.id for p in d.departments.platforms}
    assert len(d.departments.platforms) == 4


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("name_zh: 住房和城乡建设局", "name_zh: 住建局", "no department of that name"),
        ("platform: services", "platform: tourism", "is on platform 'tourism'"),
        ("id: service-centre", "id: emergency-gas", "department id 'emergency-gas' appears twice"),
    ],
)
def test_broken_departments_file(tmp_path: Path, old: str, new: str, expected: str) -> None:
    root = tmp_path / "district"
    shutil.copytree(REPO / "configs" / "district", root)
    path = root / "departments.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError, match=expected):
        load_district(root)
