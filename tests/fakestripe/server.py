"""A local fake Stripe for tests: localstripe plus Connect, idempotency and strict refunds.

localstripe (GPL, a test-only dependency) is imported and extended at run time, never copied:
its routes are mounted on a fresh aiohttp app bound to 127.0.0.1 on a free port, in a
background thread with its own event loop, next to the routes localstripe lacks:

- Connect: ``/v1/accounts``, ``/v1/account_links`` (the link marks the account onboarded),
  ``/v1/transfers`` (+ ``source_transaction`` checks and balances) and transfer reversals,
- ``transfer_group`` on PaymentIntents (and their charges), ``payment_method`` on confirm,
- ``Idempotency-Key`` handling as Stripe documents it (replay, or 400 on other parameters),
- refunds beyond the charge amount refused, ``pm_card_chargeDeclined`` declining,
- injected refund failures (``fail_next_refund``: response lost, connection, api_error),
- webhooks signed like Stripe's, delivered at once (localstripe waits a second),
- ``GET /v1/balance`` computed from charges, refunds and transfers (``Stripe-Account`` too),
- a processing fee on each charge's balance transaction (``charge_fee``), disputes
  (``dispute``/``close_dispute`` send ``charge.dispute.created``/``closed``, ``GET
  /v1/disputes/{id}``), PaymentIntent cancel as Stripe answers it.

Use it through :func:`running_fake_stripe` or the fixtures in ``tests.fakestripe.fixtures``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import stripe
from aiohttp import ClientError, ClientSession, ClientTimeout, web
from localstripe import resources as ls
from localstripe import webhooks as ls_webhooks
from localstripe.errors import UserError

with warnings.catch_warnings():
    # localstripe registers plain-function handlers at import; aiohttp deprecates them.
    warnings.simplefilter("ignore", DeprecationWarning)
    from localstripe import server as ls_server

API_KEY = "sk_test_fakestripe"
WEBHOOK_SECRET = "whsec_test_fakestripe"

_COUNTRY_CURRENCY = {"US": "usd", "GB": "gbp", "CH": "chf", "SE": "sek", "PL": "pln"}
_ONBOARDING_DUE = [
    "business_profile.url",
    "business_type",
    "external_account",
    "representative.first_name",
    "representative.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]


def _error(status: int, message: str, *, code: str | None = None, param: str | None = None):
    contents: dict[str, Any] = {}
    if code:
        contents["code"] = code
    if param:
        contents["param"] = param
    return UserError(status, message, contents)


def _int(value: Any, param: str, *, minimum: int = 1) -> int:
    value = ls.try_convert_to_int(value)
    if type(value) is not int or value < minimum:
        raise _error(400, f"Invalid integer: {value}", param=param)
    return value


def _unknown(kwargs: dict[str, Any]) -> None:
    if kwargs:
        name = next(iter(kwargs))
        raise _error(400, f"Received unknown parameter: {name}", param=name)


# --------------------------------------------------------------------------------------------
# State that localstripe does not keep: failure injections, idempotency, events, links.
# --------------------------------------------------------------------------------------------
@dataclass
class _State:
    idempotency: dict[tuple[str, str], tuple[tuple, int, bytes, str]] = field(default_factory=dict)
    in_flight: set[tuple[str, str]] = field(default_factory=set)
    transfer_failures: dict[str, list[str]] = field(default_factory=dict)
    refund_failures: list[str] = field(default_factory=list)
    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    payouts: dict[tuple[str, str], int] = field(default_factory=dict)  # (acct, cur) -> minor
    events: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    received: dict[str, list[tuple[dict[str, str], bytes]]] = field(default_factory=dict)
    pending: set[asyncio.Task] = field(default_factory=set)
    seq: int = 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


_state = _State()
_DROP = web.RequestKey("fakestripe_drop", str)  # "no_effect" or "after_effect"


# --------------------------------------------------------------------------------------------
# Connect resources, as subclasses of localstripe's StripeObject (so store, expand, lists work)
# --------------------------------------------------------------------------------------------
class Account(ls.StripeObject):
    object = "account"
    _id_prefix = "acct_"

    def __init__(
        self,
        type=None,
        country=None,
        email=None,
        capabilities=None,
        business_type=None,
        business_profile=None,
        metadata=None,
        default_currency=None,
        controller=None,
        **kwargs,
    ):
        _unknown(kwargs)
        if type not in ("express", "standard", "custom") and controller is None:
            raise _error(
                400, "Invalid type: must be one of express, standard, custom", param="type"
            )
        if country is not None and (not isinstance(country, str) or len(country) != 2):
            raise _error(400, "Invalid country", param="country")
        if capabilities is not None and not isinstance(capabilities, dict):
            raise _error(400, "Invalid capabilities", param="capabilities")
        super().__init__()
        self.type = type or "custom"
        self.country = (country or "US").upper()
        self.email = email
        self.business_type = business_type
        self.business_profile = business_profile or {}
        self.metadata = metadata or {}
        self.default_currency = (
            default_currency or _COUNTRY_CURRENCY.get(self.country, "eur")
        ).lower()
        self.controller = controller or {"type": "application", "is_controller": True}
        self.capabilities = {
            name: "inactive"
            for name, spec in (capabilities or {}).items()
            if ls.try_convert_to_bool((spec or {}).get("requested")) is True
        }
        self.charges_enabled = False
        self.payouts_enabled = False
        self.details_submitted = False
        self.requirements = self._requirements(list(_ONBOARDING_DUE))
        self.future_requirements = self._requirements([])
        self.tos_acceptance = {"date": None, "ip": None}
        self.external_accounts = {
            "object": "list",
            "data": [],
            "has_more": False,
            "total_count": 0,
            "url": f"/v1/accounts/{self.id}/external_accounts",
        }

    @staticmethod
    def _requirements(due: list[str]) -> dict[str, Any]:
        return {
            "alternatives": [],
            "current_deadline": None,
            "currently_due": due,
            "disabled_reason": "requirements.past_due" if due else None,
            "errors": [],
            "eventually_due": list(due),
            "past_due": list(due),
            "pending_verification": [],
        }

    def _onboard(self) -> None:
        """What finishing Stripe's hosted onboarding does to an express account."""
        self.details_submitted = True
        self.charges_enabled = True
        self.payouts_enabled = True
        self.capabilities = dict.fromkeys(self.capabilities, "active") or {"transfers": "active"}
        self.requirements = self._requirements([])
        self.tos_acceptance = {"date": int(time.time()), "ip": "127.0.0.1"}
        _emit("account.updated", self, account=self.id)


