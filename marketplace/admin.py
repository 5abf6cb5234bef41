"""Admin screens of the marketplace, one module per domain; importing them registers them."""

from marketplace.designs import admin as designs_admin  # noqa: F401
from marketplace.exports import admin as exports_admin  # noqa: F401
from marketplace.network import admin as network_admin  # noqa: F401
from marketplace.orders import admin as orders_admin  # noqa: F401
from marketplace.quality import admin as quality_admin  # noqa: F401
from marketplace.shopfloor import admin as shopfloor_admin  # noqa: F401
