"""Train the Rasa model only when its inputs change.

The model file is named after a hash of everything that shapes it: config, domain, training
data, our NLU components and the pinned package versions. `make run`, `make test` and
`make bench` all ask for the model here, so it is trained once and reused.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from core.settings import ROOT

MODELS_DIR = ROOT / "models"
KEEP = 3  # older models are deleted, newest first kept


def model_inputs(root: Path = ROOT) -> list[Path]:
    files = [root / "config.yml", root / "constraints.txt"]
    files += sorted((root / "domain").rglob("*.yml"))
    files += sorted((root / "data").rglob("*.yml"))
    files += sorted((root / "bot" / "nlu").rglob("*.py")) + sorted((root / "bot" / "nlu").rglob("*.yml"))
    files += [root / "core" / "text.py", root / "core" / "rules" / "teencode.yml"]  # the NLU's teencode table
    files += [root / "core" / "rules" / n for n in ("entities.yaml", "providers.yaml")]  # the CRF's lexicon features
    return [path for path in files if path.is_file()]


def inputs_hash(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for path in model_inputs(root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(root: Path = ROOT) -> Path:
    return MODELS_DIR / f"model-{inputs_hash(root)}.tar.gz"


def ensure_model(quiet: bool = False) -> Path:
    """The cached model for the current inputs, trained first if it does not exist yet."""
    path = model_path()
    if path.exists():
        if not quiet:
            print(f"model up to date: {path.relative_to(ROOT)}")
        return path
    print(f"training {path.name} (inputs changed) ...", flush=True)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "--fixed-model-name", path.name.removesuffix(".tar.gz"),
         "--out", str(MODELS_DIR), "--config", "config.yml", "--domain", "domain", "--data", "data"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    for old in sorted(MODELS_DIR.glob("model-*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP:]:
        old.unlink()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the model if its inputs changed; print its path")
    parser.add_argument("--print-path", action="store_true", help="only print the expected path")
    args = parser.parse_args()
    print(model_path() if args.print_path else ensure_model())


if __name__ == "__main__":
    main()
