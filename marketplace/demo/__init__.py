"""The demo network and its catalog, seeded by `manage.py seed_demo`."""
