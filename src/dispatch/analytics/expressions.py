"""SQL that reads the same on SQLite and PostgreSQL: durations, buckets, a partial index's
predicate, and percentiles.

Percentiles: PostgreSQL has `percentile_cont`, SQLite has nothing alike. Both have window
functions, so each group's values are numbered in order (`row_number`) and counted
(`count(*) OVER`), and the percentile is interpolated between the two ranks around it
exactly as `percentile_cont` does: for p = num/den over n values, the 0-based position
(n-1)·p splits into an integer part (integer division, the same on both databases) and a
fraction. All of it runs in the database; only one row per group comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Float, Integer, Select, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import Subquery
from sqlalchemy.sql.sqltypes import NullType

from dispatch.tickets.models import UNCOUNTED_SQL


class seconds_between(FunctionElement[float]):
    """Whole seconds from `earlier` to `later`."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "postgresql")
def _seconds_pg(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"ROUND(CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS DOUBLE PRECISION))"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"ROUND((julianday({later}) - julianday({earlier})) * 86400.0)"


class bucket_index(FunctionElement[int]):
    """The 0-based index of the last of the ascending instants (after the first
    argument) that is at or before the first argument, which must not precede the first
    instant. PostgreSQL finds it by binary search (`width_bucket`); SQLite walks a CASE.
    Assigning rows to buckets by arithmetic, not by a range join to a table of buckets,
    keeps each report one index range scan whatever the number of buckets."""

    type = Integer()
    inherit_cache = True
    name = "bucket_index"


@compiles(bucket_index, "postgresql")
def _bucket_index_pg(element: bucket_index, compiler: SQLCompiler, **kw: Any) -> str:
    value, *starts = (compiler.process(c, **kw) for c in element.clauses)
    return f"(width_bucket({value}, ARRAY[{', '.join(starts)}]) - 1)"


@compiles(bucket_index, "sqlite")
def _bucket_index_sqlite(element: bucket_index, compiler: SQLCompiler, **kw: Any) -> str:
    value, _first, *later = (compiler.process(c, **kw) for c in element.clauses)
    if not later:
        return "0"
    whens = " ".join(f"WHEN {value} < {start} THEN {k}" for k, start in enumerate(later))
    return f"(CASE {whens} ELSE {len(later)} END)"


class _Predicate(FunctionElement[Any]):
    """A partial index's predicate over one table (or alias), rendered exactly as the
    index declares it so that both planners use the index. (Untyped: a Boolean would
    gain an `= 1` on SQLite, and SQLite would no longer match the index.)"""

    type = NullType()
    inherit_cache = True
    predicates: ClassVar[dict[str, str]] = {}


class is_uncounted(_Predicate):
    """The ticket is left out of reports (arguments: `deleted_at`, `is_spam`,
    `merged_into_id`, `close_reason`)."""

    name = "is_uncounted"
    inherit_cache = True
    predicates = UNCOUNTED_SQL


@compiles(_Predicate)
def _predicate(element: _Predicate, compiler: SQLCompiler, **kw: Any) -> str:
    sql = element.predicates[compiler.dialect.name]
    for clause in element.clauses:
        # Qualify each bare column name with the table (or alias) it comes from.
        column = compiler.process(clause, **kw)
        bare = column.rsplit(".", 1)[-1]
        sql = sql.replace(bare, column, 1)
    return f"({sql})"


def percentile(
    value: ColumnElement[float],
    rank: ColumnElement[int],
    size: ColumnElement[int],
    num: int,
    den: int,
) -> ColumnElement[float]:
    """An aggregate over rows numbered 1..size by `value` (`rank`): the num/den
    percentile, interpolated like PostgreSQL's percentile_cont."""
    position = (size - 1) * num
    lower = position // den + 1
    fraction = (position % den) * 1.0 / den
    return func.sum(
        case(
            (rank == lower, value * (1 - fraction)),
            (rank == lower + 1, value * fraction),
            else_=0.0,
        )
    )


def duration_stats(rows: Subquery, bins: Sequence[int]) -> Select[Any]:
    """One row per (`total`, `grp`) of `rows` (columns total, grp, seconds): count, sum,
    average, median, 90th percentile and, for each edge in `bins`, how many values lie
    below it (the distribution's cumulative counts)."""
    partition = (rows.c.total, rows.c.grp)
    ranked = select(
        rows.c.total,
        rows.c.grp,
        rows.c.seconds,
        func.row_number().over(partition_by=partition, order_by=rows.c.seconds).label("rank"),
        func.count().over(partition_by=partition).label("size"),
    ).subquery("ranked")
    seconds, rank, size = ranked.c.seconds, ranked.c.rank, ranked.c.size
    below = [
        func.sum(case((seconds < edge, 1), else_=0)).label(f"below_{i}")
        for i, edge in enumerate(bins)
    ]
    return select(
        ranked.c.total,
        ranked.c.grp,
        func.count().label("count"),
        func.sum(seconds).label("sum"),
        func.avg(seconds).label("average"),
        percentile(seconds, rank, size, 1, 2).label("median"),
        percentile(seconds, rank, size, 9, 10).label("p90"),
        *below,
    ).group_by(ranked.c.total, ranked.c.grp)
