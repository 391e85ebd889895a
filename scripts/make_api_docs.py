"""Write docs/api.md from the public names and docstrings of minires's modules.

    python scripts/make_api_docs.py
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

MODULES = [
    "minires", "minires.nn", "minires.nn.functional", "minires.nn.init", "minires.optim", "minires.models",
    "minires.data", "minires.train", "minires.experiments", "minires.checkpoint", "minires.backend",
    "minires.parallel",
]


def first_paragraph(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n")[0].replace("\n", " ")


def signature(obj: object) -> str:
    try:
        return str(inspect.signature(obj))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


def main() -> None:
    lines = ["# API reference", "", "Generated from the docstrings by `python scripts/make_api_docs.py`.", ""]
    for name in MODULES:
        module = importlib.import_module(name)
        lines += [f"## `{name}`", "", first_paragraph(module), ""]
        public = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for attr in public:
            obj = getattr(module, attr)
            if inspect.ismodule(obj) or attr == "__version__":
                continue
            if not (inspect.isclass(obj) or inspect.isfunction(obj) or callable(obj)):
                continue
            kind = "class" if inspect.isclass(obj) else "function"
            lines.append(f"- **`{attr}{signature(obj)}`** ({kind}): {first_paragraph(obj)}")
        lines.append("")
    out = Path(__file__).resolve().parents[1] / "docs" / "api.md"
    out.write_text("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
