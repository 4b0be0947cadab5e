"""The scene queries' engine: written once as ibis expressions, run on DuckDB or on Spark.

A tower dump holds 10^5 to 10^7 rows and a force-wide search many times that,
so the scene analyses (common numbers, co-travel) are not pandas code: they are
ibis expressions over the scenes' Parquet files, which ibis compiles to the SQL
of whichever engine runs them.

- ``duckdb`` (the default): an embedded, in-process database. It reads the
  Parquet files in place and streams them through its operators, spilling to a
  temporary folder when a join or aggregate outgrows its memory limit, so a
  laptop answers over more rows than it could hold.
- ``spark``: the same expressions on a Spark cluster through ``ibis.pyspark``,
  given a SparkSession (``spark_session`` builds one from the environment; see
  docs/developer-guide.md, "Scenes on a Spark cluster").

Rules that keep both engines giving the same answer: times are compared as
integer microseconds since the epoch (``time_us``), never as timestamps, so no
session time zone can shift them; everything that needs the case's zone or a
distance on the sphere is worked out in pandas on the few distinct values it
concerns (night intervals, site pairs) and joined in as a small table; results
come back as Arrow and are put in order in pandas.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from cellsight.core.case import CaseError
from cellsight.core.scenestore import Scene, parquet_path

ENGINES = ("duckdb", "spark")
ENGINE_ENV = "CELLSIGHT_SCENE_ENGINE"
SPARK_MASTER_ENV = "CELLSIGHT_SPARK_MASTER"
SCENE_ROOT_ENV = "CELLSIGHT_SCENE_ROOT"
DUCKDB_MEMORY_ENV = "CELLSIGHT_DUCKDB_MEMORY"
DEFAULT_DUCKDB_MEMORY = "2GB"


class Engine:
    """One connection to a query engine and the scene tables registered on it.

    ``scene_root`` (a folder or URI, e.g. ``hdfs:///cases/OP-LANTERN``) replaces
    the case's folder when the engine reads the scene files from elsewhere (a
    cluster that holds a copy of ``<case>.scenes/``).
    """

    def __init__(self, name: str = "duckdb", session: Any = None, scene_root: str | None = None,
                 memory_limit: str | None = None) -> None:
        import ibis

        if name not in ENGINES:
            raise CaseError(f"unknown query engine {name!r}: use {', '.join(ENGINES)}")
        self.name = name
        self.scene_root = scene_root
        if name == "duckdb":
            self.con = ibis.duckdb.connect()
            limit = memory_limit or os.environ.get(DUCKDB_MEMORY_ENV) or DEFAULT_DUCKDB_MEMORY
            self.con.raw_sql(f"SET memory_limit = '{_setting(limit)}'")
            self.con.raw_sql("SET TimeZone = 'UTC'")
            # Where joins and aggregates spill when they outgrow the limit (not the current folder).
            spill = Path(tempfile.gettempdir()) / "cellsight-duckdb"
            self.con.raw_sql(f"SET temp_directory = '{str(spill).replace(chr(39), chr(39) * 2)}'")
        else:
            self.con = ibis.pyspark.connect(session if session is not None else spark_session())
        self._tables: dict[tuple[str, ...], Any] = {}

    def location(self, case_path: str | os.PathLike[str], scene: Scene) -> list[str]:
        """Where the engine reads a scene's Parquet files."""
        if self.scene_root:
            root = self.scene_root.rstrip("/")
            return [f"{root}/{Path(f.parquet).name}" for f in scene.files]
        return [str(parquet_path(case_path, f)) for f in scene.files]

    def scene_rows(self, case_path: str | os.PathLike[str], scenes: Sequence[Scene]) -> Any:
        """The rows of ``scenes`` as one ibis table with a ``scene`` column (the scene's name)."""
        import ibis

        parts = []
        for scene in scenes:
            paths = self.location(case_path, scene)
            if not paths:
                continue
            missing = [p for p in paths if not self.scene_root and not Path(p).is_file()]
            if missing:
                raise CaseError(f"scene {scene.name!r}: its rows are missing ({missing[0]}); "
                                "`cellsight verify` checks every scene file")
            key = tuple(paths)
            if key not in self._tables:
                name = f"scene_{len(self._tables)}"
                source = paths if self.name == "duckdb" else paths[0] if len(paths) == 1 else paths
                self._tables[key] = self.con.read_parquet(source, table_name=name)
            table = self._tables[key]
            parts.append(table.mutate(scene=ibis.literal(scene.name)))
        if not parts:
            raise CaseError("the scenes chosen have no rows")
        return parts[0] if len(parts) == 1 else ibis.union(*parts)

    def memtable(self, frame: pd.DataFrame) -> Any:
        """A small pandas table (night intervals, sites, the subject's events) for joining."""
        import ibis

        return ibis.memtable(frame.reset_index(drop=True))

    def fetch(self, expr: Any) -> pd.DataFrame:
        """Run ``expr`` and return its (small) result as pandas, through Arrow."""
        return self.con.to_pyarrow(expr).to_pandas()

    def close(self) -> None:
        if self.name == "duckdb":
            self.con.disconnect()


_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.I)


def _setting(value: str) -> str:
    """A DuckDB size setting (``2GB``), refusing anything that is not one."""
    text = str(value).strip()
    if not _SIZE.match(text):
        raise CaseError(f"{DUCKDB_MEMORY_ENV}={value!r} is not a memory size such as 2GB")
    return text


def spark_session(master: str | None = None) -> Any:
    """A SparkSession: ``SPARK_REMOTE`` (Spark Connect), else ``master`` or ``CELLSIGHT_SPARK_MASTER``,
    else a local one; session time zone UTC."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise CaseError("the spark engine needs pyspark (pip install 'cellsight[spark]')") from exc
    builder = SparkSession.builder.appName("cellsight-scenes").config("spark.sql.session.timeZone", "UTC")
    remote = os.environ.get("SPARK_REMOTE")
    if remote:
        return builder.remote(remote).getOrCreate()
    master = master or os.environ.get(SPARK_MASTER_ENV) or "local[*]"
    return builder.master(master).config("spark.ui.enabled", "false").getOrCreate()


def engine_from(name: str | None = None, session: Any = None) -> Engine:
    """The engine asked for (else ``CELLSIGHT_SCENE_ENGINE``, else DuckDB), with its environment."""
    chosen = name or os.environ.get(ENGINE_ENV) or "duckdb"
    return Engine(chosen, session=session, scene_root=os.environ.get(SCENE_ROOT_ENV) or None)


def between_any(column: Any, intervals: Sequence[tuple[int, int]]) -> Any:
    """``column`` in any of the half-open intervals ``[start, end)`` (a few dozen at most)."""
    import ibis

    if not intervals:
        return ibis.literal(False)
    return ibis.or_(*[(column >= int(s)) & (column < int(e)) for s, e in intervals])
