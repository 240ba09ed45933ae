"""``build --trainer spark``: the iALS factors trained on Spark (local mode here), served as is."""

from __future__ import annotations

import json
import pickle
import shutil

import pytest

from tests.app_server import linked_home
from tests.conftest import IN_CI
from tests.test_cli import run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None and not IN_CI, reason="Spark needs Java 17"),
]


def _stage(summary: dict[str, object], name: str) -> dict[str, object]:
    stages = summary["stages"]
    assert isinstance(stages, list)
    return next(s for s in stages if s["name"] == name)


def test_spark_trains_the_factors_and_serving_keeps_them(real_env, real_build, tmp_path) -> None:  # type: ignore[no-untyped-def]
    home = linked_home(
        real_build[0].settings.artifacts_dir, tmp_path / "home", skip=("models", "index")
    )
    env = {**real_env, "MOVIEBOT_HOME": str(home)}
    spark = ["--trainer", "spark", "--spark-master", "local[2]"]
    first = run("build", "--only", "models", *spark, "--json", env=env, timeout=900)
    assert first.returncode == 0, first.stderr
    assert _stage(json.loads(first.stdout), "models")["status"] == "built"
    assert "WARN" not in first.stderr and "Stage " not in first.stderr  # Spark stays quiet

    manifest = json.loads((home / "artifacts/models/manifest.json").read_text())
    assert manifest["params"]["spark"]["mode"] == "implicit"
    models = pickle.loads((home / "artifacts/models/payload.pkl").read_bytes())
    assert models.ials.rule is not None and models.ials.rule.scaled_regularization
    assert models.ials.item_factors.shape == (9_742, 64)

    again = run("build", "--only", "models", "--json", env=env)  # no trainer named
    assert again.returncode == 0, again.stderr
    assert _stage(json.loads(again.stdout), "models")["status"] == "up to date"

    back = run("build", "--only", "models", "--trainer", "implicit", "--json", env=env)
    assert back.returncode == 0, back.stderr
    assert _stage(json.loads(back.stdout), "models")["status"] == "rebuilt"
