"""REST API of the network domain (routed in `marketplace/api/urls.py`)."""
