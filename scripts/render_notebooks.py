"""Execute every notebook and save the executed copy (outputs and plots) in docs/notebooks/.

    python scripts/render_notebooks.py            # all of them, a few minutes on 2 cores
    python scripts/render_notebooks.py 05         # those whose name starts with 05

So that a student browsing the repository sees every output without running anything.
Each notebook runs in a fresh kernel in a temporary folder (they must not depend on where
they are started).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parents[1]


def main(prefixes: list[str]) -> None:
    out = ROOT / "docs" / "notebooks"
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        if prefixes and not any(path.name.startswith(p) for p in prefixes):
            continue
        notebook = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory() as work:
            nbclient.NotebookClient(notebook, timeout=900, kernel_name="python3",
                                    resources={"metadata": {"path": work}}).execute()
        target = out / path.name
        tmp = target.with_suffix(".tmp")
        nbformat.write(notebook, tmp)
        tmp.replace(target)  # never half a notebook
        print("wrote", target)


if __name__ == "__main__":
    main(sys.argv[1:])
