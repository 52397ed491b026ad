"""Checks on a zone's image polygon (0–1 of the frame's width and height). Pure.

A zone drawn by hand can cross itself (a bow-tie), fold back on one of its own edges, repeat
a point or lie outside the frame; any of these makes "is this object inside the zone" mean
something other than what the technician saw, so the box and the hub refuse them. Every
message names the points or edges by their 1-based number in the drawing.
"""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]
EPS = 1e-9


def _orient(a: Point, b: Point, c: Point) -> float:
    """Twice the signed area of abc: > 0 left turn, < 0 right turn, 0 collinear."""
    return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])


def _on_segment(a: Point, b: Point, p: Point) -> bool:
    """p, collinear with ab, lies within ab's bounding box."""
    return (
        min(a[0], b[0]) - EPS <= p[0] <= max(a[0], b[0]) + EPS
        and min(a[1], b[1]) - EPS <= p[1] <= max(a[1], b[1]) + EPS
    )


def segments_meet(a: Point, b: Point, c: Point, d: Point) -> bool:
    """Segments ab and cd share at least one point (crossing, touching or overlapping)."""
    o1, o2, o3, o4 = _orient(a, b, c), _orient(a, b, d), _orient(c, d, a), _orient(c, d, b)
    if ((o1 > EPS and o2 < -EPS) or (o1 < -EPS and o2 > EPS)) and (
        (o3 > EPS and o4 < -EPS) or (o3 < -EPS and o4 > EPS)
    ):
        return True
    return (
        (abs(o1) <= EPS and _on_segment(a, b, c))
        or (abs(o2) <= EPS and _on_segment(a, b, d))
        or (abs(o3) <= EPS and _on_segment(c, d, a))
        or (abs(o4) <= EPS and _on_segment(c, d, b))
    )


def area(points: Sequence[Point]) -> float:
    """The polygon's area (shoelace), whatever its winding."""
    n = len(points)
    return abs(
        sum(
            points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1]
            for i in range(n)
        )
        / 2
    )


def crossings(points: Sequence[Point]) -> list[tuple[int, int]]:
    """Pairs of edges (edge i runs from point i to point i+1, 0-based) that meet anywhere
    other than at the point two neighbouring edges share."""
    n = len(points)
    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]
    out = []
    for i in range(n):
        for j in range(i + 1, n):
            a, b = edges[i]
            c, d = edges[j]
            if j == i + 1 or (i == 0 and j == n - 1):
                # neighbours share one point; they may not fold back along each other
                shared = b if j == i + 1 else a
                far_i = a if j == i + 1 else b
                far_j = d if j == i + 1 else c
                if abs(_orient(far_i, shared, far_j)) <= EPS and (
                    _on_segment(shared, far_i, far_j) or _on_segment(shared, far_j, far_i)
                ):
                    out.append((i, j))
                continue
            if segments_meet(a, b, c, d):
                out.append((i, j))
    return out


def _edge(i: int, n: int) -> str:
    return f"{i + 1}–{(i + 1) % n + 1}"


def zone_problems(points: Sequence[Sequence[float]]) -> list[str]:
    """What is wrong with a zone polygon, in words; empty when it may be used."""
    problems: list[str] = []
    pts: list[Point] = []
    for k, p in enumerate(points, start=1):
        if len(p) != 2:
            problems.append(f"point {k} must be [x, y], got {list(p)}")
            continue
        x, y = float(p[0]), float(p[1])
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            problems.append(f"point {k} ({x:.3f}, {y:.3f}) is outside the frame (x and y run 0..1)")
        pts.append((x, y))
    if problems:
        return problems
    if len(pts) < 3:
        return [f"a zone needs at least 3 points, got {len(pts)}"]
    for k in range(len(pts)):
        nxt = (k + 1) % len(pts)
        if abs(pts[k][0] - pts[nxt][0]) <= EPS and abs(pts[k][1] - pts[nxt][1]) <= EPS:
            problems.append(f"points {k + 1} and {nxt + 1} are the same point")
    if problems:
        return problems
    n = len(pts)
    for i, j in crossings(pts):
        neighbours = j == i + 1 or (i == 0 and j == n - 1)
        how = "folds back along" if neighbours else "crosses"
        problems.append(f"edge {_edge(i, n)} {how} edge {_edge(j, n)}: the polygon crosses itself")
    if not problems and area(pts) <= 1e-6:
        problems.append("the polygon has no area (its points lie on one line)")
    return problems
