"""The scene queries on Spark give DuckDB's answers (opt-in: ``pytest -m spark``).

The same ibis expressions run on a local Spark session (``local[1]``, UTC);
skipped when pyspark or Java is not installed.
"""

from __future__ import annotations

import shutil

import pytest

import factories
from cellsight.analysis import cotravel, scenequery, scenes
from cellsight.core.casefile import save_case
from tests.core import scene_data as sd

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    pyspark = pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java")
    session = (pyspark.sql.SparkSession.builder.master("local[1]").appName("cellsight-test")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    yield session
    session.stop()


def test_spark_gives_duckdbs_answers(tmp_path, spark) -> None:
    case = sd.planted_case()
    path = factories.save(case, tmp_path)
    sd.add_planted_scenes(case, path, sd.write_dumps(tmp_path))
    save_case(case, path)
    on_spark = scenequery.Engine("spark", session=spark)
    for options in (scenes.CommonOptions(min_scenes=2), scenes.CommonOptions(min_scenes=2, night=(22, 6)),
                    scenes.CommonOptions(min_scenes=2, scene_hour=True, exclude_subjects=True)):
        local = scenes.common_numbers(case, path, options)
        remote = scenes.common_numbers(case, path, options, engine=on_spark)
        assert remote["numbers"] == local["numbers"] and remote["numbers"]
        assert remote["parameters"]["engine"] == "spark"
    local = cotravel.run(case, path, "Sam")
    remote = cotravel.run(case, path, "Sam", engine=on_spark)
    assert remote["candidates"] == local["candidates"]
    assert remote["candidates"][0]["number"] == "+447700900777" and remote["candidates"][0]["share"] == 0.8
