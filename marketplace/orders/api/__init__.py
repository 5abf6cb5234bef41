"""REST API of the orders domain (routed in `marketplace/api/urls.py`)."""
