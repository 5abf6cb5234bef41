"""Distances on the Earth: the one great-circle formula of the project (pure, no Django)."""

import math

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
_DEG = math.pi / 180


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km; good to ~0.5 %, plenty for routing, maps and CO2.

    Takes anything `float()` accepts, so the database's Decimal coordinates work as they are.
    """
    phi1, phi2 = float(lat1) * _DEG, float(lat2) * _DEG
    dphi = phi2 - phi1
    dlmb = (float(lon2) - float(lon1)) * _DEG
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
