"""Benchmark of the isolated design analysis: the first upload after a start, and the next ones.

Run from the repository root: ``python benchmarks/bench_analysis.py [--repeat N] [FILE]``
(the default file is the 13 KB ``20mm-xyz-cube.stl`` of tests/data/meshes). Each run is
``analyze_path_isolated`` as an upload calls it: analysis, thumbnail and preview, in a child
with the default memory and time limits. Measures, in this process:

- ``cold``: no warm parent yet: start one (imports numpy, SciPy, trimesh and matplotlib and
  warms them up), then analyse in its first child. What an analysis cost on every upload
  before the pool, and what the first upload after a restart costs without prewarming;
- ``warm``: the same call once a parent is warm: fork a child, set its limits, analyse.

Cold is the median of ``--cold`` runs (the pool emptied before each), warm the median of
``--repeat`` runs. No Django: the geometry core alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketplace.designs.geometry import pool  # noqa: E402
from marketplace.designs.geometry.isolation import analyze_path_isolated  # noqa: E402

DEFAULT_FILE = ROOT / "tests" / "data" / "meshes" / "20mm-xyz-cube.stl"


def one_upload(path: Path, workdir: Path) -> float:
    """Seconds for one isolated analysis with thumbnail and preview, as an upload runs it."""
    started = time.perf_counter()
    analyze_path_isolated(
        path, thumbnail_to=workdir / "thumb.png", preview_to=workdir / "preview.stl"
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--cold", type=int, default=3, help="cold runs (default 3)")
    parser.add_argument("--repeat", type=int, default=10, help="warm runs (default 10)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        cold = []
        for _ in range(args.cold):
            pool.shutdown()
            cold.append(one_upload(args.file, workdir))
        warm = [one_upload(args.file, workdir) for _ in range(args.repeat)]
    pool.shutdown()

    size_kb = args.file.stat().st_size / 1024
    print(f"Isolated analysis of {args.file.name} ({size_kb:.0f} KB), thumbnail and preview:\n")
    print("| run | median s | min s | max s | runs |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, times in (("cold (parent started)", cold), ("warm (parent ready)", warm)):
        print(
            f"| {name} | {statistics.median(times):.3f} | {min(times):.3f} "
            f"| {max(times):.3f} | {len(times)} |"
        )
    print(f"\ncold / warm: {statistics.median(cold) / statistics.median(warm):.1f}x")


if __name__ == "__main__":
    main()
