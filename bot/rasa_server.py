"""`python -m bot.rasa_server run ...`: Rasa's own command line, with bot/rasa_patches applied first.

The runtime starts Rasa through this module instead of `python -m rasa`; the arguments are Rasa's.

JAX is kept out of the process: TensorFlow's TFLite helpers import it if it is installed (TensorFlow
2.12 requires it, so it is) and do without it when the import fails; nothing in Rasa uses it, and
loading it cost the Rasa server ~75 MB of memory.
"""

from __future__ import annotations

import sys

from bot import rasa_patches

NOT_IMPORTED = ("jax",)


def keep_out_unused_packages() -> None:
    """Make `import jax` fail in this process unless it was imported already."""
    for name in NOT_IMPORTED:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type] - None in sys.modules: ImportError


def main() -> None:
    keep_out_unused_packages()
    rasa_patches.apply()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
