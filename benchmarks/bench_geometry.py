"""Benchmark of design analysis on big binary STLs against two baselines.

Run from the repository root: ``python benchmarks/bench_geometry.py [--quick] [--repeat N]``.
Generates closed tori of about 100 k, 1 M and 3 M triangles once into ``benchmarks/.work/``
(R = 50 mm, a 2 mm tube, so every thickness ray finds the opposite wall), then measures
each size in a fresh child process per measurement:

- ``numpy read``: ``np.fromfile`` of the whole file, the floor for any reader;
- ``trimesh load``: ``trimesh.load(path)`` with its defaults (vertex merge, caches), for
  reference;
- ``full analysis``: ``load_design`` + ``analyze`` with the reference processes, i.e. volume,
  area, bbox, watertightness, bodies, hull, centre of mass, 2048 thickness rays, overhangs in
  six orientations and the per-process report.

Time is measured inside the child around the operation (imports excluded, reported apart);
peak memory is the child's peak RSS (``ru_maxrss``), imports included. Prints a markdown table
and the check of the target (1 M triangles fully analysed in < 2 s and < 1 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
# Sections around the ring and around the tube: about equal-sided triangles (0.06 mm at 1 M).
SIZES = {"100k": (1580, 32), "1M": (5000, 100), "3M": (8660, 173)}
TARGET_SECONDS = 2.0  # for 1 M triangles, full analysis
TARGET_BYTES = 1 << 30


def torus_stl(path: Path, major_sections: int, minor_sections: int) -> None:
    """Write a closed torus (R = 50 mm, r = 1 mm) as binary STL without building a mesh."""
    import numpy as np

    big, small = 50.0, 1.0
    u = np.linspace(0, 2 * np.pi, major_sections, endpoint=False)
    v = np.linspace(0, 2 * np.pi, minor_sections, endpoint=False)
    uu, vv = np.meshgrid(u, v, indexing="ij")
    grid = np.stack(
        [
            (big + small * np.cos(vv)) * np.cos(uu),
            (big + small * np.cos(vv)) * np.sin(uu),
            small * np.sin(vv),
        ],
        axis=-1,
    ).astype(np.float32)
    i = np.arange(major_sections)[:, None]
    j = np.arange(minor_sections)[None, :]
    i1, j1 = (i + 1) % major_sections, (j + 1) % minor_sections
    a, b = grid[i, j], grid[i1, j]
    c, d = grid[i1, j1], grid[i, j1]
    tri = np.concatenate(
        [
            np.stack([a, b, c], axis=2).reshape(-1, 3, 3),
            np.stack([a, c, d], axis=2).reshape(-1, 3, 3),
        ]
    )
    record = np.dtype([("n", "<f4", (3,)), ("v", "<f4", (3, 3)), ("a", "<u2")])
    records = np.zeros(len(tri), dtype=record)
    records["v"] = tri
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as handle:
        handle.write(b"Cloud Factory benchmark torus".ljust(80, b" "))
        handle.write(np.uint32(len(tri)).tobytes())
        records.tofile(handle)
    tmp.rename(path)


def child(mode: str, path: str) -> None:
    """One measurement in this fresh process; prints one JSON line."""
    import resource

    started = time.perf_counter()
    import numpy as np

    if mode == "trimesh":
        import trimesh
    elif mode == "analysis":
        sys.path.insert(0, str(ROOT))
        from marketplace.designs.geometry import Limits, analyze, load_design

    imported = time.perf_counter()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    extra: dict = {}
    if mode == "numpy":
        data = np.fromfile(path, dtype=np.uint8)
        extra["bytes"] = int(data.size)
    elif mode == "trimesh":
        mesh = trimesh.load(path)
        extra["faces"] = len(mesh.faces)
    else:
        design = load_design(path, limits=Limits(max_file_bytes=1 << 30, max_triangles=10**7))
        loaded = time.perf_counter()
        result = analyze(design)
        extra = {
            "faces": result.triangles,
            "load_s": loaded - t0,
            "analyze_s": time.perf_counter() - loaded,
            "watertight": result.watertight,
            "volume_mm3": result.volume_mm3,
            "makeable_by": list(result.manufacturability.makeable_by),
            "thickness_min_mm": result.thickness.min_mm,
        }
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "seconds": seconds,
                "import_s": imported - started,
                "peak_bytes": peak,
                "rss_after_import_bytes": rss_before,
                **extra,
            }
        )
    )


def measure(mode: str, path: Path) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k and 1M only, one run each")
    parser.add_argument("--repeat", type=int, default=3, help="runs per cell (median reported)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    sizes = {k: v for k, v in SIZES.items() if not (args.quick and k == "3M")}
    repeat = 1 if args.quick else max(1, args.repeat)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, {repeat} run(s) per cell")
    print()
    print("| triangles | file MB | numpy read | trimesh load | full analysis (load + analyse) |")
    print("| --- | --- | --- | --- | --- |")
    verdict = None
    for label, (major, minor) in sizes.items():
        path = WORK / f"torus_{label}.stl"
        if not path.exists():
            torus_stl(path, major, minor)
        cells = []
        runs_by_mode = {}
        for mode in ("numpy", "trimesh", "analysis"):
            runs = [measure(mode, path) for _ in range(repeat)]
            runs_by_mode[mode] = runs
            secs = statistics.median(r["seconds"] for r in runs)
            peak = max(r["peak_bytes"] for r in runs)
            cell = f"{secs:.2f} s, {peak / 2**20:.0f} MB"
            if mode == "analysis":
                load = statistics.median(r["load_s"] for r in runs)
                ana = statistics.median(r["analyze_s"] for r in runs)
                cell += f" ({load:.2f} + {ana:.2f} s)"
            cells.append(cell)
        faces = runs_by_mode["analysis"][0]["faces"]
        print(f"| {faces:,} | {path.stat().st_size / 1e6:.0f} | " + " | ".join(cells) + " |")
        if label == "1M":
            runs = runs_by_mode["analysis"]
            secs = statistics.median(r["seconds"] for r in runs)
            peak = max(r["peak_bytes"] for r in runs)
            ok = secs < TARGET_SECONDS and peak < TARGET_BYTES
            verdict = (
                f"Target (1 M triangles fully analysed < {TARGET_SECONDS:.0f} s and < 1 GB): "
                f"{'met' if ok else 'MISSED'} - {secs:.2f} s, {peak / 2**20:.0f} MB peak RSS; "
                f"imports {statistics.median(r['import_s'] for r in runs):.2f} s apart; "
                f"makeable by {', '.join(runs[0]['makeable_by'])}; "
                f"thinnest wall {runs[0]['thickness_min_mm']:.2f} mm."
            )
    print()
    if verdict:
        print(verdict)
    return 0


if __name__ == "__main__":
    started = time.time()
    code = main()
    if "--child" not in sys.argv:
        print(f"(benchmark ran {time.time() - started:.0f} s)")
    sys.exit(code)
