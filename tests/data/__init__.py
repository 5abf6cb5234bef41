"""The public data the suite and the benchmarks read, kept inside the repository."""

from pathlib import Path

DATA = Path(__file__).resolve().parent
FJSP = DATA / "fjsp"
MESHES = DATA / "meshes"
