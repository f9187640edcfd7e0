"""Geometry and GeoJSON helpers shared by the demo-data builders."""

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

M_PER_DEG = 111_320.0  # metres per degree of latitude (and of longitude at the equator)
DECIMALS = 7  # 1e-7 degree: the importer's tolerance for shared road end points


def metres_per_degree(lat: float) -> np.ndarray:
    """Local (east, north) metres per degree, good enough over a few kilometres."""
    return np.array([M_PER_DEG * math.cos(math.radians(lat)), M_PER_DEG])


def toward(xy, target, metres: float) -> tuple[float, float]:
    """The point ``metres`` from ``xy`` in the direction of ``target`` (at most halfway there)."""
    scale = metres_per_degree(xy[1])
    delta = (np.asarray(target) - np.asarray(xy)) * scale
    dist = float(np.hypot(*delta))
    if dist == 0.0:
        return tuple(xy)
    step = min(metres, dist / 2) / dist
    return tuple(float(v) for v in np.asarray(xy) + delta * step / scale)


@dataclass(frozen=True)
class Placement:
    """One similarity transform (scale, rotation, translation) of a SimBench grid onto Kashan.

    Computed in local metres so that the grid keeps its shape; as the lon/lat <-> metres
    conversion is linear at both ends, the whole map is one affine transform in degrees.
    """

    source_centre: tuple[float, float]
    target_centre: tuple[float, float]
    scale: float
    rotation_deg: float

    def matrix(self) -> np.ndarray:
        """2x3 matrix ``M`` with ``[lon', lat'] = M @ [lon, lat, 1]``."""
        theta = math.radians(self.rotation_deg)
        rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
        to_m = np.diag(metres_per_degree(self.source_centre[1]))
        from_m = np.diag(1 / metres_per_degree(self.target_centre[1]))
        linear = from_m @ (self.scale * rot) @ to_m
        offset = np.asarray(self.target_centre) - linear @ np.asarray(self.source_centre)
        return np.column_stack([linear, offset])

    def apply(self, lonlat: np.ndarray) -> np.ndarray:
        """Transform an (n, 2) array of lon/lat."""
        m = self.matrix()
        return lonlat @ m[:, :2].T + m[:, 2]

    def describe(self) -> dict:
        """JSON-friendly summary for the build report."""
        return {"scale": self.scale, "rotation_deg": self.rotation_deg,
                "source_centre": list(self.source_centre), "target_centre": list(self.target_centre),
                "matrix": np.round(self.matrix(), 9).tolist()}


def point(xy) -> dict:
    return {"type": "Point", "coordinates": list(xy)}


def feature(geometry: dict | None, props: dict) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _rounded(coords):
    """Round nested coordinate lists; only leaves (numbers) are touched."""
    if isinstance(coords, (list, tuple)):
        return [_rounded(c) for c in coords]
    return round(float(coords), DECIMALS)


def write_collection(path: Path, features: list[dict]) -> None:
    """Compact UTF-8 FeatureCollection; NaN is refused rather than written."""
    out = []
    for f in features:
        geom = f["geometry"]
        if geom is not None:
            geom = {"type": geom["type"], "coordinates": _rounded(geom["coordinates"])}
        out.append({**f, "geometry": geom})
    text = json.dumps({"type": "FeatureCollection", "features": out},
                      ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
