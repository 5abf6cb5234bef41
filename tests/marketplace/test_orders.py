"""No tests here any more: they moved to tests/marketplace/orders/test_services.py.

tests/billing/test_escrow.py still imports `_pay`, `_quote` and `_user_for` from this path;
they now live in tests/helpers.py and tests/factories/network.py. Delete this file once
billing imports them from there.
"""

from tests.factories.network import member_for
from tests.helpers import pay_manually as _pay
from tests.helpers import quote_bracket_and_gear as _quote

__all__ = ["_pay", "_quote", "_user_for"]


def _user_for(job, small_network):
    return member_for(small_network, job.workshop_id)
