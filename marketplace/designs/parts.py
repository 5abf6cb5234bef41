"""Parts designed on the platform: preview a template with its findings and prices, save it.

The kernel runs only in the analysis child (`cad.generate.generate_isolated`); this module
reads the network for the process rules and the prices and stores what the child made. A
saved part is a revision like an upload: its file is the generated STEP, its preview the STL,
its analysis the same JSON, plus the template and parameters so it can be edited again.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Organization, User
from accounts.permissions import require_membership
from accounts.selectors import member_user_ids
from config.live import publish_to_users_on_commit
from marketplace.designs import geometry
from marketplace.designs.cad.templates import (
    TEMPLATES,
    ProcessLimits,
    Template,
    TemplateError,
    UnknownTemplate,
    template_get,
)
from marketplace.designs.models import Design, DesignRevision, processes_refused
from marketplace.designs.services import design_limits, network_capabilities
from marketplace.errors import DomainError, NotFound
from marketplace.network.models import Material, Process
from matching.confidentiality import ConfidentialityRule

PREVIEW_CACHE_SECONDS = 600
PRICE_MATERIALS = 5  # materials priced per preview, each made by other processes
PRICE_SECONDS = 0.5  # solver time per priced material in a preview
# Prices before the customer has said where the part goes: a central European address. The
# quote itself asks for the real one.
PRICE_SHIP_TO = (50.11, 8.68)  # degrees latitude, longitude (Frankfurt am Main)


class PartInvalid(DomainError):
    """Parameters that cannot make the part; `errors` names each parameter at fault."""

    code = "bad_parameters"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class PartsBusy(DomainError):
    """Every slot for making parts in this process is taken; the caller may retry."""

    code = "parts_busy"
    status_code = 503

    def __init__(self) -> None:
        super().__init__(
            "Parts are being made for many customers right now: try again in a few seconds."
        )


class _Slots:
    """How many parts this process is making. Each one borrows a warm CAD parent (about
    500 MB) and holds a request thread, so a burst of previews waits briefly for a slot and
    is then refused, instead of starting a parent per thread and stalling every page. One
    caller (a user typing fast) holds one slot at a time, leaving the others to the rest."""

    def __init__(self) -> None:
        self.busy = 0
        self.owners: set[object] = set()
        self.turns = threading.Condition()


_slots = _Slots()


@contextlib.contextmanager
def generation_slot(owner: object = None):
    """One of PART_GENERATIONS_AT_ONCE slots, and at most one per `owner` (a user id),
    waited for up to PART_GENERATION_WAIT_SECONDS; PartsBusy after that."""
    deadline = time.monotonic() + settings.PART_GENERATION_WAIT_SECONDS
    with _slots.turns:
        while _slots.busy >= settings.PART_GENERATIONS_AT_ONCE or (
            owner is not None and owner in _slots.owners
        ):
            left = deadline - time.monotonic()
            if left <= 0:
                raise PartsBusy()
            _slots.turns.wait(left)
        _slots.busy += 1
        if owner is not None:
            _slots.owners.add(owner)
    try:
        yield
    finally:
        with _slots.turns:
            _slots.busy -= 1
            _slots.owners.discard(owner)
            _slots.turns.notify_all()  # waiters wait for different things


@dataclass(frozen=True)
class PartPreview:
    analysis: dict
    stl: bytes
    prices: list[dict]

    def to_dict(self) -> dict[str, Any]:
        analysis = self.analysis
        return {
            "template": analysis["template"],
            "volume_mm3": analysis["volume_mm3"],
            "area_mm2": analysis["area_mm2"],
            "bbox_mm": analysis["bbox_mm"],
            "findings": analysis["template_findings"],
            "issues": analysis["issues"],
            "prices": self.prices,
            "stl_base64": base64.b64encode(self.stl).decode("ascii"),
            "analysis": analysis,
        }


def template_or_404(key: str) -> Template:
    try:
        return template_get(key)
    except UnknownTemplate as error:
        raise NotFound(str(error.args[0])) from error


def templates_described() -> list[dict]:
    return [template.schema() for template in TEMPLATES.values()]


def network_process_limits() -> list[ProcessLimits]:
    """The template rules' view of the network: each shaping process's largest envelope,
    minimum wall and smallest hole (its minimum feature), and whether it works sheet."""
    families = dict(Process.objects.values_list("code", "family"))
    return [
        ProcessLimits(
            code=capability.code,
            name=capability.name,
            envelope_mm=capability.build_envelope_mm,
            min_wall_mm=capability.min_wall_mm,
            min_hole_mm=capability.min_feature_mm,
            sheet=families.get(capability.code) == Process.Family.SHEET,
        )
        for capability in network_capabilities()
    ]


def _generate(
    template: Template,
    parameters: dict,
    *,
    owner: object = None,
    step_to=None,
    stl_to=None,
    thumbnail_to=None,
) -> dict:
    """The part made in a limited child; bad values are refused before a slot is taken."""
    from marketplace.designs.cad.generate import generate_isolated

    values = _validated(template, parameters)
    network = {
        "limits": design_limits(),
        "processes": network_capabilities(),
        "process_limits": network_process_limits(),
    }
    try:
        with generation_slot(owner):
            return generate_isolated(
                template.key,
                values,
                step_to=step_to,
                stl_to=stl_to,
                thumbnail_to=thumbnail_to,
                **network,
            )
    except TemplateError as error:
        raise PartInvalid(error.errors) from error
    except geometry.DesignFileError as error:
        raise DomainError(error.message, code=error.code) from error


def _validated(template: Template, parameters: dict) -> dict:
    try:
        return template.validate(parameters)
    except TemplateError as error:
        raise PartInvalid(error.errors) from error


def _made(template: Template, values: dict, owner: object = None) -> tuple[dict, bytes]:
    """(analysis, STL) of the part, from the cache when the same values were just previewed:
    typing back and forth, then asking for prices, builds each part once."""
    identity = json.dumps([template.key, sorted(values.items())]).encode()
    key = f"part-preview:{hashlib.sha256(identity).hexdigest()}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(prefix="part-") as workdir:
        stl = Path(workdir) / "part.stl"
        analysis = _generate(template, values, owner=owner, stl_to=stl)
        made = (analysis, stl.read_bytes())
    cache.set(key, made, PREVIEW_CACHE_SECONDS)
    return made


def part_preview(
    *, template_key: str, parameters: dict, prices: bool = False, user_id: int | None = None
) -> PartPreview:
    """The part made in the child: its mesh, analysis and the template's findings; with
    `prices`, the cheapest quote per process as well (a second or more)."""
    template = template_or_404(template_key)
    analysis, mesh = _made(template, _validated(template, parameters), user_id)
    return PartPreview(analysis, mesh, part_prices(analysis=analysis) if prices else [])


def part_prices(
    *, analysis: dict, quantity: int = 1, confidentiality: ConfidentialityRule | None = None
) -> list[dict]:
    """The cheapest quote option for the part in a few materials, one per shaping process.

    Asks the matcher exactly as a quote does (same network snapshot, margin and fee), for a
    part that is not saved yet or an uploaded one; a material no workshop can make it in, and
    a route through a process the analysis rules out, are left out.
    """
    from django.utils.timezone import now

    from marketplace.network.snapshot import network_snapshot
    from matching.quote_answers import DesignAnalysis, QuoteInput, QuoteLineInput, quote_for
    from matching.snapshot import floor_minute

    moment = floor_minute(now())
    snapshot = network_snapshot(origin=moment, horizon_days=14)
    design = {
        0: DesignAnalysis(
            revision_id=0, name="This part", analysis=analysis, confidentiality=confidentiality
        )
    }
    prices = []
    process_names = dict(Process.objects.values_list("code", "name"))
    # The matcher prices a material's usual route; the analysis and the template's rules know
    # better (a round spacer is not cut from sheet, a 0.8 mm hole is not printed): skip those.
    refused = processes_refused(analysis)
    for material in _price_materials():
        quote = quote_for(
            QuoteInput(
                lines=[
                    QuoteLineInput(revision_id=0, material_code=material.code, quantity=quantity)
                ],
                ship_to_lat=PRICE_SHIP_TO[0],
                ship_to_lon=PRICE_SHIP_TO[1],
            ),
            snapshot=snapshot,
            designs=design,
            now=moment,
            margin_bp=settings.QUOTE_MARGIN_BP,
            platform_fee_bp=settings.PLATFORM_FEE_BP,
            time_limit_s=PRICE_SECONDS,
            workers=1,
        )
        options = [
            option
            for option in (quote.options if quote.status == "ok" else [])
            if not any(step["process"] in refused for step in option["steps"])
        ]
        if not options:
            continue
        cheapest = min(options, key=lambda option: option["price_minor"])
        shaping = cheapest["steps"][0]["process"] if cheapest["steps"] else ""
        if any(price["process"] == shaping for price in prices):
            continue  # one price per process: the cheaper material came first
        prices.append(
            {
                "material": material.code,
                "material_name": material.name,
                "process": shaping,
                "process_name": process_names.get(shaping, shaping),
                "price_minor": cheapest["price_minor"],
                "currency": cheapest["currency"],
                "delivery_at": cheapest["delivery_at"],
            }
        )
    return prices


def _price_materials() -> list[Material]:
    """For each shaping process in catalog order, the cheapest material it takes that is not
    chosen yet (PLA for FDM, PA12 for SLS, aluminium for milling, sheet for the laser), up to
    PRICE_MATERIALS."""
    chosen: list[Material] = []
    covered: set[int] = set()  # processes a chosen material already goes to
    processes = Process.objects.filter(
        family__in=(Process.Family.ADDITIVE, Process.Family.SUBTRACTIVE, Process.Family.SHEET)
    ).prefetch_related("materials__processes")
    for process in processes:
        if process.pk in covered:
            continue
        materials = sorted(process.materials.all(), key=lambda m: (m.price_per_kg_minor, m.pk))
        fresh = next((m for m in materials if m not in chosen), None)
        if fresh is not None:
            chosen.append(fresh)
            covered.update(p.pk for p in fresh.processes.all())
        if len(chosen) == PRICE_MATERIALS:
            break
    return chosen


def design_generate(
    *,
    user: User,
    organization: Organization,
    template_key: str,
    parameters: dict,
    name: str = "",
    design: Design | None = None,
) -> DesignRevision:
    """Makes the part in the child and stores it as an analysed revision (STEP, STL, JSON).

    Raises PartInvalid naming the parameters at fault; nothing is stored then.
    """
    require_membership(user=user, organization=organization)
    if organization.kind != Organization.Kind.CUSTOMER:
        raise DomainError("Parts are designed by customer organizations.", code="not_customer")
    if design is not None and design.organization_id != organization.pk:
        raise DomainError("This design belongs to another organization.", code="not_yours")
    template = template_or_404(template_key)
    with tempfile.TemporaryDirectory(prefix="part-") as workdir:
        step_path, stl_path = Path(workdir) / "part.step", Path(workdir) / "part.stl"
        thumbnail_path = Path(workdir) / "thumbnail.png"
        analysis = _generate(
            template,
            parameters,
            owner=user.pk,
            step_to=step_path,
            stl_to=stl_path,
            thumbnail_to=thumbnail_path,
        )
        step_bytes, stl_bytes = step_path.read_bytes(), stl_path.read_bytes()
        thumbnail = thumbnail_path.read_bytes()
    values = analysis["template"]["parameters"]
    with transaction.atomic():
        if design is None:
            design = Design.objects.create(
                organization=organization,
                name=(name or template.name)[:200],
                created_by=user,
            )
        else:
            design = Design.objects.select_for_update().get(pk=design.pk)
        number = (design.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
        revision = DesignRevision(
            design=design,
            number=number,
            original_name=f"{template.key}.step",
            format="step",
            size_bytes=len(step_bytes),
            sha256=hashlib.sha256(step_bytes).hexdigest(),
            unit=DesignRevision.Unit.MM,
            status=DesignRevision.Status.ANALYSED,
            analysis=analysis,
            analysed_at=timezone.now(),
            uploaded_by=user,
            template=template.key,
            parameters=values,
        )
        revision.file.save("part.step", ContentFile(step_bytes), save=False)
        revision.preview.save("preview.stl", ContentFile(stl_bytes), save=False)
        revision.thumbnail.save("thumbnail.png", ContentFile(thumbnail), save=False)
        revision.save()
        publish_to_users_on_commit(
            member_user_ids(organization.pk),
            {
                "type": "design.analysed",
                "data": {
                    "design": design.pk,
                    "revision": revision.pk,
                    "bbox_mm": analysis["bbox_mm"],
                    "volume_mm3": analysis["volume_mm3"],
                    "watertight": analysis["watertight"],
                },
            },
        )
    return revision
