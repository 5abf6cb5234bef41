"""Read-only admin: money moves only through services, never by editing rows here."""

from django.contrib import admin, messages

from accounts.admin_readonly import ReadOnlyAdmin
from billing.errors import DomainError
from billing.models import (
    BankAccount,
    BankFile,
    CheckoutDetails,
    ConnectedAccount,
    CreditNote,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentDispute,
    Payout,
    Refund,
    SettlementItem,
    SettlementRun,
    ShareRecord,
    WebhookEvent,
)


class LedgerEntryInline(admin.TabularInline):
    model = LedgerEntry
    fields = ["account", "amount_minor", "currency"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ["kind", "owner", "currency", "created_at"]
    list_filter = ["kind", "currency"]
    search_fields = ["owner__name"]


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "description", "order_id", "reverses", "created_at"]
    list_filter = ["kind"]
    search_fields = ["description", "idempotency_key", "order_id"]
    inlines = [LedgerEntryInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "order_id", "provider", "amount_minor", "currency", "status"]
    list_filter = ["provider", "status", "currency"]
    search_fields = ["reference", "provider_payment_id", "order_id"]


@admin.register(PaymentDispute)
class PaymentDisputeAdmin(ReadOnlyAdmin):
    list_display = ["provider_dispute_id", "payment", "amount_minor", "currency", "status"]
    list_filter = ["status"]
    search_fields = ["provider_dispute_id", "payment__reference"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["payment", "amount_minor", "currency", "status", "created_at"]
    list_filter = ["status"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["idempotency_key", "party", "amount_minor", "currency", "status", "attempts"]
    list_filter = ["provider", "status", "currency"]
    search_fields = ["idempotency_key", "party__name", "provider_transfer_id"]


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(ReadOnlyAdmin):
    list_display = ["organization", "provider", "provider_account_id", "status"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "status", "attempts", "received_at", "processed_at"]
    list_filter = ["type", "status"]
    search_fields = ["event_id", "object_id"]
    actions = ["retry_processing"]

    @admin.action(description="Process the selected events again")
    def retry_processing(self, request, queryset) -> None:
        from billing.webhook_events import webhook_event_retry

        for event in queryset:
            try:
                event = webhook_event_retry(operator=request.user, event=event)
            except DomainError as error:
                self.message_user(request, f"{event}: {error.message}", messages.ERROR)
                continue
            self.message_user(request, f"{event}: {event.get_status_display()}.")


@admin.register(ShareRecord)
class ShareRecordAdmin(ReadOnlyAdmin):
    list_display = ["reference", "party_id", "kind", "organization", "payable_minor", "currency"]
    list_filter = ["kind", "currency"]
    search_fields = ["reference", "organization__name"]


class SettlementItemInline(admin.TabularInline):
    model = SettlementItem
    fields = ["payout", "status", "attempts", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SettlementRun)
class SettlementRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "cutoff", "currency", "provider", "status", "paid_count"]
    list_filter = ["status", "currency", "provider"]
    inlines = [SettlementItemInline]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["transaction", "account", "amount_minor", "currency"]
    list_filter = ["currency", "account__kind"]
    list_select_related = ["transaction", "account"]


@admin.register(SettlementItem)
class SettlementItemAdmin(ReadOnlyAdmin):
    list_display = ["run", "payout"]


@admin.register(BankAccount)
class BankAccountAdmin(ReadOnlyAdmin):
    """Read-only: owners enter bank details on their page, validated there."""

    list_display = ["organization", "holder_name", "iban", "bic", "updated_at"]
    search_fields = ["organization__name", "iban"]


@admin.register(BankFile)
class BankFileAdmin(ReadOnlyAdmin):
    list_display = ["message_id", "run", "transfers_count", "total_minor", "export_count"]
    exclude = ["content"]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdmin):
    """Numbered documents: never edited, only read (a correction is another refund)."""

    list_display = ("number", "reference", "organization", "amount_minor", "currency", "issued_at")
    search_fields = ("number", "reference", "reason")
    list_select_related = ("organization",)


# Invoices are issued documents: corrected by a credit note, never edited or deleted here.
@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = ["number", "kind", "issuer_name", "buyer_name", "issued_at"]
    list_filter = ["kind", "issuer_country"]
    search_fields = ["number", "buyer_name", "issuer_name"]


@admin.register(InvoiceLine)
class InvoiceLineAdmin(ReadOnlyAdmin):
    list_display = ["invoice", "position", "description", "net_minor", "rate_bp", "vat_minor"]


@admin.register(InvoiceCounter)
class InvoiceCounterAdmin(ReadOnlyAdmin):
    """A counter is moved only under its row lock when a number is taken: no gaps."""


@admin.register(CheckoutDetails)
class CheckoutDetailsAdmin(ReadOnlyAdmin):
    list_display = ["reference", "order_id", "billing_name", "vat_id", "po_number"]
    search_fields = ["reference"]
