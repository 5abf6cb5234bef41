"""Quality records: inspections with measured dimensions, photos and documents per job."""
