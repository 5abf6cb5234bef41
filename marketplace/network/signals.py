"""Signals the orders side listens to, so that the network never imports orders."""

from django.dispatch import Signal

# Sent after commit when a machine stops being available (down or in maintenance), or when a
# closure or shorter weekly hours were forced over booked jobs (then its status stays
# "available": only the covered bookings are lost, from ``starts_at`` on).
# Arguments: machine (Machine), status (str), starts_at (datetime: when it stops running;
# now for a status change, a closure's start, which may lie in the future),
# until (datetime | None: when it runs again; a closure's end),
# affected_bookings (list[CapacityBooking]) — the bookings from now on that it can no longer
# honour. `marketplace.orders.replanning` re-plans the steps behind them.
machine_unavailable = Signal()

# Sent after commit when a machine becomes available again (back up, or its maintenance
# window ended). Arguments: machine (Machine), previous_status (str). Nothing listens yet:
# re-optimising the orders that could now finish earlier hooks in here.
machine_available = Signal()
