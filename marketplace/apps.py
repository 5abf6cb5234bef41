from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    verbose_name = "Marketplace"

    def ready(self) -> None:
        """Listens to billing and to its own machine events; neither side imports the other."""
        from billing.signals import payment_confirmed
        from marketplace import orders
        from marketplace.signals import machine_unavailable

        payment_confirmed.connect(orders.on_payment_confirmed, dispatch_uid="order-paid")
        machine_unavailable.connect(orders.on_machine_unavailable, dispatch_uid="order-replan")
