"""Cached reads of the network under version tokens that every change to what they show replaces.

A figure is stored under the token current when its computation *started*; any save or delete
of a model it reads replaces the token (at once, and again when the transaction commits), so a
later read misses and computes afresh. A value computed from data that changed meanwhile is
filed under a token nobody asks for any more, and expires. Losing a token (evicted, cache
restarted) only costs a recomputation: a new token matches no stored figure.

Writes that bypass model signals (``QuerySet.update``, ``bulk_create``) call
``rows_written(Model)`` themselves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any
from uuid import uuid4

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.template.loader import render_to_string

from marketplace.network import selectors
from marketplace.network.models import (
    Carrier,
    Certification,
    Machine,
    Material,
    Process,
    Workshop,
)

NETWORK = "network"  # the network page and the summary every dashboard shows
CACHED_FOR = 24 * 3600  # seconds; a figure is recomputed at least daily, changed or not
TOKEN_PREFIX = "version-token:"
_TOKENS_OF_MODEL: dict[type[models.Model], set[str]] = {}  # filled by replace_on_change


def token_current(name: str) -> str:
    """The token under which figures of ``name`` are stored now (created on first use)."""
    key = TOKEN_PREFIX + name
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid4().hex, None)  # concurrent first readers agree on one token
        token = cache.get(key) or uuid4().hex
    return token


def token_replace(name: str) -> None:
    """Makes every figure of ``name`` stored so far unreachable: now, and again on commit,
    so that a figure computed from the uncommitted state meanwhile is not served either."""
    key = TOKEN_PREFIX + name
    cache.set(key, uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(key, uuid4().hex, None))


def cached(name: str, part: str, compute: Callable[[], Any]) -> Any:
    """``compute()``, stored under ``name``'s current token and ``part`` (what varies)."""
    digest = hashlib.sha256(part.encode()).hexdigest()[:32]
    key = f"page-cache:{name}:{token_current(name)}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHED_FOR)
    return value


def replace_on_change(
    name: str, senders: Iterable[type[models.Model]], m2m: Iterable[Any] = ()
) -> None:
    """Connects saves, deletes (and many-to-many changes) of ``senders`` to ``name``'s token."""

    def receiver(**kwargs: Any) -> None:
        token_replace(name)

    for sender in senders:
        _TOKENS_OF_MODEL.setdefault(sender, set()).add(name)
        uid = f"page-cache-{name}-{sender._meta.label}"
        post_save.connect(receiver, sender=sender, weak=False, dispatch_uid=uid + "-save")
        post_delete.connect(receiver, sender=sender, weak=False, dispatch_uid=uid + "-delete")
    for through in m2m:
        uid = f"page-cache-{name}-{through._meta.label}-m2m"
        m2m_changed.connect(receiver, sender=through, weak=False, dispatch_uid=uid)


def rows_written(model: type[models.Model]) -> None:
    """For writes no signal reports (``bulk_create``, ``QuerySet.update``) of ``model``."""
    for name in _TOKENS_OF_MODEL.get(model, ()):
        token_replace(name)


def connect() -> None:
    """What the network page and the summary show (called from the app's ``ready``)."""
    from accounts.models import Organization  # workshops are listed by their organization's name

    replace_on_change(
        NETWORK,
        [Workshop, Machine, Organization, Certification, Process, Material, Carrier],
        m2m=[
            Workshop.certifications.through,
            Machine.materials.through,
            Material.processes.through,
        ],
    )


def network_summary() -> dict:
    """``selectors.network_summary``, cached: it is on every dashboard."""
    return cached(NETWORK, "summary", selectors.network_summary)


def network_listing_fresh(*, filters: selectors.NetworkFilter) -> tuple[int, str]:
    """The network page's map, workshop table and catalog for ``filters``: how many workshops
    match, and the HTML (the same for every viewer: verified workshops only)."""
    workshops = list(selectors.workshops_for_network(filters=filters))
    html = render_to_string(
        "marketplace/_network_listing.html",
        {
            "workshops": workshops,
            "network_map": selectors.network_map_for(workshops=workshops) if workshops else None,
            "processes": Process.objects.prefetch_related("materials"),
            "materials": Material.objects.prefetch_related("processes"),
        },
    )
    return len(workshops), html


def network_listing_html(*, filters: selectors.NetworkFilter) -> tuple[int, str]:
    """``network_listing_fresh``, cached until the network changes."""
    return cached(NETWORK, f"listing:{filters!r}", lambda: network_listing_fresh(filters=filters))
