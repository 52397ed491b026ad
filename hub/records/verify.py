"""Check an evidence bundle offline: ``python -m hub.records.verify BUNDLE [--public-key FILE]``.

Needs only the bundle folder and the hub's public key (no Redis, no PostgreSQL): the
signature over ``manifest.json`` and every listed file's SHA-256. Exit 0 when it verifies,
1 naming each thing that failed, 2 for a bundle or key that cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hub.records.bundle import MANIFEST, PUBLIC_KEY, SIGNATURE, check_bundle, safe_path
from hub.records.signing import SigningKeyError, fingerprint, load_public


def verify(bundle: Path, public_key: Path | None = None) -> list[str]:
    """Problems with the bundle at ``bundle`` (empty when it verifies)."""
    key_file = public_key or bundle / PUBLIC_KEY
    key = load_public(key_file.read_bytes(), str(key_file))

    def read(path: str) -> bytes | None:
        f = bundle / path
        return f.read_bytes() if safe_path(path) and f.is_file() else None

    present = [p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()]
    return check_bundle(
        (bundle / MANIFEST).read_bytes(), (bundle / SIGNATURE).read_bytes(), key, read, present
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hub.records.verify", description="verify a Gridwall evidence bundle"
    )
    parser.add_argument("bundle", type=Path)
    parser.add_argument(
        "--public-key",
        type=Path,
        help=f"the hub's public key as handed to you (default: the bundle's own {PUBLIC_KEY}, "
        "which proves the files are unchanged but not who signed them: compare its fingerprint)",
    )
    args = parser.parse_args(argv)
    key_file = args.public_key or args.bundle / PUBLIC_KEY
    try:
        problems = verify(args.bundle, args.public_key)
        key = load_public(key_file.read_bytes(), str(key_file))
    except (OSError, SigningKeyError) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 2
    if problems:
        for p in problems:
            print(f"FAILED: {p}", file=sys.stderr)
        return 1
    print(f"OK: {args.bundle}: signature and every file's SHA-256 match")
    print(f"signed by key {fingerprint(key)} ({key_file})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
