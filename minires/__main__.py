"""``python -m minires`` is the same as the ``minires`` command."""

import sys

from minires.cli import main

sys.exit(main())
