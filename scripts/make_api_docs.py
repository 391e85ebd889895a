"""Write docs/api.md from the public names and docstrings of minires's modules.

    python scripts/make_api_docs.py
"""

from __future__ import annotations

import functools
import importlib
import inspect
from pathlib import Path

from minires.checkpoint import atomic_write_bytes

MODULES = [
    "minires", "minires.nn", "minires.nn.functional", "minires.nn.functional.im2col", "minires.nn.init",
    "minires.optim", "minires.models",
    "minires.data", "minires.train", "minires.train.callbacks", "minires.experiments", "minires.experiments.budget",
    "minires.checkpoint",
    "minires.errors", "minires.amp", "minires.viz", "minires.backend", "minires.parallel",
]


def first_paragraph(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n")[0].replace("\n", " ")


def entry(head: str, obj: object) -> str:
    """``head: first paragraph``, or just ``head`` for a name the code leaves undocumented."""
    text = first_paragraph(obj)
    return f"{head}: {text}" if text else head


def signature(obj: object) -> str:
    try:
        return str(inspect.signature(obj))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


def public_names(module: object) -> list[str]:
    """``__all__``, or else the names the module defines itself (not what it imported)."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    own = module.__name__  # type: ignore[attr-defined]
    return [n for n, v in vars(module).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == own and not inspect.ismodule(v)]


def describe(name: str, obj: object) -> list[str]:
    """Markdown bullets for one public name: a function, a partial, or a class with its methods."""
    if isinstance(obj, functools.partial):
        bound = ", ".join([repr(a) for a in obj.args] + [f"{k}={v!r}" for k, v in obj.keywords.items()])
        return [f"- **`{name}{signature(obj)}`** (function): `{obj.func.__name__}({bound}, ...)`: "
                f"{first_paragraph(obj.func)}"]
    if inspect.isclass(obj):
        lines = [f"- **`{name}{signature(obj)}`** (class): {first_paragraph(obj)}"]
        for attr, member in vars(obj).items():
            if attr.startswith("_") and attr != "__call__":
                continue
            if isinstance(member, property):
                lines.append(entry(f"  - `.{attr}` (property)", member))
            elif isinstance(member, (classmethod, staticmethod)):
                fn = member.__func__
                lines.append(entry(f"  - `.{attr}{signature(getattr(obj, attr))}`", fn))
            elif inspect.isfunction(member):
                sig = signature(member).replace("(self, ", "(").replace("(self)", "()")
                lines.append(entry(f"  - `.{attr}{sig}`", member))
        return lines
    if callable(obj):
        return [entry(f"- **`{name}{signature(obj)}`** (function)", obj)]
    return []


API_MD = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def api_text() -> str:
    """docs/api.md as the code documents itself now (tests/test_docs.py checks the file is current)."""
    lines = ["# API reference", "", "Generated from the docstrings by `python scripts/make_api_docs.py`.", ""]
    for name in MODULES:
        module = importlib.import_module(name)
        lines += [f"## `{name}`", "", first_paragraph(module), ""]
        for attr in public_names(module):
            obj = getattr(module, attr)
            if inspect.ismodule(obj) or attr == "__version__":
                continue
            lines += describe(attr, obj)
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    atomic_write_bytes(API_MD, api_text().encode())
    print(f"wrote {API_MD}")


if __name__ == "__main__":
    main()
