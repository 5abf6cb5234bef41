"""A quote request in, an answer in plain types out: options, or why there are none.

The caller loads what the request names (the design revisions' analyses, the network
``Snapshot``) and passes it in; this module refuses what cannot be quoted before solving,
builds ``matching.quote_problem.QuoteQuery``, runs the core and converts its options to JSON
(``matching.routes``). It reads no database. See docs/matching-adapter.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from matching.confidentiality import ConfidentialityRule
from matching.engine import Problem, SolveParams
from matching.planning import MaterialSpec, PartGeometry
from matching.quote_problem import PartToQuote, QuoteQuery, build_problem, consignment_of_parts
from matching.quoting import QuoteResult, quote
from matching.routes import LineIndex, OptionDict, option_dict
from matching.snapshot import Snapshot, floor_minute
from matching.transport import SMALL_PARCEL, Consignment

__all__ = [
    "MAX_HORIZON_DAYS",
    "SYNC_MAX_SIZE",
    "AdapterQuote",
    "DesignAnalysis",
    "QuoteInput",
    "QuoteLineInput",
    "consignment_for",
    "quote_for",
    "quote_horizon_days",
    "quote_lines",
    "size_of",
]

SYNC_MAX_SIZE = 60  # alternatives (steps x shortlisted machines) answered within the request
MAX_HORIZON_DAYS = 120  # days; a due date further out is still read only this far


@dataclass(frozen=True)
class QuoteLineInput:
    """One part to quote: a design revision (its ``analysis`` is read), material, finish."""

    revision_id: int
    material_code: str
    finish_code: str | None = None
    quantity: int = 1
    tolerance: str = "standard"  # "standard" | "precision" | "high-precision"
    five_axis: bool = False
    line_id: int | None = None  # the caller's line key, echoed in each step as "line_id"


@dataclass(frozen=True)
class QuoteInput:
    """A quote request as the marketplace collects it; ``due`` is a hard delivery date."""

    lines: Sequence[QuoteLineInput]
    ship_to_lat: float
    ship_to_lon: float
    due: datetime | None = None
    currency: str = "EUR"


@dataclass(frozen=True)
class DesignAnalysis:
    """A design revision as loaded by the caller: enough to quote it or to say why not.

    ``analysis`` is the revision's analysis once it is analysed (None before); ``failed``:
    the file could not be read; ``status_label`` is its status in words, for messages.
    """

    revision_id: int
    name: str  # the design's name
    analysis: Mapping[str, Any] | None
    status_label: str = "analysed"
    failed: bool = False
    confidentiality: ConfidentialityRule | None = None  # the owner's rule: who may make it


@dataclass(frozen=True)
class AdapterQuote:
    """The answer to a quote request, in plain types (``to_dict`` is JSONField-ready).

    ``status``: ``ok`` (``options`` to offer), ``infeasible`` (the network cannot do it:
    ``reasons``, and ``earliest`` when only the due date is impossible) or ``refused`` (the
    request itself is wrong or incomplete: ``reasons``). ``origin`` is minute 0 of the plan.
    """

    status: Literal["ok", "infeasible", "refused"]
    options: list[OptionDict]
    reasons: list[str]
    earliest: str | None  # ISO datetime
    origin: str  # ISO datetime
    currency: str
    size: int  # alternatives handed to the engine
    result: QuoteResult | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["result"]
        return data


def quote_horizon_days(input: QuoteInput, now: datetime, horizon_days: int) -> int:
    """Days of network to read: stretched to cover ``due``, at most ``MAX_HORIZON_DAYS``."""
    if input.due is not None:
        days = math.ceil((input.due - now).total_seconds() / 86400) + 1
        horizon_days = min(MAX_HORIZON_DAYS, max(horizon_days, days))
    return horizon_days


def _quote_line(
    line_key: str,
    line: QuoteLineInput,
    design: DesignAnalysis,
    materials: Mapping[str, MaterialSpec],
) -> PartToQuote | str:
    """The core's line for one part, or the sentence refusing it."""
    name = design.name
    if not design.analysis:
        return (
            f"{name} could not be read, so it cannot be quoted; upload it again."
            if design.failed
            else f"{name} is not analysed yet ({design.status_label}); "
            "it can be quoted once its analysis has finished."
        )
    material = materials.get(line.material_code)
    if material is None:
        return f"{name}: the material {line.material_code!r} is not in the catalog."
    try:
        geometry = PartGeometry.from_analysis(design.analysis)
    except (KeyError, TypeError, ValueError):
        return f"{name}: its analysis is incomplete; analyse the design again."
    return PartToQuote(
        id=line_key,
        geometry=geometry,
        material=material,
        finish=line.finish_code or None,
        quantity=line.quantity,
        tolerance=line.tolerance,
        five_axis=line.five_axis,
        name=name,
        confidentiality=design.confidentiality,
    )


