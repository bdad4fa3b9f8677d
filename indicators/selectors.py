"""Reads of the indicator store, scoped by unit paths.

The pull endpoints call these with ``unit_paths`` from ``unit_paths_for(user)`` (or
``None`` for open data and superusers). Each read is one SQL statement (``rollup``
reads the ids of the level's units first).

- ``observations_query``: observations as ``ObservationRow``s, optionally
  expressed in the pre- or post-2025 units (see docs/indicators.md).
- ``observation_history``: every version of one natural key, with its lineage.
- ``rollup``: per unit of a level, its reported value beside the value rolled up
  from the units directly below it.
"""

# ruff: noqa: S608 (the SQL is built from fixed fragments; every value is a parameter)
from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction

from forms.definition.periods import parse_period
from indicators.models import Aggregation, Indicator
from indicators.publishing import dim_key_of
from orgunits.selectors import grants_of

ANALYST_ROLES = frozenset({"analyst", "reviewer", "administrator"})
REFORMS = ("as_reported", "pre2025", "post2025")
# A rolled-up value differs from the reported one beyond this (absolute) tolerance.
TOLERANCE = Decimal("0.0005")


@dataclass(frozen=True)
class ObservationRow:
    indicator: str
    dim_key: str
    dims: dict
    unit_code: str
    unit_name: str
    level: str
    period: str
    value: Decimal
    status: str
    published_at: datetime.datetime
    revision_id: int | None
    event_id: int | None
    unit_valid_to: datetime.date | None = None  # tells pre- and post-reform apart


@dataclass(frozen=True)
class HistoryRow:
    id: int
    value: Decimal
    status: str
    is_current: bool
    published_at: datetime.datetime
    withdrawn_at: datetime.datetime | None
    superseded_by_id: int | None
    submission_id: int
    revision_id: int
    revision_number: int
    event_id: int
    event_action: str
    approved_by: str | None
    approved_at: datetime.datetime
    approver_name: str | None = None


class RollupRow(NamedTuple):
    """One unit (and dimension key) of a rollup; a tuple, since a national rollup
    returns hundreds of thousands."""

    unit_code: str
    unit_name: str
    dim_key: str
    reported: Decimal | None
    rolled_up: Decimal | None
    units_below: int
    differs: bool


def unit_paths_for(user) -> list[str] | None:
    """Return the unit paths whose subtrees ``user`` may read figures of (analyst,
    reviewer and administrator roles); None for a superuser (no restriction)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return None
    paths = sorted({g.path for g in grants_of(user) if g.role in ANALYST_ROLES})
    return [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]


def _paths_clause(column: str, unit_paths, params: list) -> str:
    if unit_paths is None:
        return "TRUE"
    if not unit_paths:
        return "FALSE"
    params.append(
        [
            path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            for path in unit_paths
        ]
    )
    return f"{column} LIKE ANY(%s)"


_MAP_POST2025 = """
    SELECT DISTINCT ON (s.predecessor_id) s.predecessor_id AS from_id,
           s.successor_id AS to_id
    FROM orgunits_orgunitsuccessor s
    JOIN orgunits_orgunit p ON p.id = s.predecessor_id
    JOIN orgunits_orgunit n ON n.id = s.successor_id
    ORDER BY s.predecessor_id, s.is_default DESC, (n.code = p.code) DESC, n.code, n.id
"""
_MAP_PRE2025 = """
    SELECT DISTINCT ON (s.successor_id) s.successor_id AS from_id,
           s.predecessor_id AS to_id
    FROM orgunits_orgunitsuccessor s
    JOIN orgunits_orgunit p ON p.id = s.predecessor_id
    JOIN orgunits_orgunit n ON n.id = s.successor_id
    ORDER BY s.successor_id, (p.code = n.code) DESC, s.is_default DESC, p.code, p.id
