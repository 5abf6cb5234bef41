"""Upload limits, passed in rather than read from settings so the core stays Django-free."""

from __future__ import annotations

from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one uploaded design may cost us before we refuse it."""

    max_file_bytes: int = 100 * MB
    max_triangles: int = 5_000_000
    # 3MF is a zip: bound what it may expand to before any parser sees it.
    max_archive_uncompressed_bytes: int = 500 * MB
    max_archive_entries: int = 1000
    max_compression_ratio: float = 100.0  # uncompressed / compressed
    ratio_check_min_bytes: int = 1 * MB  # small entries may compress well and harm nobody
    # Isolated worker (see isolation.py).
    max_memory_bytes: int = 3 * 1024 * MB  # address space, not RSS
    max_seconds: float = 60.0


DEFAULT_LIMITS = Limits()
