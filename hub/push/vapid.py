"""``python -m hub.push.vapid PATH``: make the hub's VAPID key (P-256, PEM, mode 0600) once.

Prints the public key (the ``applicationServerKey`` browsers subscribe with). Refuses to
overwrite an existing key: every browser subscription is bound to it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hub.push.webpush import VapidKey


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.push.vapid", description=__doc__)
    parser.add_argument("path", type=Path)
    parser.add_argument("--subject", default="mailto:ops@example.org")
    args = parser.parse_args(argv)
    if args.path.exists():
        key = VapidKey.load(args.path, args.subject)
        print(f"{args.path} exists; public key {key.public_b64}")
        return 0
    key = VapidKey.generate(args.subject)
    key.save(args.path)
    print(f"wrote {args.path}; public key {key.public_b64}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