"""


def observations_query(
    *,
    unit_paths: list[str] | None,
    indicators: list[str] | None = None,
    units: list[str] | None = None,
    level: str | None = None,
    period_from: str | None = None,
    period_to: str | None = None,
    dims: dict[str, str] | None = None,
    reform: str = "as_reported",
    open_only: bool = False,
    current_only: bool = True,
) -> list[ObservationRow]:
    """Return observations, ordered by indicator, unit code, period, dimension key.

    ``unit_paths`` None: no unit restriction; otherwise only units whose path
    starts with one of them. ``units`` are unit codes and ``level`` a level code,
    both of the unit the row is reported for (after the reform mapping).
    ``period_from``/``period_to`` are period ids (2026M01, 2026M1, 2026Q1, 2026):
    observations whose period lies within them. ``dims`` keeps observations
    carrying these dimension values. ``reform``: "as_reported", or "pre2025" /
    "post2025" to express figures in the units of that side of the 2025 reform
    (merged units summed by the indicator's aggregation; see docs/indicators.md).
    ``open_only``: official figures of open-data indicators only. Raises
    ``ValueError`` on a bad period or reform.
    """
    if reform not in REFORMS:
        raise ValueError(f"reform must be one of {', '.join(REFORMS)}")
    where, params = ["TRUE"], []
    if current_only:
        where.append("o.is_current")
    if indicators:
        where.append("i.code = ANY(%s)")
        params.append(list(indicators))
    if period_from:
        where.append("o.period_start >= %s")
        params.append(parse_period(period_from).start)
    if period_to:
        where.append("o.period_end <= %s")
        params.append(parse_period(period_to).end)
    if dims:
        where.append("o.dims @> %s::jsonb")
        params.append(json.dumps(dims))
    if open_only:
        where.append("i.open_data AND o.status = 'official'")
    outer, outer_params = ["TRUE"], []
    if units:
        outer.append("u.code = ANY(%s)")
        outer_params.append(list(units))
    if level:
        outer.append("l.code = %s")
        outer_params.append(level)
    outer.append(_paths_clause("u.path", unit_paths, outer_params))
    if reform == "as_reported":
        sql = f"""
            SELECT i.code, o.dim_key, o.dims, u.code, u.name, l.code, o.period,
                   o.value, o.status, o.published_at, o.revision_id,
                   o.approval_event_id, u.valid_to
            FROM indicators_observation o
            JOIN indicators_indicator i ON i.id = o.indicator_id
            JOIN orgunits_orgunit u ON u.id = o.org_unit_id
            JOIN orgunits_orglevel l ON l.id = u.level_id
            WHERE {" AND ".join(where + outer)}
            ORDER BY i.code, u.code, o.period_start, o.period, o.dim_key, o.id
        """
        return _observation_rows(sql, params + outer_params)
    mapping = {"post2025": _MAP_POST2025, "pre2025": _MAP_PRE2025}[reform]
    # History rows are never merged with each other: each keeps its own group.
    group_id = "NULL::integer" if current_only else "o.id"
    # A figure mapped across the reform is shown only when the caller may see every
    # unit it was made from, not only the unit it is shown for.
    source_params: list = []
    source_visible = _paths_clause("su.path", unit_paths, source_params)
    sql = f"""
        WITH map AS ({mapping}),
        src AS (
            SELECT o.*, COALESCE(m.to_id, o.org_unit_id) AS target_id,
                   {group_id} AS group_id,
                   i.code AS indicator_code, i.aggregation,
                   ({source_visible}) AS source_visible
            FROM indicators_observation o
            JOIN indicators_indicator i ON i.id = o.indicator_id
            JOIN orgunits_orgunit su ON su.id = o.org_unit_id
            LEFT JOIN map m ON m.from_id = o.org_unit_id
            WHERE {" AND ".join(where)}
        )
        SELECT src.indicator_code, src.dim_key, (array_agg(src.dims))[1],
               u.code, u.name, l.code, src.period,
               CASE
                 WHEN COUNT(*) = 1 THEN MIN(src.value)
                 WHEN MIN(src.aggregation) = 'sum' THEN SUM(src.value)
                 WHEN MIN(src.aggregation) = 'weighted_average' THEN
                   SUM(src.value * COALESCE(w.value, 1))
                   / NULLIF(SUM(COALESCE(w.value, 1)), 0)
               END,
               MIN(src.status), MAX(src.published_at),
               CASE WHEN COUNT(*) = 1 THEN MIN(src.revision_id) END,
               CASE WHEN COUNT(*) = 1 THEN MIN(src.approval_event_id) END,
               u.valid_to
        FROM src
        JOIN orgunits_orgunit u ON u.id = src.target_id
        JOIN orgunits_orglevel l ON l.id = u.level_id
        LEFT JOIN indicators_indicator wi
          ON wi.id = src.indicator_id AND src.aggregation = 'weighted_average'
        LEFT JOIN indicators_observation w
          ON w.indicator_id = wi.weight_indicator_id AND w.is_current
         AND w.org_unit_id = src.org_unit_id AND w.period = src.period
         AND w.dim_key = src.dim_key
        WHERE {" AND ".join(outer)}
        GROUP BY src.indicator_code, src.dim_key, u.id, l.code, src.period,
                 src.period_start, src.group_id
        HAVING bool_and(src.source_visible)
        ORDER BY src.indicator_code, u.code, src.period_start, src.period,
                 src.dim_key, src.group_id
    """
    return _observation_rows(sql, source_params + params + outer_params)


def _observation_rows(sql: str, params: list) -> list[ObservationRow]:
    with connection.cursor() as cursor:
        _fast_timestamps(cursor)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # Dimension values repeat across rows: decode each distinct text once (each row
    # still gets its own dict).
    decoded: dict[str, dict] = {}
    result = []
    for row in rows:
        # A merge of figures that cannot be aggregated has no value.
        if row[7] is None:
            continue
        dims = row[2]
        if not isinstance(dims, dict):
            parsed = decoded.get(dims)
            if parsed is None:
                parsed = decoded[dims] = json.loads(dims)
            dims = dict(parsed)
        result.append(ObservationRow(row[0], row[1], dims, *row[3:]))
    return result


def _fast_timestamps(cursor) -> None:
    """Load timestamptz columns of ``cursor`` with psycopg's compiled loader.

    Django's loader (a Python subclass, to pin the time zone) parses each value in
    Python, which dominates reading thousands of rows; the session time zone is
    Django's (UTC), so the compiled loader gives the same instants."""
    raw = getattr(cursor, "cursor", None)
    if raw is None or not hasattr(raw, "adapters"):  # not psycopg 3
        return
    from psycopg.types.datetime import TimestamptzLoader

    raw.adapters.register_loader("timestamptz", TimestamptzLoader)


def observation_history(
    *,
    unit_paths: list[str] | None,
    indicator: str,
    unit_code: str,
    period: str,
    dim_key: str = "",
) -> list[HistoryRow]:
    """Return every version of one natural key (current, superseded, withdrawn),
    oldest first, with its lineage: report, revision and approval event."""
    params: list = [indicator, unit_code, parse_period(period).id, dim_key]
    paths = _paths_clause("u.path", unit_paths, params)
    sql = f"""
        SELECT o.id, o.value, o.status, o.is_current, o.published_at,
               o.withdrawn_at, o.superseded_by_id, o.submission_id,
               o.revision_id, r.number, o.approval_event_id, e.action,
               a.username, e.created_at,
               NULLIF(TRIM(CONCAT(a.first_name, ' ', a.last_name)), '')
        FROM indicators_observation o
        JOIN indicators_indicator i ON i.id = o.indicator_id
        JOIN orgunits_orgunit u ON u.id = o.org_unit_id
        JOIN reporting_revision r ON r.id = o.revision_id
        JOIN workflow_approvalevent e ON e.id = o.approval_event_id
        LEFT JOIN auth_user a ON a.id = e.actor_id
        WHERE i.code = %s AND u.code = %s AND o.period = %s AND o.dim_key = %s
          AND {paths}
        ORDER BY o.published_at, o.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [HistoryRow(*row) for row in cursor.fetchall()]


def rollup(
    *,
    unit_paths: list[str] | None,
    indicator: str,
    period: str,
    level: str,
    dims: dict[str, str] | None = None,
) -> list[RollupRow]:
    """Return, for each unit of ``level`` (within ``unit_paths``) and dimension key,
    its reported value and the value rolled up from the units directly below it by
    the indicator's aggregation (sum; average weighted by the weight indicator's
    observations of the same units; "none": not computed), with a flag where both
    exist and differ. ``dims`` None: every dimension key; otherwise the one key of
    these values. One statement, one pass: a GROUP BY of the level's units and their
    children.
    """
    target = Indicator.objects.filter(code=indicator).first()
    if target is None:
        return []
    period_id = parse_period(period).id
    targets_params: list = [level]
    paths = _paths_clause("u.path", unit_paths, targets_params)
    dim_clause = "TRUE"
    dim_params: list = []
    if dims is not None:
        dim_clause = "o.dim_key = %s"
        dim_params = [dim_key_of(dims)]
    weight_join, weight_params = "", []
    if target.aggregation == Aggregation.SUM:
        rolled = "SUM(o.value) FILTER (WHERE s.below)"
    elif target.aggregation == Aggregation.WEIGHTED_AVERAGE:
        rolled = (
            "SUM(o.value * w.value) FILTER (WHERE s.below)"
            " / NULLIF(SUM(w.value) FILTER (WHERE s.below), 0)"
        )
        weight_join = """LEFT JOIN indicators_observation w
            ON s.below AND w.indicator_id = %s AND w.is_current
           AND w.org_unit_id = o.org_unit_id AND w.period = o.period
           AND w.dim_key = o.dim_key"""
        weight_params = [target.weight_indicator_id]
    else:
        rolled = "NULL::numeric"
    # The level's units and their children first (a few thousand ids): each
    # observation then belongs to one unit of the level, as its reported value or
    # (a child's) rolled up into it, and one GROUP BY gives both side by side.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""WITH target AS (
                SELECT u.id, u.level_id FROM orgunits_orgunit u
                JOIN orgunits_orglevel l ON l.id = u.level_id
                WHERE l.code = %s AND {paths}
            )
            SELECT id, level_id FROM target
            UNION ALL
            SELECT c.id, NULL
            FROM orgunits_orgunit c JOIN target ON c.parent_id = target.id""",
            targets_params,
        )
        scope = cursor.fetchall()
    if not scope:
        return []
    level_id = next(level for _unit, level in scope if level is not None)
    # A unit of the level owns its own row; a child's row rolls up into its parent.
    sql = f"""
        SELECT u.code, u.name, g.dim_key, g.reported, g.rolled_up, g.units,
               COALESCE(abs(g.reported - g.rolled_up) > %s, FALSE)
        FROM (
            SELECT CASE WHEN s.below THEN s.parent_id ELSE s.id END AS owner_id,
                   o.dim_key,
                   MIN(o.value) FILTER (WHERE NOT s.below) AS reported,
                   {rolled} AS rolled_up,
                   COUNT(*) FILTER (WHERE s.below) AS units
            FROM indicators_observation o
            JOIN (
                SELECT c.id, c.parent_id, c.level_id <> %s AS below
                FROM orgunits_orgunit c WHERE c.id = ANY(%s)
            ) s ON s.id = o.org_unit_id
            {weight_join}
            WHERE o.indicator_id = %s AND o.period_start = %s AND o.period = %s
              AND o.is_current AND {dim_clause}
            GROUP BY 1, o.dim_key
        ) g
        JOIN orgunits_orgunit u ON u.id = g.owner_id
        ORDER BY u.code, g.dim_key
    """
    params = [
        TOLERANCE,
        level_id,
        [row[0] for row in scope],
        *weight_params,
        target.pk,
        parse_period(period).start,
        period_id,
        *dim_params,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        # One indicator and one period are a sliver of the store: the covering
        # index observation_rollup_idx is the path. Right after a publishing wave
        # (before autovacuum sets the visibility map) the planner prices that
        # index-only scan at one heap visit per row and may read the whole store
        # instead; keep it on the index for this statement.
        cursor.execute(
            "SELECT current_setting('enable_seqscan'),"
            " set_config('enable_seqscan', 'off', true)"
        )
        previous = cursor.fetchone()[0]
        cursor.execute(sql, params)
        rows = list(map(RollupRow._make, cursor.fetchall()))
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [previous])
    return rows


def user_can_edit_catalogue(user) -> bool:
    """Return whether ``user`` administers the catalogue: a superuser, or an
    administrator of a national (root) unit."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return any(
        grant.role == "administrator" and grant.path.count("/") == 1
        for grant in grants_of(user)
    )


def indicators_catalogue():
    """Return the catalogue with dimensions and weights, for display (metadata:
    every signed-in user may read it)."""
    return Indicator.objects.select_related("weight_indicator").prefetch_related(
        "dimensions__codes"
    )


def cell_mappings_of(form_version) -> dict[tuple[str, int], object]:
    """Return the mappings of a form version keyed by (row code, column)."""
    from indicators.models import CellMapping

    return {
        (m.row_code, m.column): m
        for m in CellMapping.objects.select_related("indicator").filter(
            form_version=form_version
        )
    }
