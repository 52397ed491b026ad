"""Headless Debian Chromium for the browser tests: where it is and the flags every suite uses.

The system browser only (``scripts/services --browser`` installs it); never ``playwright
install``. The flags keep it off the network, which this machine does not have.
"""

from __future__ import annotations

import shutil

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BASE_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
