"""``python -m minires`` is the same as the ``minires`` command."""

import sys

from minires.cli import main

if __name__ == "__main__":  # not when a worker process (Dask, multiprocessing) re-imports this module
    sys.exit(main())
