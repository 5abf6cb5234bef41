"""Signals the orders side listens to, so that the network never imports orders."""

from django.dispatch import Signal

# Sent after commit when a machine stops being available (down or in maintenance).
# Arguments: machine (Machine), status (str), until (datetime | None),
# affected_bookings (list[CapacityBooking]) — the bookings from now on that it can no longer
# honour. `marketplace.orders.replanning` re-plans the steps behind them.
machine_unavailable = Signal()

# Sent after commit when a machine becomes available again (back up, or its maintenance
# window ended). Arguments: machine (Machine), previous_status (str). Nothing listens yet:
# re-optimising the orders that could now finish earlier hooks in here.
machine_available = Signal()
