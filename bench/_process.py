"""What a benchmark process reads of itself (bench/run.py and bench/events.py share it)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["rss_bytes"]


def rss_bytes() -> int:
    """Resident memory of this process (Linux /proc; 0 where unavailable)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")
