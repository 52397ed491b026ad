"""Pure: what an evidence bundle holds and how it is checked.

A bundle is a folder: ``timeline.json`` (the case's events), ``media/`` (its snapshots,
photos and verification frames), ``case-qr.svg``, ``manifest.json`` (every file with its
SHA-256 and size) and ``manifest.sig`` (an Ed25519 signature over the manifest's exact bytes,
base64). Nothing here reads or writes files: callers hand bytes in.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT = "gridwall-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "public-key.pem"
UNSIGNED = frozenset({MANIFEST, SIGNATURE, PUBLIC_KEY})
SNAPSHOT_KEYS = ("snapshot_id", "reference_snapshot_id", "boxes_snapshot_id")
DAY_MS = 86_400_000


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def evidence_ids(docs: Iterable[Any]) -> tuple[list[str], list[str]]:
    """Snapshot ids and media ids named anywhere in ``docs`` (events, case facts, alarms):
    values of ``snapshot_id``, ``reference_snapshot_id``, ``boxes_snapshot_id``,
    ``media_id`` and the items of ``media`` lists. Sorted, each once."""
    snaps: set[str] = set()
    media: set[str] = set()

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                if k in SNAPSHOT_KEYS and isinstance(v, str) and v:
                    snaps.add(v)
                elif k == "media_id" and isinstance(v, str) and v:
                    media.add(v)
                elif k == "media" and isinstance(v, list):
                    media.update(m for m in v if isinstance(m, str) and m)
                else:
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    for d in docs:
        walk(d)
    return sorted(snaps), sorted(media)


def retention_days(category: str | None, default_days: int, by_category: Mapping[str, int]) -> int:
    return by_category.get(category or "", default_days)


def retention_problems(by_category: Mapping[str, int], known: Iterable[str]) -> list[str]:
    return [
        f"records.retention_days_by_category: {code!r} is not in categories.yaml"
        for code in sorted(set(by_category) - set(known))
    ]


def make_manifest(
    case_no: str,
    files: Mapping[str, bytes],
    created_ms: int,
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """The manifest's bytes: the case, when, and each file's path, size and SHA-256."""
    bad = [p for p in files if not safe_path(p) or p in UNSIGNED]
    if bad:
        raise ValueError(f"file names not allowed in a bundle: {bad}")
    doc = {
        "format": FORMAT,
        "case_no": case_no,
        "created_ms": created_ms,
        **(extra or {}),
        "files": [
            {"path": p, "bytes": len(files[p]), "sha256": sha256(files[p])} for p in sorted(files)
        ],
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def safe_path(p: str) -> bool:
    parts = p.split("/")
    return bool(p) and not p.startswith("/") and all(x not in ("", ".", "..") for x in parts)


def encode_signature(sig: bytes) -> bytes:
    return base64.b64encode(sig) + b"\n"


def check_bundle(
    manifest: bytes,
    signature: bytes,
    public_key: Ed25519PublicKey,
    read: Callable[[str], bytes | None],
    present: Iterable[str],
) -> list[str]:
    """Problems with a bundle, each naming what failed; empty when it verifies.

    ``read(path)`` gives a listed file's bytes (None if it is missing); ``present`` is every
    file in the folder, so a file added after signing is named too."""
    try:
        public_key.verify(base64.b64decode(signature.strip(), validate=True), manifest)
    except (InvalidSignature, binascii.Error, ValueError):
        return [
            f"{MANIFEST}: the signature does not match (the manifest or {SIGNATURE} was "
            "altered, or the bundle was signed with another key)"
        ]
    try:
        doc = json.loads(manifest)
        listed = {str(f["path"]): f for f in doc["files"]}
    except (ValueError, KeyError, TypeError) as exc:
        return [f"{MANIFEST}: signed but unreadable ({exc})"]
    if doc.get("format") != FORMAT:
        return [f"{MANIFEST}: format {doc.get('format')!r}, this checker reads {FORMAT}"]
    problems = []
    for path, f in sorted(listed.items()):
        if not safe_path(path):
            problems.append(f"{path}: not a path inside the bundle")
            continue
        data = read(path)
        if data is None:
            problems.append(f"{path}: missing")
        elif sha256(data) != f["sha256"] or len(data) != f["bytes"]:
            problems.append(f"{path}: SHA-256 differs from the manifest (the file was altered)")
    for path in sorted(set(present) - set(listed) - UNSIGNED):
        problems.append(f"{path}: not in the manifest (added after signing)")
    return problems
