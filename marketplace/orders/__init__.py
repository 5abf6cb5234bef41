"""Orders: quotes, the order and job state machines, shipments, messages, reviews, escrow
release and re-planning."""
