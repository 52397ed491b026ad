"""Generate the sample district's geometry, communities, roster and cameras.

The county "云溪县" (code 339901) is fictional. Run from the repository root:

    python configs/tools/make_district.py

It rewrites ``configs/district/{grids.geojson,district.yaml,roster.yaml,cameras.yaml}``
deterministically (fixed seed); the hand-written files (categories, SLA, calendar,
escalation) are not touched.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import yaml

OUT = Path(__file__).resolve().parents[1] / "district"
COUNTY = "339901"
LON0, LAT0 = 120.300, 30.100  # south-west corner
DLON, DLAT = 0.0040, 0.0035  # one basic grid is about 385 m x 390 m
COLS, ROWS = 16, 10
STREETS = [  # (name_zh, name_en)
    ("城关街道", "Chengguan Subdistrict"),
    ("云溪镇", "Yunxi Town"),
    ("白沙镇", "Baisha Town"),
    ("青石乡", "Qingshi Township"),
]
ROW_BANDS = [(0, 3), (3, 5), (5, 8), (8, 10)]  # rows of each community band
COMMUNITY_NAMES = [
    "东门社区",
    "南塘社区",
    "西湖社区",
    "北园社区",
    "溪口村",
    "上坞村",
    "桥头村",
    "新市社区",
    "白沙社区",
    "沙洲村",
    "龙潭村",
    "前山村",
    "青石村",
    "石门村",
    "竹园村",
    "梅岭村",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文俊辉斌凤晶海波鹏飞宇浩然子轩梓涵欣怡一诺"


def _vertices(rng: random.Random) -> list[list[tuple[float, float]]]:
    """A lattice whose inner vertices are jittered: shared edges, so cells never overlap."""
    grid = []
    for r in range(ROWS + 1):
        row = []
        for c in range(COLS + 1):
            jx = rng.uniform(-0.22, 0.22) if 0 < c < COLS else 0.0
            jy = rng.uniform(-0.22, 0.22) if 0 < r < ROWS else 0.0
            row.append((round(LON0 + (c + jx) * DLON, 6), round(LAT0 + (r + jy) * DLAT, 6)))
        grid.append(row)
    return grid


class _Dumper(yaml.SafeDumper):
    """Quotes every all-digit string, so codes such as 06901 never read as numbers."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "'" if value.isdigit() else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _dump(data: object, **kw: object) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, **kw)  # type: ignore[call-overload,no-any-return]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("3589") + "".join(str(rng.randrange(10)) for _ in range(9))


