"""Signals the rooms above orders answer, so that orders never import them.

Each is sent inside the transaction, with the rows locked; a receiver refuses the move by
raising a ``DomainError`` (its message reaches the person who acted), which rolls it back:
``NotYet`` when the move only waits for something people still have to do, which the
periodic pass skips quietly.
"""

from django.dispatch import Signal

# Sent before a job becomes done. Arguments: job (Job, locked, still in its old status).
# `marketplace.quality` refuses the step that finishes the order's work while a document the
# order requires is missing.
job_finishing = Signal()

# Sent before an order becomes completed. Arguments: order (Order, locked), role (Role).
# `marketplace.quality` refuses it while a required document is missing (operators excepted).
order_completing = Signal()

# Sent before a finished job's inspection outcome is recorded through
# `orders.inspection.job_inspection_record`. Arguments: job (Job, locked). `marketplace.quality`
# refuses it when the step has an inspection record: that record's review writes the outcome,
# so the two never disagree.
job_inspecting = Signal()

# Sent when an order is placed with documents its customer ticked at checkout, inside the
# placing transaction. Arguments: order (Order, just placed), user (User), kinds (list[str]).
# `marketplace.quality` records them as the order's required documents and refuses a kind it
# does not know, which rolls the placing back.
order_documents_chosen = Signal()
