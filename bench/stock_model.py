"""Rasa as a user would deploy it out of the box, trained once on our domain and data and cached.

The model is named after a hash of its inputs (bench/config_stock.yml, domain, data, pinned
packages), like bot/model_cache.py names ours, so `make bench-load` trains it only when those change.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from core.settings import ROOT

# Rasa's defaults written out with fewer epochs (see the file); BENCH_STOCK_CONFIG=bench/config_stock.yml
# trains the defaults exactly (about an hour here).
CONFIG = ROOT / os.environ.get("BENCH_STOCK_CONFIG", "bench/config_stock_bench.yml")
MODELS_DIR = ROOT / "models"


def stock_inputs(root: Path = ROOT) -> list[Path]:
    files = [CONFIG, root / "constraints.txt"]
    files += sorted((root / "domain").rglob("*.yml")) + sorted((root / "data").rglob("*.yml"))
    return [path for path in files if path.is_file()]


def stock_model_path(root: Path = ROOT) -> Path:
    digest = hashlib.sha256()
    for path in stock_inputs(root):
        # The configuration by its content, so that editing its comments does not retrain.
        content = json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), sort_keys=True).encode() \
            if path == CONFIG else path.read_bytes()
        digest.update(str(path.relative_to(root)).encode() + b"\0" + content + b"\0")
    return MODELS_DIR / f"stock-{digest.hexdigest()[:16]}.tar.gz"


def ensure_stock_model() -> Path:
    """The cached stock model for the current inputs, trained first (several minutes) if missing."""
    path = stock_model_path()
    if path.exists():
        return path
    print(f"bench: training the stock model {path.name} (inputs changed; several minutes) ...", flush=True)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    with tempfile.TemporaryDirectory() as scratch:
        config = Path(shutil.copy(CONFIG, Path(scratch) / "config.yml"))  # Rasa writes its defaults into it
        env["RASA_CACHE_DIRECTORY"] = str(Path(scratch) / "cache")
        subprocess.run(
            [sys.executable, "-m", "rasa", "train", "--config", str(config), "--domain", "domain", "--data", "data",
             "--out", str(MODELS_DIR), "--fixed-model-name", path.name.removesuffix(".tar.gz")],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    for old in sorted(MODELS_DIR.glob("stock-*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)[2:]:
        old.unlink()
    return path


if __name__ == "__main__":
    print(ensure_stock_model())
