from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        """Listens to billing and to its own machine events; neither side imports the other."""
        from billing.signals import order_facts_requested, payment_confirmed, statement_notes
        from marketplace.dashboards import freshness as console_freshness
        from marketplace.designs import instant_prices
        from marketplace.network import page_cache as network_page_cache
        from marketplace.network.signals import machine_available, machine_unavailable
        from marketplace.orders.disputes import on_statement_notes
        from marketplace.orders.money_facts import order_money_facts
        from marketplace.orders.outages import on_machine_available, on_machine_unavailable
        from marketplace.orders.services import on_payment_confirmed
        from marketplace.orders.signals import (
            job_finishing,
            job_inspecting,
            order_completing,
            order_documents_chosen,
        )
        from marketplace.quality.services import (
            on_documents_chosen,
            on_job_finishing,
            on_job_inspecting,
            on_order_completing,
        )

        payment_confirmed.connect(on_payment_confirmed, dispatch_uid="order-paid")
        machine_unavailable.connect(on_machine_unavailable, dispatch_uid="order-replan")
        machine_available.connect(on_machine_available, dispatch_uid="order-recover")
        statement_notes.connect(on_statement_notes, dispatch_uid="dispute-notes")
        order_facts_requested.connect(order_money_facts, dispatch_uid="order-money-facts")
        job_finishing.connect(on_job_finishing, dispatch_uid="quality-last-step")
        order_completing.connect(on_order_completing, dispatch_uid="quality-completion")
        job_inspecting.connect(on_job_inspecting, dispatch_uid="quality-inspection-by-record")
        order_documents_chosen.connect(on_documents_chosen, dispatch_uid="quality-checkout")
        network_page_cache.connect()
        console_freshness.connect()
        instant_prices.connect()
