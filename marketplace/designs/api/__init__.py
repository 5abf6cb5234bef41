"""REST API of the designs domain (routed in `marketplace/api/urls.py`)."""
