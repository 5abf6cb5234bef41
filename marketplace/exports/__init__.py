"""No lock-in: an organization takes all its data away as one archive of open formats.

The top layer of the marketplace (beside dashboards and demo): it reads every domain (designs,
orders, network, billing) through their selectors and writes nothing back into them.
"""
