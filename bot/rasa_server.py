"""`python -m bot.rasa_server run ...`: Rasa's own command line, with bot/rasa_patches applied first.

The runtime starts Rasa through this module instead of `python -m rasa`; the arguments are Rasa's.
"""

from __future__ import annotations

from bot import rasa_patches


def main() -> None:
    rasa_patches.apply()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
