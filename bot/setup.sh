#!/usr/bin/env bash
# Build .venv with Python 3.10 and the pinned packages. A second run with unchanged pins is a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  local candidate
  for candidate in "${PYTHON310:-}" "$(command -v python3.10 || true)" \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*/bin/python3.10 /root/.pyenv/versions/3.10.*/bin/python3.10; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [ "${1:-}" = "--lock" ]; then
  # Re-resolve requirements.txt from scratch and pin the result in constraints.txt.
  python="$(find_python)" || { echo "lock: Python 3.10 not found" >&2; exit 1; }
  rm -rf .venv-lock
  "$python" -m venv .venv-lock
  .venv-lock/bin/python -m pip install --quiet --upgrade "pip>=24"
  .venv-lock/bin/python -m pip install --quiet -r requirements.txt
  { echo "# pip freeze of the environment the tests passed in (Python 3.10). Regenerate: make lock"
    .venv-lock/bin/python -m pip freeze; } > constraints.txt
  rm -rf .venv-lock
  echo "lock: constraints.txt rewritten"
  exit 0
fi

# Two `make` targets started at once (make model & make run) must not build the same .venv together.
exec 9>.setup.lock
flock 9

stamp=".venv/.installed"
want="$(cat requirements.txt constraints.txt | sha256sum | cut -c1-16)"
if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "setup: .venv is up to date"
  exit 0
fi

if ! python="$(find_python)"; then
  cat >&2 <<'MSG'
setup: Python 3.10 was not found. Rasa 3.6 runs only on Python 3.8-3.10.
  Looked at: $PYTHON310, python3.10 on PATH, ~/.pyenv/versions/3.10.*.
  Fix: `pyenv install 3.10.13`, or set PYTHON310=/path/to/python3.10 and run `make setup` again.
MSG
  exit 1
fi

echo "setup: building .venv with $python"
rm -rf .venv
"$python" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade "pip>=24"
.venv/bin/python -m pip install --quiet -r requirements.txt -c constraints.txt
.venv/bin/python -m pip check
echo "$want" > "$stamp"
echo "setup: done"