def main() -> None:
    rng = random.Random(20261123)
    verts = _vertices(rng)
    features: list[dict[str, Any]] = []
    streets_out = []
    communities_out = []
    cell_of: dict[tuple[int, int], str] = {}
    for s, (s_zh, s_en) in enumerate(STREETS):
        street_code = f"{COUNTY}{s + 1:03d}"
        streets_out.append({"code": street_code, "name_zh": s_zh, "name_en": s_en})
        for b, (r0, r1) in enumerate(ROW_BANDS):
            community_code = f"{street_code}{b + 1:03d}"
            communities_out.append({"code": community_code, "name_zh": COMMUNITY_NAMES[s * 4 + b]})
            n = 0
            for r in range(r0, r1):
                for c in range(s * 4, s * 4 + 4):
                    n += 1
                    code = f"{community_code}{n:03d}"
                    cell_of[(r, c)] = code
                    ring = [
                        verts[r][c],
                        verts[r][c + 1],
                        verts[r + 1][c + 1],
                        verts[r + 1][c],
                        verts[r][c],
                    ]
                    features.append(
                        {
                            "type": "Feature",
                            "properties": {
                                "code": code,
                                "name_zh": f"{COMMUNITY_NAMES[s * 4 + b]}第{n}网格",
                                "kind": "basic",
                            },
                            "geometry": {
                                "type": "Polygon",
                                "coordinates": [[list(p) for p in ring]],
                            },
                        }
                    )
    # Two professional grids, each inside one basic grid (shrunk towards its centre).
    pro = [
        ((2, 5), "云溪镇安置房工地专属网格", "construction_site"),
        ((6, 10), "白沙镇农贸市场专属网格", "market"),
    ]
    for (r, c), name, use in pro:
        parent = cell_of[(r, c)]
        quad = [verts[r][c], verts[r][c + 1], verts[r + 1][c + 1], verts[r + 1][c]]
        cx = sum(p[0] for p in quad) / 4
        cy = sum(p[1] for p in quad) / 4
        ring = [(round(cx + (x - cx) * 0.45, 6), round(cy + (y - cy) * 0.45, 6)) for x, y in quad]
        ring.append(ring[0])
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": f"{parent[:12]}9{len([f for f in features if f['properties']['kind'] == 'professional']) + 1:02d}",
                    "name_zh": name,
                    "kind": "professional",
                    "use": use,
                    "parent_code": parent,
                },
                "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
            }
        )
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "grids.geojson").write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1
        )
        + "\n",
        encoding="utf-8",
    )
    header = "# Generated by configs/tools/make_district.py (fictional county). Edit by hand or regenerate.\n"
    district = {
        "county": {"code": COUNTY, "name_zh": "云溪县", "name_en": "Yunxi County (fictional)"},
        "streets": streets_out,
        "communities": communities_out,
    }
    (OUT / "district.yaml").write_text(
        header
        + "# Administrative tree: county (6 digits) -> street/town (+3) -> community/village (+3).\n"
        + "# Grid cells (+3 = 15 digits) and their polygons are in grids.geojson.\n"
        + _dump(district),
        encoding="utf-8",
    )
    people = []
    for f in features:
        p = f["properties"]
        if p["kind"] != "basic":
            people.append(
                {
                    "person_id": f"p-{p['code']}-m",
                    "name": _name(rng),
                    "role": "grid_member",
                    "grid_code": p["code"],
                    "phone": _phone(rng),
                }
            )
            continue
        for role, tag in (("grid_member", "m"), ("grid_leader", "l")):
            people.append(
                {
                    "person_id": f"p-{p['code']}-{tag}",
                    "name": _name(rng),
                    "role": role,
                    "grid_code": p["code"],
                    "phone": _phone(rng),
                }
            )
    for com in communities_out:
        people.append(
            {
                "person_id": f"p-{com['code']}-duty",
                "name": _name(rng),
                "role": "community_duty",
                "community_code": com["code"],
                "phone": _phone(rng),
            }
        )
    for st in streets_out:
        people.append(
            {
                "person_id": f"p-{st['code']}-cmd",
                "name": f"{st['name_zh']}指挥室值班",
                "role": "street_command",
                "street_code": st["code"],
                "phone": _phone(rng),
            }
        )
        teams = [
            ("law", "综合执法中队", ["06010", "06036", "06902", "08006"]),
            ("build", "住建监管组", ["08004", "08006"]),
            ("gas", "燃气安全执法组", ["06901"]),
        ]
        for tag, team, cats in teams:
            people.append(
                {
                    "person_id": f"p-{st['code']}-{tag}",
                    "name": f"{st['name_zh']}{team}",
                    "role": "enforcement",
                    "street_code": st["code"],
                    "categories": cats,
                    "phone": _phone(rng),
                }
            )
    (OUT / "roster.yaml").write_text(
        header
        + "# Who answers for what. Roles: grid_member and grid_leader (per grid), community_duty\n"
        + "# (per community), street_command (per street command room), enforcement (per street,\n"
        + "# by category). Phones are fictional.\n"
        + _dump({"people": people}),
        encoding="utf-8",
    )
    cameras = []
    sites = {(2, 5), (6, 10)}
    picks = [
        (1, 1),
        (4, 2),
        (7, 1),
        (9, 3),
        (2, 5),
        (5, 6),
        (8, 4),
        (0, 6),
        (3, 7),
        (6, 10),
        (9, 9),
        (1, 11),
        (4, 8),
        (7, 9),
        (2, 13),
        (5, 14),
        (8, 12),
        (0, 15),
        (3, 12),
        (6, 13),
        (9, 15),
        (1, 3),
        (4, 10),
        (7, 14),
    ]
    for i, (r, c) in enumerate(picks):
        box = f"edge-{c // 4 + 1:02d}"
        quad = [verts[r][c], verts[r][c + 1], verts[r + 1][c + 1], verts[r + 1][c]]
        cx = sum(p[0] for p in quad) / 4
        cy = sum(p[1] for p in quad) / 4
        site = (r, c) in sites
        # Every third camera stands near its cell's west edge and looks across into the
        # next cell: its zone target lies in another grid than its pole.
        across = i % 3 == 0 and c + 1 < COLS and (c + 1) // 4 == c // 4
        mount = (round(cx - 0.3 * DLON, 6) if across else round(cx - 0.15 * DLON, 6), round(cy, 6))
        target = (
            round(cx + 0.75 * DLON, 6) if across else round(cx + 0.1 * DLON, 6),
            round(cy + 0.05 * DLAT, 6),
        )
        cats = ["08004", "08006"] if site else ["06010", "06036", "06901", "06902"]
        cameras.append(
            {
                "camera_id": f"cam-{i + 1:02d}",
                "name": ("工地" if site else "路口") + f"{i + 1:02d}",
                "box_id": box,
                "mount": {"lon": mount[0], "lat": mount[1]},
                "stream": {
                    "main": {
                        "kind": "synthetic",
                        "preset": "construction_site" if site else "street_corner",
                        "seed": i + 1,
                    },
                    "resolution_wh": [640, 360],
                    "fps": 5,
                    "detect_resolution_wh": [640, 360],
                    "detect_fps": 2,
                },
                "zones": [
                    {
                        "zone_id": "ground",
                        "name": "施工区地面" if site else "人行道",
                        "polygon_norm": [[0.02, 0.42], [0.98, 0.42], [0.98, 0.99], [0.02, 0.99]],
                        "categories": cats,
                        "target": {"lon": target[0], "lat": target[1]},
                    }
                ],
            }
        )
    (OUT / "cameras.yaml").write_text(
        header
        + "# Cameras: where each is mounted, which edge box reads it, its streams, and per zone\n"
        + "# the image polygon (0-1 of width/height), the categories it may raise and the map\n"
        + "# point it looks at (the alarm's grid comes from this target, not from the mount).\n"
        + _dump({"cameras": cameras}, default_flow_style=None, width=120),
        encoding="utf-8",
    )
    print(
        f"{len(features)} grids, {len(communities_out)} communities, {len(people)} people, {len(cameras)} cameras"
    )


if __name__ == "__main__":
    main()