def quote_lines(
    input: QuoteInput, snapshot: Snapshot, designs: Mapping[int, DesignAnalysis]
) -> tuple[list[PartToQuote], dict[str, tuple[int, int, int | None]], list[str]]:
    """QuoteLines (id = line number from 1), ``{id: (index, revision id, line_id)}``, refusals.

    ``designs`` are the loaded revisions by id; a revision missing from it does not exist.
    """
    reasons: list[str] = []
    lines: list[PartToQuote] = []
    index: dict[str, tuple[int, int, int | None]] = {}
    if not input.lines:
        reasons.append("The request has no parts.")
    for i, line in enumerate(input.lines):
        design = designs.get(line.revision_id)
        if design is None:
            reasons.append(f"Part {i + 1}: the design revision does not exist.")
            continue
        built = _quote_line(str(i + 1), line, design, snapshot.materials)
        if isinstance(built, str):
            reasons.append(built)
            continue
        index[built.id] = (i, design.revision_id, line.line_id)
        lines.append(built)
    return lines, index, reasons


def consignment_for(
    input: QuoteInput,
    *,
    materials: Mapping[str, MaterialSpec],
    designs: Mapping[int, DesignAnalysis],
) -> Consignment:
    """What each leg of a quote of ``input`` carries, by the quote's own rule: a re-plan of
    the order prices its new legs with it, so they cost what the quote's legs did. Parts
    that cannot be read are left out (an order's parts all could be when it was quoted);
    with none, one small parcel (``SMALL_PARCEL``, a leg whose contents nobody said)."""
    parts = [
        built
        for i, line in enumerate(input.lines)
        if (design := designs.get(line.revision_id)) is not None
        and isinstance(built := _quote_line(str(i + 1), line, design, materials), PartToQuote)
    ]
    return consignment_of_parts(parts) if parts else SMALL_PARCEL


def _query(input: QuoteInput, lines: Sequence[PartToQuote], snapshot: Snapshot) -> QuoteQuery:
    return QuoteQuery(
        lines=tuple(lines),
        customer_lat=input.ship_to_lat,
        customer_lon=input.ship_to_lon,
        due=snapshot.minute(input.due) if input.due is not None else None,
        currency=input.currency,
    )


def _size(problem: Problem) -> int:
    return sum(len(step.alternatives) for job in problem.jobs for step in job.steps)


def size_of(
    input: QuoteInput,
    *,
    snapshot: Snapshot,
    designs: Mapping[int, DesignAnalysis],
    now: datetime,
) -> int:
    """Steps x candidate machines the engine would get (0 when the request is refused).

    At most ``SYNC_MAX_SIZE``: answer within the request; above: solve in the background.
    """
    now = floor_minute(now)
    lines, _, reasons = quote_lines(input, snapshot, designs)
    if reasons:
        return 0
    problem, _ = build_problem(
        _query(input, lines, snapshot),
        snapshot.machines,
        snapshot.carriers,
        snapshot.minute(now),
        origin=snapshot.origin,
    )
    return _size(problem)


def quote_for(
    input: QuoteInput,
    *,
    snapshot: Snapshot,
    designs: Mapping[int, DesignAnalysis],
    now: datetime,
    margin_bp: int,
    platform_fee_bp: int,
    platform_fee_minor: int = 0,
    time_limit_s: float = 3.0,
    workers: int = 2,
) -> AdapterQuote:
    """Quote options (cheapest, fastest, lowest CO2, balanced) for a request, or why not.

    ``margin_bp`` and ``platform_fee_bp`` are basis points of the cost (1 % = 100) and
    ``platform_fee_minor`` a fixed fee per quote; the caller passes them from settings.
    ``time_limit_s`` is shared by the four solves.
    """
    now = floor_minute(now)
    lines, index, reasons = quote_lines(input, snapshot, designs)
    if input.due is not None and input.due <= now:
        reasons.append("The due date is in the past.")
    if not _is_place(input.ship_to_lat, input.ship_to_lon):
        reasons.append(
            "The delivery address has no valid location "
            "(latitude between -90 and 90, longitude between -180 and 180)."
        )
    if reasons:
        return AdapterQuote(
            "refused", [], _once(reasons), None, snapshot.origin.isoformat(), input.currency, 0
        )
    result = quote(
        _query(input, lines, snapshot),
        snapshot.machines,
        snapshot.carriers,
        now_minute=snapshot.minute(now),
        origin=snapshot.origin,
        params=SolveParams(time_limit_s=time_limit_s, workers=workers),
        margin_bp=margin_bp,
        platform_fee_bp=platform_fee_bp,
        platform_fee_minor=platform_fee_minor,
    )
    return _answer(input, result, snapshot, index)


def _once(reasons: Iterable[str]) -> list[str]:
    """Each reason once, in order: several steps of one part can fail for the same cause."""
    return list(dict.fromkeys(reasons))


def _is_place(lat: float, lon: float) -> bool:
    """A real point on the map (forms and the API check it; other callers may not)."""
    try:
        return -90 <= float(lat) <= 90 and -180 <= float(lon) <= 180
    except (TypeError, ValueError):
        return False


def _answer(
    input: QuoteInput, result: QuoteResult, snapshot: Snapshot, index: LineIndex
) -> AdapterQuote:
    assembly = result.context.assembly_job
    options = [option_dict(o, snapshot, index, assembly) for o in result.options]
    status: Literal["ok", "infeasible"] = "ok" if options else "infeasible"
    earliest = snapshot.at(result.earliest) if result.earliest is not None else None
    return AdapterQuote(
        status=status,
        options=options,
        reasons=_once(result.reasons),
        earliest=earliest.isoformat() if earliest is not None else None,
        origin=snapshot.origin.isoformat(),
        currency=input.currency,
        size=_size(result.problem),
        result=result,
    )
