"""``python -m lpr``: the ``lpr`` command (lpr.cli), for environments without its console script."""
import sys

from lpr.cli import main

sys.exit(main())
