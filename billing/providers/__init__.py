"""Payment providers, chosen by name: ``settings.PAYMENT_PROVIDER`` (default ``manual``).

Each payment and payout remembers the provider it went through, so refunds and retries go
back to the same one even after the setting changes. ``PAYMENT_PROVIDER_CLASSES`` (name ->
dotted path) adds or replaces providers, e.g. for tests.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from billing.errors import ProviderNotConfigured
from billing.providers.base import PaymentProvider

PROVIDERS: dict[str, str] = {
    "manual": "billing.providers.manual.ManualProvider",
    "stripe": "billing.providers.stripe.StripeProvider",
}

DEFAULT_PROVIDER = "manual"


def default_provider_name() -> str:
    return getattr(settings, "PAYMENT_PROVIDER", "") or DEFAULT_PROVIDER


def get_provider(name: str | None = None) -> PaymentProvider:
    """A fresh provider instance by name (the configured default when None)."""
    name = name or default_provider_name()
    registry = {**PROVIDERS, **getattr(settings, "PAYMENT_PROVIDER_CLASSES", {})}
    if name not in registry:
        raise ProviderNotConfigured(
            f"Unknown payment provider {name!r} (known: {', '.join(sorted(registry))})."
        )
    return import_string(registry[name])()
