"""Design analyses as ``marketplace.designs.geometry.analyze_path(samples.bracket() / gear(),
unit="mm")`` gives them (the fields the planner reads), so that no test pays for trimesh."""

BRACKET = {
    "volume_mm3": 10342.8,
    "area_mm2": 6436.43,
    "bbox_mm": [53.0, 30.0, 43.5752],
    "convex_hull_volume_mm3": 39783.2,
    "watertight": True,
    "shells": 1,
}
GEAR = {
    "volume_mm3": 7397.13,
    "area_mm2": 3938.63,
    "bbox_mm": [39.9144, 39.9905, 8.0],
    "convex_hull_volume_mm3": 9967.06,
    "watertight": True,
    "shells": 1,
}
