"""A few OpenCASCADE solid operations, in the words the templates think in.

Thin wrappers over `BRepPrimAPI`, `BRepAlgoAPI` and `BRepFilletAPI` that check each operation
succeeded: a failed boolean returns an empty shape without complaint, which would reach the
customer as a part with no volume.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from OCP.BRep import BRep_Builder
from OCP.BRepAdaptor import BRepAdaptor_Curve
from OCP.BRepAlgoAPI import BRepAlgoAPI_Cut, BRepAlgoAPI_Fuse
from OCP.BRepBuilderAPI import BRepBuilderAPI_Transform
from OCP.BRepFilletAPI import BRepFilletAPI_MakeFillet
from OCP.BRepPrimAPI import BRepPrimAPI_MakeBox, BRepPrimAPI_MakeCylinder
from OCP.collections import List_TopoDS_Shape
from OCP.gp import gp_Ax2, gp_Dir, gp_Pnt, gp_Trsf, gp_Vec
from OCP.TopAbs import TopAbs_EDGE
from OCP.TopExp import TopExp_Explorer
from OCP.TopoDS import TopoDS, TopoDS_Compound, TopoDS_Shape

AXES = {"x": gp_Dir(1, 0, 0), "y": gp_Dir(0, 1, 0), "z": gp_Dir(0, 0, 1)}


class KernelError(Exception):
    """OpenCASCADE could not carry out an operation on valid-looking parameters."""


def box(x: float, y: float, z: float, dx: float, dy: float, dz: float) -> TopoDS_Shape:
    return BRepPrimAPI_MakeBox(gp_Pnt(x, y, z), dx, dy, dz).Shape()


def cylinder(
    x: float, y: float, z: float, *, diameter: float, height: float, axis: str = "z"
) -> TopoDS_Shape:
    """A cylinder whose base circle is centred on (x, y, z), running `height` along `axis`."""
    frame = gp_Ax2(gp_Pnt(x, y, z), AXES[axis])
    return BRepPrimAPI_MakeCylinder(frame, diameter / 2, height).Shape()


def _boolean(operation, base: TopoDS_Shape, tools: Iterable[TopoDS_Shape]) -> TopoDS_Shape:
    tools = list(tools)
    if not tools:
        return base
    arguments, tool_list = List_TopoDS_Shape(), List_TopoDS_Shape()
    arguments.Append(base)
    for tool in tools:
        tool_list.Append(tool)
    op = operation()
    op.SetArguments(arguments)
    op.SetTools(tool_list)
    op.SetRunParallel(False)  # the analysis child runs with one thread by design
    op.Build()
    if not op.IsDone():
        raise KernelError(f"{operation.__name__} failed")
    return op.Shape()


def cut(base: TopoDS_Shape, *tools: TopoDS_Shape) -> TopoDS_Shape:
    return _boolean(BRepAlgoAPI_Cut, base, tools)


def fuse(base: TopoDS_Shape, *others: TopoDS_Shape) -> TopoDS_Shape:
    fused = _boolean(BRepAlgoAPI_Fuse, base, others)
    return unify(fused)


def unify(shape: TopoDS_Shape) -> TopoDS_Shape:
    """Merges faces that a boolean left split on one surface (cleaner STEP, same solid)."""
    from OCP.ShapeUpgrade import ShapeUpgrade_UnifySameDomain

    unifier = ShapeUpgrade_UnifySameDomain(shape, True, True, True)
    unifier.Build()
    return unifier.Shape()


def fillet(
    shape: TopoDS_Shape,
    radius: float,
    where: Callable[[tuple[float, float, float], tuple[float, float, float]], bool],
) -> TopoDS_Shape:
    """Rounds every straight edge whose end points satisfy `where(start, end)`."""
    maker = BRepFilletAPI_MakeFillet(shape)
    edges = {}
    explorer = TopExp_Explorer(shape, TopAbs_EDGE)
    while explorer.More():  # an edge is met once per face; its hash names it once
        edges[hash(explorer.Current())] = explorer.Current()
        explorer.Next()
    chosen = 0
    for found in edges.values():
        edge = TopoDS.Edge(found)
        curve = BRepAdaptor_Curve(edge)
        a, b = curve.Value(curve.FirstParameter()), curve.Value(curve.LastParameter())
        if where((a.X(), a.Y(), a.Z()), (b.X(), b.Y(), b.Z())):
            maker.Add(radius, edge)
            chosen += 1
    if chosen == 0:
        raise KernelError("no edge to round")
    maker.Build()
    if not maker.IsDone():
        raise KernelError("the fillet failed")
    return maker.Shape()


def moved(shape: TopoDS_Shape, dx: float, dy: float, dz: float) -> TopoDS_Shape:
    transform = gp_Trsf()
    transform.SetTranslation(gp_Vec(dx, dy, dz))
    return BRepBuilderAPI_Transform(shape, transform, True).Shape()


def compound(*shapes: TopoDS_Shape) -> TopoDS_Shape:
    """Several solids as one shape (a box and its lid), each staying its own solid."""
    builder = BRep_Builder()
    result = TopoDS_Compound()
    builder.MakeCompound(result)
    for shape in shapes:
        builder.Add(result, shape)
    return result
