"""Reports that may repeat one another: what the officer is offered to merge (issue 9, item 4).

A candidate has the same category and the same place (ward, commune or
special zone), was recorded within DAYS days before or after the report, is
not the report itself and was not rejected; and either its text is alike
(trigram similarity at least MIN_SIMILARITY, PostgreSQL's pg_trgm, installed
by migration feedback/0004) or both reports carry coordinates less than
NEAR_METRES apart (a bounding box in SQL, then the haversine distance in
Python). On another database (SQLite, the embedded default) the text test is
word overlap (Jaccard, same threshold) computed in Python.

Best first: a candidate that matches on both counts before one that matches
on one; then the more alike text, then the nearer place. Each returned report
carries `similarity` (0..1) and `distance_m` (metres, or None) for the page.

Merging itself is the service's ("reject" with reason "duplicate" and
`duplicate_of`); this module only reads.
"""

import math
import re
from datetime import timedelta

from django.db import connections

from feedback.models import Report
from feedback.workflow import ReportStatus

DAYS = 7
MIN_SIMILARITY = 0.3
NEAR_METRES = 150
EARTH_RADIUS_M = 6_371_000
METRES_PER_DEGREE_LAT = 111_320
# Reports read in Python when the database cannot compare texts itself (one place, one category, two weeks).
FALLBACK_SCAN_LIMIT = 1000

_WORD = re.compile(r"\w+", re.UNICODE)


def haversine_m(lat1, lng1, lat2, lng2) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    d_phi = phi2 - phi1
    d_lambda = math.radians(float(lng2) - float(lng1))
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def words(text: str) -> set[str]:
    return {word.casefold() for word in _WORD.findall(text or "")}


def jaccard(a: str, b: str) -> float:
    """Word overlap of two texts: |A ∩ B| / |A ∪ B| (0 when both are empty)."""
    left, right = words(a), words(b)
    union = left | right
    return len(left & right) / len(union) if union else 0.0


def _pool(report: Report):
    """Same category, same place, within DAYS days either side, not itself, not rejected."""
    window = timedelta(days=DAYS)
    return (
        Report.objects.filter(
            category_id=report.category_id,
            unit_id=report.unit_id,
            created_at__gte=report.created_at - window,
            created_at__lte=report.created_at + window,
        )
        .exclude(pk=report.pk)
        .exclude(status=ReportStatus.REJECTED)
        .select_related("category", "unit", "handling_unit", "receiving_unit")
    )


def _has_place(report: Report) -> bool:
    return report.latitude is not None and report.longitude is not None


def _nearby(pool, report: Report) -> dict[int, tuple[Report, float]]:
    """Reports of the pool within NEAR_METRES: a bounding box in SQL, the exact distance in Python."""
    if not _has_place(report):
        return {}
    lat = float(report.latitude)
    d_lat = NEAR_METRES / METRES_PER_DEGREE_LAT
    d_lng = NEAR_METRES / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01))
    boxed = pool.filter(
        latitude__gte=round(lat - d_lat, 6),
        latitude__lte=round(lat + d_lat, 6),
        longitude__gte=round(float(report.longitude) - d_lng, 6),
        longitude__lte=round(float(report.longitude) + d_lng, 6),
    )
    found = {}
    for other in boxed:
        distance = haversine_m(report.latitude, report.longitude, other.latitude, other.longitude)
        if distance <= NEAR_METRES:
            found[other.pk] = (other, distance)
    return found


def _alike_postgresql(pool, report: Report, limit: int) -> dict[int, tuple[Report, float]]:
    from django.contrib.postgres.search import TrigramSimilarity

    alike = (
        pool.annotate(text_similarity=TrigramSimilarity("text", report.text))
        .filter(text_similarity__gte=MIN_SIMILARITY)
        .order_by("-text_similarity", "-created_at")[: max(limit, 1) * 4]
    )
    return {other.pk: (other, float(other.text_similarity)) for other in alike}


def _alike_python(pool, report: Report) -> dict[int, tuple[Report, float]]:
    found = {}
    for other in pool.order_by("-created_at")[:FALLBACK_SCAN_LIMIT]:
        score = jaccard(report.text, other.text)
        if score >= MIN_SIMILARITY:
            found[other.pk] = (other, score)
    return found


def duplicate_candidates(report: Report, *, limit: int = 5) -> list[Report]:
    """Up to `limit` reports that may repeat `report`, best first (see the module docstring)."""
    if limit <= 0 or report.pk is None:
        return []
    pool = _pool(report)
    if connections[pool.db].vendor == "postgresql":
        alike = _alike_postgresql(pool, report, limit)
    else:
        alike = _alike_python(pool, report)
    near = _nearby(pool, report)
    candidates = []
    for pk in alike.keys() | near.keys():
        other = (alike.get(pk) or near.get(pk))[0]
        if pk in alike:
            other.similarity = alike[pk][1]
        elif connections[pool.db].vendor != "postgresql":
            other.similarity = jaccard(report.text, other.text)
        else:
            other.similarity = None  # not computed: the place matched
        other.distance_m = round(near[pk][1]) if pk in near else None
        candidates.append(other)

    def rank(other: Report):
        both = other.pk in alike and other.pk in near
        return (
            not both,
            -(other.similarity or 0.0),
            other.distance_m if other.distance_m is not None else NEAR_METRES + 1,
            -other.created_at.timestamp(),
        )

    candidates.sort(key=rank)
    return candidates[:limit]
