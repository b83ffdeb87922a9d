"""Entry point of ``python -m applications.text_classification``."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
