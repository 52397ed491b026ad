"""The real street photos (`shared/data/street`) under the detector's classes.

The source names three classes; the detector keeps two of them and learns bins as background:

| source class   | detector class | why |
|----------------|----------------|-----|
| `garbage`      | `waste`        | garbage piled or dumped on the ground: exposed garbage (06010) |
| `overflow`     | `overflow`     | a bin overflowing: the bin-overflow scene (06902, a local code) |
| `garbage_bin`  | (none)         | a bin alone is no problem: the hard negative a street camera sees all day |

Images are hard-linked (copied where a link cannot be made) into a folder of their own, label
files rewritten under the detector's ids beside them, and the source labels linked as
`source-labels/` so evaluation can tell bin-only photos from clean ones. The images folder must
not be a symlink to the shared one: Ultralytics resolves image paths before it derives their
label paths, and would read the source labels (source ids) instead of the rewritten ones.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SOURCE_NAMES: tuple[str, ...] = ("garbage", "garbage_bin", "overflow")
# source class name -> detector class name (absent: not a detector class)
TO_DETECTOR: dict[str, str] = {"garbage": "waste", "overflow": "overflow"}


def remap_rows(text: str, class_names: tuple[str, ...]) -> list[str]:
    """A source label file's rows under the detector's class ids (bins dropped).

    Rows with an unknown class id or fewer than five fields raise: a silent drop would
    teach the detector that a labelled pile is background.
    """
    out: list[str] = []
    for n, row in enumerate(text.splitlines(), 1):
        parts = row.split()
        if not parts:
            continue
        if len(parts) < 5:
            raise ValueError(f"line {n}: expected 'class cx cy w h', got {row!r}")
        src = int(parts[0])
        if not 0 <= src < len(SOURCE_NAMES):
            raise ValueError(f"line {n}: class {src} is not one of {SOURCE_NAMES}")
        target = TO_DETECTOR.get(SOURCE_NAMES[src])
        if target is None:
            continue
        out.append(" ".join([str(class_names.index(target)), *parts[1:5]]))
    return out


def source_classes(text: str) -> set[str]:
    """The source class names a label file holds."""
    return {SOURCE_NAMES[int(r.split()[0])] for r in text.splitlines() if r.strip()}


def scene_kind(source: set[str]) -> str:
    """What a street photo shows, for image-level figures: `garbage` (a pile on the ground),
    `overflow` (an overflowing bin, no pile), `bins` (bins only) or `clean` (no box)."""
    if "garbage" in source:
        return "garbage"
    if "overflow" in source:
        return "overflow"
    if "garbage_bin" in source:
        return "bins"
    return "clean"


def link_street(data_dir: Path, shared: Path, class_names: tuple[str, ...]) -> dict[str, int]:
    """`street/images/<split>` -> the shared photos, `street/labels/<split>` rewritten.

    Returns the number of photos per split.
    """
    counts: dict[str, int] = {}
    for split in ("train", "val"):
        images = data_dir / "street" / "images" / split
        if images.is_symlink():
            images.unlink()
        shutil.rmtree(images, ignore_errors=True)
        images.mkdir(parents=True)
        for src in sorted((shared / "images" / split).iterdir()):
            try:
                os.link(src, images / src.name)
            except OSError:  # another file system, or links refused: a copy
                shutil.copyfile(src, images / src.name)
        source = data_dir / "street" / "source-labels" / split
        source.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink() or source.exists():
            source.unlink()
        source.symlink_to((shared / "labels" / split).resolve(), target_is_directory=True)
        labels = data_dir / "street" / "labels" / split
        labels.mkdir(parents=True, exist_ok=True)
        for old in labels.glob("*.txt"):
            old.unlink()
        n = 0
        for src in sorted((shared / "labels" / split).glob("*.txt")):
            try:
                rows = remap_rows(src.read_text(), class_names)
            except ValueError as exc:
                raise ValueError(f"{src}: {exc}") from None
            (labels / src.name).write_text("\n".join(rows) + ("\n" if rows else ""))
            n += 1
        counts[split] = n
    return counts
