"""Signals other apps listen to, so that the marketplace never imports them."""

from django.dispatch import Signal

# Sent after commit when a machine stops being available (down or in maintenance).
# Arguments: machine (Machine), status (str), until (datetime | None),
# affected_bookings (list[CapacityBooking]) — the bookings from now on that it can no longer
# honour. The matcher re-plans the steps behind them.
machine_unavailable = Signal()