class Transfer(ls.StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(
        self,
        amount=None,
        currency=None,
        destination=None,
        transfer_group=None,
        source_transaction=None,
        description=None,
        metadata=None,
        **kwargs,
    ):
        _unknown(kwargs)
        amount = _int(amount, "amount")
        if not isinstance(currency, str) or len(currency) != 3:
            raise _error(400, "Missing required param: currency.", param="currency")
        currency = currency.lower()
        if not isinstance(destination, str) or not destination:
            raise _error(400, "Missing required param: destination.", param="destination")
        account = ls.store.get("account:" + destination)
        if account is None:
            raise _error(
                400,
                f"No such destination: '{destination}'",
                code="resource_missing",
                param="destination",
            )
        if account.capabilities.get("transfers") != "active":
            raise _error(
                400,
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
                param="destination",
            )
        if transfer_group is not None and not isinstance(transfer_group, str):
            raise _error(400, "Invalid transfer_group", param="transfer_group")
        if source_transaction is not None:
            available = _charge_available(source_transaction, currency)
            if amount > available:
                raise _error(
                    400,
                    f"Insufficient funds: the transfer amount ({amount} {currency}) exceeds "
                    f"what is left of source_transaction {source_transaction} "
                    f"({available} {currency}).",
                    code="balance_insufficient",
                    param="amount",
                )
        elif amount > _platform_available(currency):
            raise _error(
                400,
                "You have insufficient available funds in your Stripe account. Try adding "
                "funds directly to your available balance by creating Charges using the "
                "4000000000000077 test card.",
                code="balance_insufficient",
            )
        super().__init__()
        self._seq = _state.next_seq()
        self._reversal_objs: list[TransferReversal] = []
        self.amount = amount
        self.currency = currency
        self.destination = destination
        self.destination_payment = "py_" + ls.random_id(24)
        self.balance_transaction = "txn_" + ls.random_id(24)
        self.transfer_group = transfer_group
        self.source_transaction = source_transaction
        self.source_type = "card"
        self.description = description
        self.metadata = metadata or {}

    @property
    def amount_reversed(self) -> int:
        return sum(r.amount for r in self._reversal_objs)

    @property
    def reversed(self) -> bool:
        return self.amount_reversed >= self.amount

    @property
    def reversals(self) -> ls.List:
        li = ls.List(f"/v1/transfers/{self.id}/reversals")
        li._list = list(reversed(self._reversal_objs))
        return li

    @classmethod
    def _api_list_all(
        cls,
        url,
        transfer_group=None,
        destination=None,
        limit=None,
        starting_after=None,
        **kwargs,
    ):
        _unknown(kwargs)
        li = super()._api_list_all(url, limit=limit, starting_after=starting_after)
        li._list = sorted(
            (
                t
                for t in li._list
                if (transfer_group is None or t.transfer_group == transfer_group)
                and (destination is None or t.destination == destination)
            ),
            key=lambda t: t._seq,
            reverse=True,
        )
        return li

    @classmethod
    def _api_update(cls, id, **data):
        if set(data) - {"description", "metadata"}:
            raise _error(400, "Only description and metadata can be updated.")
        return super()._api_update(id, **data)

    @classmethod
    def _api_delete(cls, id):
        raise UserError(405, "Method Not Allowed")


class Dispute(ls.StripeObject):
    object = "dispute"
    _id_prefix = "dp_"

    def __init__(self, charge: Any, amount: int, reason: str):
        super().__init__()
        self.charge = charge.id
        self.payment_intent = getattr(charge, "payment_intent", None)
        self.amount = amount
        self.currency = charge.currency
        self.reason = reason
        self.status = "needs_response"
        self.is_charge_refundable = False
        self.balance_transactions = []
        self.metadata = {}
        self.evidence_details = {"due_by": int(time.time()) + 7 * 86400, "has_evidence": False}


class TransferReversal(ls.StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(self, transfer: Transfer, amount: int, metadata=None, description=None):
        super().__init__()
        self.amount = amount
        self.currency = transfer.currency
        self.transfer = transfer.id
        self.metadata = metadata or {}
        self.description = description
        self.balance_transaction = "txn_" + ls.random_id(24)
        self.destination_payment_refund = "pyr_" + ls.random_id(24)
        self.source_refund = None


def _transfers() -> list[Transfer]:
    return [v for k, v in ls.store.items() if k.startswith("transfer:")]


def _charge_available(charge_id: Any, currency: str) -> int:
    """What a charge can still fund: captured amount - refunds - transfers net of reversals."""
    if not isinstance(charge_id, str) or not charge_id.startswith("ch_"):
        raise _error(400, "Invalid source_transaction", param="source_transaction")
    charge = ls.store.get("charge:" + charge_id)
    if charge is None:
        raise _error(
            400,
            f"No such charge: '{charge_id}'",
            code="resource_missing",
            param="source_transaction",
        )
    if charge.status != "succeeded" or not charge.captured:
        raise _error(
            400,
            f"The source_transaction {charge_id} has not succeeded (status {charge.status}).",
            param="source_transaction",
        )
    if charge.currency.lower() != currency:
        raise _error(
            400,
            f"The currency of source_transaction's balance transaction "
            f"({charge.currency.lower()}) must be the same as the transfer currency "
            f"({currency}).",
            param="currency",
        )
    used = sum(
        t.amount - t.amount_reversed for t in _transfers() if t.source_transaction == charge_id
    )
    return charge.amount - charge.amount_refunded - used


def _platform_available(currency: str) -> int:
    charges = [
        v
        for k, v in ls.store.items()
        if k.startswith("charge:") and v.status == "succeeded" and v.captured
    ]
    total = sum(c.amount - c.amount_refunded for c in charges if c.currency.lower() == currency)
    out = sum(t.amount - t.amount_reversed for t in _transfers() if t.currency == currency)
    return total - out


def _account_available(account_id: str, currency: str) -> int:
    received = sum(
        t.amount - t.amount_reversed
        for t in _transfers()
        if t.destination == account_id and t.currency == currency
    )
    return received - _state.payouts.get((account_id, currency), 0)


# --------------------------------------------------------------------------------------------
# Run-time patches of localstripe (test process only)
# --------------------------------------------------------------------------------------------
class _Payload:
    """Lets localstripe's Event wrap a plain dict (for events the tests make up)."""

    def __init__(self, data: dict[str, Any]):
        self._data = data

    def _export(self, expand=None):
        return dict(self._data)


def _emit(event_type: str, obj: Any, *, account: str | None = None) -> dict[str, Any]:
    event = ls.Event(event_type, obj)
    if account:
        event.account = account
    _schedule_webhook(event)
    return event._export()


def _schedule_webhook(event: Any) -> None:
    """Record the event and deliver it to every registered endpoint now, signed."""
    exported = event._export()
    _state.events.append(exported)
    payload = json.dumps(exported, indent=2, sort_keys=True).encode()
    for endpoint_id, hook in list(ls_webhooks._webhooks.items()):
        if hook.events is not None and event.type not in hook.events:
            continue
        task = asyncio.ensure_future(_deliver(endpoint_id, hook, event, payload))
        _state.pending.add(task)
        task.add_done_callback(_state.pending.discard)


async def _deliver(endpoint_id: str, hook: Any, event: Any, payload: bytes) -> None:
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": sign(payload, secret=hook.secret),
    }
    record = {"endpoint": endpoint_id, "url": hook.url, "event": event.id, "type": event.type}
    try:
        async with (
            ClientSession(timeout=ClientTimeout(total=10)) as session,
            session.post(hook.url, data=payload, headers=headers) as response,
        ):
            record["status"] = response.status
    except (TimeoutError, ClientError, OSError) as exc:
        record["status"] = None
        record["error"] = repr(exc)
    _state.deliveries.append(record)


_patched = False


def _patch_localstripe() -> None:
    """Extend localstripe in this process; idempotent."""
    global _patched
    if _patched:
        return
    _patched = True

    # Never write the store to /tmp/localstripe.pickle (shared, slow, racy between processes).
    ls.store.dump_to_disk = lambda: None
    # Deliver webhooks at once and record them.
    ls.schedule_webhook = _schedule_webhook
    ls_webhooks.schedule_webhook = _schedule_webhook

    pi_init = ls.PaymentIntent.__init__

    def payment_intent_init(self, transfer_group=None, description=None, **kwargs):
        if transfer_group is not None and not isinstance(transfer_group, str):
            raise _error(400, "Invalid transfer_group", param="transfer_group")
        pi_init(self, **kwargs)
        self.transfer_group = transfer_group
        self.description = description

    ls.PaymentIntent.__init__ = payment_intent_init

    create_charge = ls.PaymentIntent._create_charge

    def payment_intent_create_charge(self, on_failure_now):
        try:
            create_charge(self, on_failure_now)
        finally:
            if self.latest_charge is not None:
                self.latest_charge.transfer_group = self.transfer_group

    ls.PaymentIntent._create_charge = payment_intent_create_charge

    pi_export = ls.PaymentIntent._export

    def payment_intent_export(self, expand=None):
        # Stripe returns latest_charge as an id unless expanded; localstripe embeds it.
        obj = pi_export(self, expand=expand)
        wanted = any(p.split(".")[0] == "latest_charge" for p in (expand or []))
        if isinstance(obj.get("latest_charge"), dict) and not wanted:
            obj["latest_charge"] = obj["latest_charge"]["id"]
        return obj

    ls.PaymentIntent._export = payment_intent_export

    charge_init = ls.Charge.__init__

    def charge_init_with_group(self, *args, **kwargs):
        charge_init(self, *args, **kwargs)
        self.transfer_group = None

    ls.Charge.__init__ = charge_init_with_group

    refund_init = ls.Refund.__init__

    def refund_init_strict(
        self, charge=None, payment_intent=None, amount=None, reason=None, **kwargs
    ):
        charge_obj = None
        if payment_intent is not None and charge is None and isinstance(payment_intent, str):
            pi = ls.store.get("payment_intent:" + payment_intent)
            charge_obj = pi.latest_charge if pi is not None else None
        elif isinstance(charge, str):
            charge_obj = ls.store.get("charge:" + charge)
        requested = ls.try_convert_to_int(amount)
        if charge_obj is not None:
            left = charge_obj.amount - charge_obj.amount_refunded
            if amount is None:
                amount = left  # Stripe refunds what is left, localstripe the whole charge
            if left <= 0:
                raise _error(
                    400,
                    f"Charge {charge_obj.id} has already been refunded.",
                    code="charge_already_refunded",
                )
            if type(requested) is int and requested > left:
                raise _error(
                    400,
                    f"Refund amount ({requested}) is greater than unrefunded amount on "
                    f"charge ({left})",
                    param="amount",
                )
        if reason not in (None, "duplicate", "fraudulent", "requested_by_customer"):
            raise _error(400, "Invalid reason", param="reason")
        refund_init(self, charge=charge, payment_intent=payment_intent, amount=amount, **kwargs)
        self.reason = reason

    ls.Refund.__init__ = refund_init_strict

    # Stripe's generic-decline test cards also decline when charged, not only when attached.
    declined = ls.PaymentMethod._charging_is_declined
    ls.PaymentMethod._charging_is_declined = lambda self: (
        declined(self)
        or (
            self.type == "card"
            and self._card_number in ("4000000000000002", "4000000000009995", "4000000000000069")
        )
    )
    canonical = ls.PaymentMethod._try_get_canonical_test_article.__func__
    extra_cards = {
        "pm_card_chargeDeclined": "4000000000000002",
        "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
        "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    }

    def canonical_article(cls, id):
        if id in extra_cards:
            card = {"number": extra_cards[id], "exp_month": "12", "exp_year": "2030", "cvc": "123"}
            return ls.PaymentMethod(type="card", card=card)
        return canonical(cls, id)

    ls.PaymentMethod._try_get_canonical_test_article = classmethod(canonical_article)

    # Stripe's processing fee on a charge's balance transaction (localstripe leaves it 0).
    txn_init = ls.BalanceTransaction.__init__

    def balance_transaction_init_with_fee(self, *args, **kwargs):
        txn_init(self, *args, **kwargs)
        if self.type == "charge" and self.amount > 0:
            self.fee = charge_fee(self.amount)
            self.fee_details = [
                {
                    "amount": self.fee,
                    "currency": self.currency,
                    "type": "stripe_fee",
                    "description": "Stripe processing fees",
                    "application": None,
                }
            ]

    ls.BalanceTransaction.__init__ = balance_transaction_init_with_fee


def charge_fee(amount: int) -> int:
    """The fake's card fee: 1.5 % + 25 (minor units), like Stripe's EEA standard rate."""
    return (amount * 15 + 500) // 1000 + 25


# --------------------------------------------------------------------------------------------
# HTTP handlers for the added routes
# --------------------------------------------------------------------------------------------
def _json(obj: Any, status: int = 200) -> web.Response:
    return ls_server.json_response(obj, status=status)


async def _data(request: web.Request) -> dict[str, Any]:
    data = await ls_server.get_post_data(request) or {}
    return dict(data)


def _query(request: web.Request) -> dict[str, Any]:
    return dict(ls_server.unflatten_data(request.query) or {})


def _get(cls: type, object_id: str) -> Any:
    obj = ls.store.get(f"{cls.object}:{object_id}")
    if obj is None:
        raise _error(
            404, f"No such {cls.object}: '{object_id}'", code="resource_missing", param="id"
        )
    return obj


async def create_account(request: web.Request) -> web.Response:
    data = await _data(request)
    expand = data.pop("expand", None)
    return _json(Account(**data)._export(expand=expand))


async def retrieve_account(request: web.Request) -> web.Response:
    return _json(_get(Account, request.match_info["id"])._export())


async def update_account(request: web.Request) -> web.Response:
    account = _get(Account, request.match_info["id"])
    data = await _data(request)
    data.pop("expand", None)
    allowed = {"email", "metadata", "business_profile", "business_type", "default_currency"}
    _unknown({k: v for k, v in data.items() if k not in allowed})
    account._update(**data)
    _emit("account.updated", account, account=account.id)
    return _json(account._export())


async def list_accounts(request: web.Request) -> web.Response:
    query = _query(request)
    li = Account._api_list_all(
        "/v1/accounts",
        limit=query.pop("limit", None),
        starting_after=query.pop("starting_after", None),
    )
    _unknown(query)
    return _json(li._export())


async def create_account_link(request: web.Request) -> web.Response:
    data = await _data(request)
    account_id = data.pop("account", None)
    link_type = data.pop("type", None)
    refresh_url = data.pop("refresh_url", None)
    return_url = data.pop("return_url", None)
    data.pop("collect", None)
    data.pop("collection_options", None)
    _unknown(data)
    if not isinstance(account_id, str):
        raise _error(400, "Missing required param: account.", param="account")
    _get(Account, account_id)
    if link_type not in ("account_onboarding", "account_update"):
        raise _error(400, "Invalid type", param="type")
    for name, url in (("refresh_url", refresh_url), ("return_url", return_url)):
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise _error(400, f"Missing required param: {name}.", param=name)
    token = secrets.token_urlsafe(16)
    created = int(time.time())
    _state.links[token] = {
        "account": account_id,
        "refresh_url": refresh_url,
        "return_url": return_url,
        "expires_at": created + 300,
        "used": False,
    }
    return _json(
        {
            "object": "account_link",
            "created": created,
            "expires_at": created + 300,
            "url": f"{request.url.origin()}/_fakestripe/account_links/{token}",
        }
    )


async def visit_account_link(request: web.Request) -> web.Response:
    """Stands in for Stripe's hosted onboarding: completes it and sends the user back."""
    link = _state.links.get(request.match_info["token"])
    if link is None:
        raise web.HTTPNotFound()
    if link["used"] or link["expires_at"] < time.time():
        raise web.HTTPFound(link["refresh_url"])
    link["used"] = True
    _get(Account, link["account"])._onboard()
    raise web.HTTPFound(link["return_url"])


async def create_transfer(request: web.Request) -> web.Response:
    data = await _data(request)
    expand = data.pop("expand", None)
    failures = _state.transfer_failures.get(str(data.get("destination")))
    mode = failures.pop(0) if failures else None
    if mode == "connection":
        request[_DROP] = "no_effect"
        return web.Response(status=500)
    if mode == "api_error":
        raise UserError(500, "An unknown error occurred", {"type": "api_error"})
    if mode not in (None, "response_lost"):
        raise _error(400, f"Injected failure for {data.get('destination')}.", code=mode)
    transfer = Transfer(**data)
    _emit("transfer.created", transfer)
    if mode == "response_lost":
        request[_DROP] = "after_effect"
    return _json(transfer._export(expand=expand))


async def create_refund(request: web.Request) -> web.Response:
    """POST /v1/refunds with injectable failures; emits ``charge.refunded`` like Stripe."""
    data = await _data(request)
    expand = data.pop("expand", None)
    mode = _state.refund_failures.pop(0) if _state.refund_failures else None
    if mode == "connection":
        request[_DROP] = "no_effect"
        return web.Response(status=500)
    if mode == "api_error":
        raise UserError(500, "An unknown error occurred", {"type": "api_error"})
    refund = ls.Refund._api_create(**data)
    _emit("charge.refunded", _get(ls.Charge, refund.charge))
    if mode == "response_lost":
        request[_DROP] = "after_effect"
    return _json(refund._export(expand=expand))


async def retrieve_transfer(request: web.Request) -> web.Response:
    return _json(
        _get(Transfer, request.match_info["id"])._export(expand=_query(request).get("expand"))
    )


async def update_transfer(request: web.Request) -> web.Response:
    data = await _data(request)
    data.pop("expand", None)
    return _json(Transfer._api_update(request.match_info["id"], **data)._export())


async def list_transfers(request: web.Request) -> web.Response:
    query = _query(request)
    query.pop("expand", None)
    return _json(Transfer._api_list_all("/v1/transfers", **query)._export())


async def create_reversal(request: web.Request) -> web.Response:
    transfer = _get(Transfer, request.match_info["id"])
    data = await _data(request)
    data.pop("expand", None)
    data.pop("refund_application_fee", None)
    amount = data.pop("amount", None)
    metadata = data.pop("metadata", None)
    description = data.pop("description", None)
    _unknown(data)
    left = transfer.amount - transfer.amount_reversed
    amount = left if amount is None else _int(amount, "amount")
    if left <= 0:
        raise _error(400, f"Transfer {transfer.id} is already fully reversed.")
    if amount > left:
        raise _error(
            400,
            f"Reversal amount ({amount}) is greater than the amount left on transfer "
            f"{transfer.id} ({left}).",
            param="amount",
        )
    if amount > _account_available(transfer.destination, transfer.currency):
        raise _error(
            400,
            f"Insufficient funds in the connected account {transfer.destination} to reverse "
            f"{amount} {transfer.currency}.",
            code="balance_insufficient",
        )
    reversal = TransferReversal(transfer, amount, metadata=metadata, description=description)
    transfer._reversal_objs.append(reversal)
    _emit("transfer.reversed", transfer)
    return _json(reversal._export())


async def list_reversals(request: web.Request) -> web.Response:
    return _json(_get(Transfer, request.match_info["id"]).reversals._export())


async def retrieve_reversal(request: web.Request) -> web.Response:
    transfer = _get(Transfer, request.match_info["id"])
    reversal = _get(TransferReversal, request.match_info["reversal"])
    if reversal.transfer != transfer.id:
        raise _error(404, "No such transfer_reversal", code="resource_missing")
    return _json(reversal._export())


async def confirm_payment_intent(request: web.Request) -> web.Response:
    """localstripe answers 500 to confirm with payment_method; Stripe accepts it."""
    data = await _data(request)
    expand = data.pop("expand", None)
    payment_method = data.pop("payment_method", None)
    data.pop("return_url", None)
    pi = ls.PaymentIntent._api_retrieve(request.match_info["id"])
    if payment_method is not None:
        ls.PaymentMethod._api_retrieve(payment_method)
        pi.payment_method = payment_method
    return _json(ls.PaymentIntent._api_confirm(pi.id, **data)._export(expand=expand))


async def cancel_payment_intent(request: web.Request) -> web.Response:
    """Stripe's cancel: ``cancellation_reason`` accepted; a succeeded (or already canceled)
    intent is refused with ``payment_intent_unexpected_state``, as Stripe does."""
    data = await _data(request)
    expand = data.pop("expand", None)
    reason = data.pop("cancellation_reason", None)
    _unknown(data)
    if reason not in (None, "duplicate", "fraudulent", "requested_by_customer", "abandoned"):
        raise _error(400, "Invalid cancellation_reason", param="cancellation_reason")
    pi = ls.PaymentIntent._api_retrieve(request.match_info["id"])
    if pi.status not in (
        "requires_payment_method",
        "requires_capture",
        "requires_confirmation",
        "requires_action",
    ):
        raise _error(
            400,
            "You cannot cancel this PaymentIntent because it has a status of "
            f"{pi.status}. Only a PaymentIntent with one of the following statuses may be "
            "canceled: requires_payment_method, requires_capture, requires_confirmation, "
            "requires_action, processing.",
            code="payment_intent_unexpected_state",
        )
    ls.PaymentIntent._api_cancel(pi.id)
    pi.cancellation_reason = reason
    _emit("payment_intent.canceled", pi)
    return _json(pi._export(expand=expand))


async def retrieve_dispute(request: web.Request) -> web.Response:
    return _json(_get(Dispute, request.match_info["id"])._export())


async def retrieve_balance(request: web.Request) -> web.Response:
    account = request.headers.get("Stripe-Account")
    if account:
        _get(Account, account)
        currencies = {t.currency for t in _transfers() if t.destination == account}
        amounts = {c: _account_available(account, c) for c in currencies}
    else:
        currencies = {
            v.currency.lower() for k, v in ls.store.items() if k.startswith("charge:")
        } | {t.currency for t in _transfers()}
        amounts = {c: _platform_available(c) for c in currencies}
    available = [
        {"amount": amounts[c], "currency": c, "source_types": {"card": amounts[c]}}
        for c in sorted(amounts)
    ]
    pending = [{"amount": 0, "currency": c, "source_types": {"card": 0}} for c in sorted(amounts)]
    return _json(
        {"object": "balance", "available": available, "pending": pending, "livemode": False}
    )


async def webhook_sink(request: web.Request) -> web.Response:
    """A receiver on the fake itself, so tests can check delivery without another server."""
    body = await request.read()
    _state.received.setdefault(request.match_info["name"], []).append((dict(request.headers), body))
    return web.Response(text="ok")


# --------------------------------------------------------------------------------------------
# Middlewares
# --------------------------------------------------------------------------------------------
def _idempotency_error(message: str, status: int = 400, code: str | None = None) -> web.Response:
    error: dict[str, Any] = {"type": "idempotency_error", "message": message}
    if code:
        error["code"] = code
    return _json({"error": error}, status=status)


@web.middleware
async def drop_connection_middleware(request: web.Request, handler: Callable) -> web.StreamResponse:
    """Simulates a network failure: the client sees no response at all."""
    response = await handler(request)
    if request.get(_DROP) and request.transport is not None:
        request.transport.close()
    return response


@web.middleware
async def idempotency_middleware(request: web.Request, handler: Callable) -> web.StreamResponse:
    """Stripe's rule: the first response to a key (once the endpoint ran) is replayed.

    Same key with other parameters or another path: 400 idempotency_error. Responses that
    never reached the endpoint (auth failures, parameter errors without a code) are not
    saved, so a corrected retry works, as Stripe documents.
    """
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key or not request.path.startswith("/v1/"):
        return await handler(request)
    scope = (ls_server.get_api_key(request) or "", key)
    body = await request.read()
    fingerprint = (request.path, tuple(sorted(parse_qsl(body.decode(), keep_blank_values=True))))
    saved = _state.idempotency.get(scope)
    if saved is not None:
        if saved[0] != fingerprint:
            return _idempotency_error(
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{key}' if you meant to "
                "execute a different request."
            )
        response = web.Response(status=saved[1], body=saved[2], content_type=saved[3])
        response.headers["Idempotent-Replayed"] = "true"
        response.headers["Idempotency-Key"] = key
        return response
    if scope in _state.in_flight:
        return _idempotency_error(
            "There is currently another in-progress request using this Idempotent Key "
            "(that probably means you submitted twice, and the other request is still going "
            f"through): {key}. Please try again later.",
            status=409,
            code="idempotency_key_in_use",
        )
    _state.in_flight.add(scope)
    try:
        response = await handler(request)
    finally:
        _state.in_flight.discard(scope)
    if request.get(_DROP) == "no_effect" or not isinstance(response, web.Response):
        return response
    status = response.status
    reached_endpoint = status < 400 or status >= 500 or status == 402
    if status == 400:
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            reached_endpoint = bool(json.loads(response.body)["error"].get("code"))
    if reached_endpoint:
        _state.idempotency[scope] = (fingerprint, status, response.body, response.content_type)
    response.headers["Idempotency-Key"] = key
    return response


@web.middleware
async def auth_middleware(request: web.Request, handler: Callable) -> web.StreamResponse:
    if request.path.startswith("/_fakestripe/"):
        return await handler(request)
    return await ls_server.auth_middleware(request, handler)


_ROUTES: list[tuple[str, str, Callable]] = [
    ("POST", "/v1/accounts", create_account),
    ("GET", "/v1/accounts", list_accounts),
    ("GET", "/v1/accounts/{id}", retrieve_account),
    ("POST", "/v1/accounts/{id}", update_account),
    ("POST", "/v1/account_links", create_account_link),
    ("GET", "/_fakestripe/account_links/{token}", visit_account_link),
    ("POST", "/v1/refunds", create_refund),
    ("POST", "/v1/transfers", create_transfer),
    ("GET", "/v1/transfers", list_transfers),
    ("GET", "/v1/transfers/{id}", retrieve_transfer),
    ("POST", "/v1/transfers/{id}", update_transfer),
    ("POST", "/v1/transfers/{id}/reversals", create_reversal),
    ("GET", "/v1/transfers/{id}/reversals", list_reversals),
    ("GET", "/v1/transfers/{id}/reversals/{reversal}", retrieve_reversal),
    ("POST", "/v1/payment_intents/{id}/confirm", confirm_payment_intent),
    ("POST", "/v1/payment_intents/{id}/cancel", cancel_payment_intent),
    ("GET", "/v1/disputes/{id}", retrieve_dispute),
    ("GET", "/v1/balance", retrieve_balance),
    ("POST", "/_fakestripe/sink/{name}", webhook_sink),
]


def _as_async(handler: Callable) -> Callable:
    """localstripe has plain-function handlers, which aiohttp deprecates."""
    if asyncio.iscoroutinefunction(handler):
        return handler

    async def wrapped(request: web.Request) -> web.StreamResponse:
        return handler(request)

    return wrapped


def build_app() -> web.Application:
    """Our routes first, then every localstripe route we do not replace."""
    _patch_localstripe()
    app = web.Application(
        middlewares=[
            drop_connection_middleware,
            idempotency_middleware,
            ls_server.error_middleware,
            auth_middleware,
        ]
    )
    app.on_response_prepare.append(ls_server.add_cors_headers)
    taken = set()
    for method, path, handler in _ROUTES:
        app.router.add_route(method, path, handler)
        taken.add((method, path))
    for route in ls_server.app.router.routes():
        key = (route.method, route.resource.canonical)
        if route.method == "HEAD" or key in taken:
            continue
        app.router.add_route(route.method, route.resource.canonical, _as_async(route.handler))
        taken.add(key)
    return app


# --------------------------------------------------------------------------------------------
# Public handle
# --------------------------------------------------------------------------------------------
def sign(
    payload: bytes | str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> str:
    """A Stripe-Signature header value: t=<unix time>,v1=<HMAC-SHA256 of "t.payload">."""
    if isinstance(payload, str):
        payload = payload.encode()
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), b"%d." % t + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


class FakeStripe:
    """Handle on a running fake: where it listens, and knobs for tests."""

    api_key = API_KEY
    webhook_secret = WEBHOOK_SECRET

    def __init__(self, loop: asyncio.AbstractEventLoop, port: int):
        self._loop = loop
        self.port = port
        self.api_base = f"http://127.0.0.1:{port}"

    # -- talking to it ----------------------------------------------------------------------
    def client(self, **options: Any) -> stripe.StripeClient:
        """A real StripeClient pointed here; no automatic retries unless asked."""
        options.setdefault("max_network_retries", 0)
        return stripe.StripeClient(self.api_key, base_addresses={"api": self.api_base}, **options)

    @contextlib.contextmanager
    def global_stripe(self) -> Iterator[None]:
        """Point the module-level ``stripe.api_base``/``api_key`` here for the block."""
        saved = stripe.api_base, stripe.api_key, stripe.max_network_retries
        stripe.api_base, stripe.api_key, stripe.max_network_retries = self.api_base, API_KEY, 0
        try:
            yield
        finally:
            stripe.api_base, stripe.api_key, stripe.max_network_retries = saved

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run fn in the server's loop thread (the state is not thread-safe) and return."""

        async def run() -> Any:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    # -- webhooks ---------------------------------------------------------------------------
    def sign(self, payload: bytes | str, *, timestamp: int | None = None) -> str:
        return sign(payload, secret=self.webhook_secret, timestamp=timestamp)

    def webhook_request(
        self, event_type: str, data_object: dict[str, Any]
    ) -> tuple[bytes, dict[str, str]]:
        """A signed (body, headers) pair for posting to a view with a test client."""
        event = self._call(_make_event, event_type, data_object, None)
        body = json.dumps(event, indent=2, sort_keys=True).encode()
        return body, {"Content-Type": "application/json", "Stripe-Signature": self.sign(body)}

    def add_webhook_endpoint(
        self, url: str, *, events: list[str] | None = None, secret: str | None = None
    ) -> str:
        """Deliver events (all, or these types) to url, signed with secret (default ours)."""
        endpoint_id = "we_" + secrets.token_hex(8)
        self._call(
            ls_webhooks.register_webhook, endpoint_id, url, secret or self.webhook_secret, events
        )
        return endpoint_id

    def sink_url(self, name: str = "default") -> str:
        """A webhook URL on the fake itself; read what arrived with received(name)."""
        return f"{self.api_base}/_fakestripe/sink/{name}"

    def received(self, name: str = "default") -> list[tuple[dict[str, str], bytes]]:
        self.wait_for_webhooks()
        return list(self._call(lambda: _state.received.get(name, [])))

    def send_event(
        self, event_type: str, data_object: dict[str, Any], *, account: str | None = None
    ) -> dict[str, Any]:
        """Emit a made-up event (stored, retrievable, delivered to the endpoints)."""
        event = self._call(_make_event, event_type, data_object, account, True)
        self.wait_for_webhooks()
        return event

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event emitted so far, oldest first."""
        return list(self._call(lambda: list(_state.events)))

    def events_of(self, event_type: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == event_type]

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        self.wait_for_webhooks()
        return list(self._call(lambda: list(_state.deliveries)))

    def wait_for_webhooks(self, timeout: float = 10) -> None:
        """Block until every delivery scheduled so far has been attempted."""

        async def drain() -> None:
            while _state.pending:
                await asyncio.gather(*list(_state.pending), return_exceptions=True)

        asyncio.run_coroutine_threadsafe(drain(), self._loop).result(timeout=timeout)

    # -- Connect and failures ---------------------------------------------------------------
    def onboard(self, account_id: str) -> None:
        """What visiting the account link does, without the HTTP round trip."""
        self._call(lambda: _get(Account, account_id)._onboard())
        self.wait_for_webhooks()

    def set_account(
        self,
        account_id: str,
        *,
        transfers: str | None = None,
        payouts_enabled: bool | None = None,
    ) -> None:
        """Change what Stripe reports for a connected account (``capabilities.transfers``:
        "active", "inactive", "pending"; ``payouts_enabled``) and send ``account.updated``."""

        def run() -> None:
            account = _get(Account, account_id)
            if transfers is not None:
                account.capabilities = {**account.capabilities, "transfers": transfers}
            if payouts_enabled is not None:
                account.payouts_enabled = payouts_enabled
            _emit("account.updated", account, account=account.id)

        self._call(run)
        self.wait_for_webhooks()

    def fail_next_transfer(self, destination: str, error: str = "api_error") -> None:
        """Make the next POST /v1/transfers to destination fail once.

        error: "api_error" (500, saved under the idempotency key as Stripe does),
        "connection" (connection dropped, nothing happened, nothing saved: a retry with the
        same key succeeds), "response_lost" (the transfer is made, the response is lost: a
        retry with the same key replays it), or any error code, e.g. "account_invalid"
        (400 with that code, saved under the key).
        """
        self._call(lambda: _state.transfer_failures.setdefault(destination, []).append(error))

    def fail_next_refund(self, error: str = "response_lost") -> None:
        """Make the next POST /v1/refunds fail once.

        error: "response_lost" (the refund is made and saved under the idempotency key, the
        response is lost), "connection" (nothing happened, nothing saved), or "api_error"
        (500 before anything happened, saved under the key as Stripe does).
        """
        self._call(lambda: _state.refund_failures.append(error))

    def dispute(
        self, charge_id: str, *, amount: int | None = None, reason: str = "fraudulent"
    ) -> dict[str, Any]:
        """The cardholder disputes the charge: ``charge.dispute.created`` is sent."""

        def run() -> dict[str, Any]:
            charge = _get(ls.Charge, charge_id)
            dispute = Dispute(charge, charge.amount if amount is None else amount, reason)
            _emit("charge.dispute.created", dispute)
            return dispute._export()

        created = self._call(run)
        self.wait_for_webhooks()
        return created

    def close_dispute(self, dispute_id: str, *, won: bool) -> dict[str, Any]:
        """The bank decides: status ``won`` or ``lost``, and ``charge.dispute.closed``."""

        def run() -> dict[str, Any]:
            dispute = _get(Dispute, dispute_id)
            dispute.status = "won" if won else "lost"
            _emit("charge.dispute.closed", dispute)
            return dispute._export()

        closed = self._call(run)
        self.wait_for_webhooks()
        return closed

    def pay_out(self, account_id: str, amount: int, currency: str) -> None:
        """Simulate the connected account paying out, so later reversals can fail."""

        def run() -> None:
            key = (account_id, currency.lower())
            _state.payouts[key] = _state.payouts.get(key, 0) + amount

        self._call(run)

    def reset(self) -> None:
        """Forget every object, event, endpoint, key and injected failure."""
        self.wait_for_webhooks()

        def run() -> None:
            ls.store.clear()
            ls_webhooks._webhooks.clear()
            global _state
            _state = _State()

        self._call(run)


def _make_event(
    event_type: str, data_object: dict[str, Any], account: str | None, deliver: bool = False
) -> dict[str, Any]:
    event = ls.Event(event_type, _Payload(data_object))
    if account:
        event.account = account
    if deliver:
        _schedule_webhook(event)
    return event._export()


_running: FakeStripe | None = None


@contextlib.contextmanager
def running_fake_stripe() -> Iterator[FakeStripe]:
    """Start the fake on 127.0.0.1:<free port> in a thread; stop it on exit.

    One per process, as localstripe keeps its objects in module globals: a nested call
    yields the running fake and leaves it running (so the fixtures can be both imported by a
    test module and loaded as a plugin).
    """
    global _running
    if _running is not None:
        yield _running
        return
    app = build_app()
    loop = asyncio.new_event_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    runner = web.AppRunner(app, access_log=None)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, sock).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, name="fakestripe", daemon=True)
    thread.start()
    if not started.wait(timeout=10):
        raise RuntimeError("The fake Stripe did not start within 10 s.")
    fake = FakeStripe(loop, port)
    _running = fake
    try:
        yield fake
    finally:
        _running = None
        with contextlib.suppress(Exception):
            fake.reset()
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
