"""STEP files in and out through OpenCASCADE's STEP translator.

OpenCASCADE converts every length to millimetres while it reads (its default
`xstep.cascade.unit`), whatever the file declares; the declared unit is read from the file's
own LENGTH_UNIT entities so the analysis can say what the file was drawn in.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from OCP.IFSelect import IFSelect_RetDone
from OCP.Interface import Interface_Static
from OCP.STEPControl import STEPControl_AsIs, STEPControl_Reader, STEPControl_Writer
from OCP.TopoDS import TopoDS_Shape

from .brep import BrepFacts, facts, tessellate


class StepReadError(Exception):
    """The translator could not make a shape of the file."""


# Length units as STEP writes them (an SI prefix on METRE, or a named conversion), to ours.
_ENTITY = re.compile(rb"#(\d+)\s*=\s*(.*?);\s*(?=#\d+\s*=|ENDSEC)", re.S)
_CONTEXT_UNITS = re.compile(rb"GLOBAL_UNIT_ASSIGNED_CONTEXT\s*\(\s*\(([^)]*)\)")
_SI_LENGTH = re.compile(rb"SI_UNIT\s*\(\s*(?:\.(\w+)\.|\$)\s*,\s*\.METRE\.\s*\)")
_NAMED_LENGTH = re.compile(rb"CONVERSION_BASED_UNIT\s*\(\s*'([^']+)'")
_SI_PREFIX = {None: "m", b"MILLI": "mm", b"CENTI": "cm"}
_NAMED = {b"INCH": "inch", b"MILLIMETRE": "mm", b"METRE": "m", b"CENTIMETRE": "cm"}


@dataclass(frozen=True)
class StepPart:
    """A STEP file read: its shape (mm), exact facts, triangle corners (n, 3, 3) in mm."""

    shape: TopoDS_Shape
    facts: BrepFacts
    corners: object  # numpy array; typed loosely to keep numpy out of the signature
    unit: str  # the length unit the file declares (information: the shape is in mm already)


def declared_unit(data: bytes) -> str:
    """The length unit of the file's geometric contexts (the most used; mm if none is known).

    A file may declare metres and inches both (a unit nobody uses beside the one its shapes
    are measured in), so only the units that a representation context assigns count.
    """
    entities = {int(m.group(1)): m.group(2) for m in _ENTITY.finditer(data)}
    votes: Counter[str] = Counter()
    for context in _CONTEXT_UNITS.finditer(data):
        for ref in re.findall(rb"#(\d+)", context.group(1)):
            text = entities.get(int(ref), b"")
            if b"LENGTH_UNIT" not in text:
                continue
            named = _NAMED_LENGTH.search(text)
            si = _SI_LENGTH.search(text)
            if named:
                votes[_NAMED.get(named.group(1).strip().upper(), "mm")] += 1
            elif si:
                votes[_SI_PREFIX.get(si.group(1), "mm")] += 1
    return votes.most_common(1)[0][0] if votes else "mm"


def read_shape(path: str | os.PathLike[str]) -> TopoDS_Shape:
    with _quiet_stdout():
        reader = STEPControl_Reader()
        status = reader.ReadFile(str(path))
        transferred = reader.TransferRoots() if status == IFSelect_RetDone else 0
    if status != IFSelect_RetDone:
        raise StepReadError("the STEP translator could not parse the file")
    if transferred == 0:
        raise StepReadError("the STEP file holds no shape")
    shape = reader.OneShape()
    if shape.IsNull():
        raise StepReadError("the STEP file holds no shape")
    return shape


def read_step(source: str | os.PathLike[str] | bytes) -> StepPart:
    """Reads a STEP file (path or bytes) into exact facts and a tessellation in mm."""
    if isinstance(source, bytes):
        with tempfile.NamedTemporaryFile(suffix=".step") as handle:
            handle.write(source)
            handle.flush()
            shape = read_shape(handle.name)
        data = source
    else:
        shape = read_shape(source)
        data = Path(source).read_bytes()
    return StepPart(shape, facts(shape), tessellate(shape), declared_unit(data))


def write_step(shape: TopoDS_Shape, path: str | os.PathLike[str]) -> None:
    """Writes the shape as AP214 STEP in millimetres."""
    Interface_Static.SetCVal_s("write.step.unit", "MM")
    Interface_Static.SetCVal_s("write.step.schema", "AP214IS")
    with _quiet_stdout():
        writer = STEPControl_Writer()
        writer.Transfer(shape, STEPControl_AsIs)
        written = writer.Write(str(path))
    if written != IFSelect_RetDone:
        raise StepReadError("the STEP translator could not write the file")


@contextlib.contextmanager
def _quiet_stdout():
    """OpenCASCADE's translators print progress on the process's standard output, which in
    the analysis child is the reply pipe and in `make_part` the JSON: send it to /dev/null."""
    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)
