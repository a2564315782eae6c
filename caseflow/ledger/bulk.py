"""Bulk inserts for the ledger's large tables (roster rows, comparison results).

On SQLite the rows go straight to the driver's executemany as tuples, with the JSON columns
serialised here (roster rows arrive as tuples with `raw` already JSON text): SQLAlchemy's per-row
parameter processing and JSON encoding cost about as much as SQLite itself at 500,000 rows.
PostgreSQL keeps the Core executemany (psycopg needs the JSON type adaptation that SQLAlchemy
provides). Either way the rows go into the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import JSON, Table, insert
from sqlalchemy.orm import Session

from caseflow.db.models import Base, RosterRow

_DUMPS = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (all with the same keys) into the model's table, in the session's
    transaction."""
    if not rows:
        return
    table = cast(Table, model.__table__)
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return
    keys = list(rows[0])
    json_at = [i for i, k in enumerate(keys) if isinstance(table.c[k].type, JSON)]
    # Other columns with their own bind processing (e.g. UTC datetimes) get exactly the
    # processor SQLAlchemy would apply.
    processors = [
        (i, proc)
        for i, k in enumerate(keys)
        if i not in json_at and (proc := table.c[k].type._cached_bind_processor(conn.dialect))
    ]
    sql = f"INSERT INTO {table.name} ({', '.join(keys)}) VALUES ({', '.join('?' for _ in keys)})"
    dumps = _DUMPS
    # itemgetter pulls a row's values in C; only the JSON and processed columns are touched.
    if len(keys) == 1:
        params: list[Any] = [(row[keys[0]],) for row in rows]
    else:
        getter = itemgetter(*keys)
        params = [getter(row) for row in rows]
    if json_at or processors:
        for n, values in enumerate(params):
            values = list(values)
            for i in json_at:
                values[i] = dumps(values[i])
            for i, proc in processors:
                values[i] = proc(values[i])
            params[n] = tuple(values)  # SQLAlchemy takes only tuples or dicts as parameters
    conn.exec_driver_sql(sql, params)


def insert_roster_rows(
    session: Session, import_id: int, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """INSERT roster rows given as tuples in the order of `columns` (the last one `raw`, as JSON
    text) under one import, in the session's transaction. On SQLite the tuples go to the driver
    as they are (the import id written into the statement)."""
    if not rows:
        return
    if columns[-1] != "raw":
        raise ValueError("insert_roster_rows needs raw as the last column")
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        conn.execute(
            insert(cast(Table, RosterRow.__table__)),
            [
                {
                    "import_id": import_id,
                    **dict(zip(columns, row, strict=True)),
                    "raw": json.loads(row[-1]),
                }
                for row in rows
            ],
        )
        return
    sql = (
        f"INSERT INTO roster_rows (import_id, {', '.join(columns)}) "
        f"VALUES ({int(import_id)}, {', '.join('?' for _ in columns)})"
    )
    conn.exec_driver_sql(sql, list(rows))


# SQLite's default page cache is 2 MiB: a 500,000-row import updates two indexes in random key
# order (ID numbers, household keys) and then thrashes it. 64 MiB keeps the index pages in memory.
# The setting stays with the pooled connection, which is harmless (it is a ceiling, not a
# reservation).
SQLITE_CACHE_KIB = 65536


def prepare_bulk(session: Session) -> None:
    """Give this session's connection room for a large import or comparison."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
