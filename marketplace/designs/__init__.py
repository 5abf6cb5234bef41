"""Designs: upload, isolated analysis of the geometry, moderation."""
