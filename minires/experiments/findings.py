"""The paper's findings, asked of measured results: each one answered yes or no, with its numbers.

    (a) a deeper plain net has a *higher training* error (degradation, Fig. 6 left);
    (b) a deeper ResNet has a lower test error (Fig. 6 middle, Table 6);
    (c) each ResNet beats the plain net of the same depth;
    (d) ResNets' layer responses are smaller than plain nets' (Fig. 7), and
    (e) a deeper ResNet's responses are smaller still.

An answer is None when the runs it needs are not there yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class Finding:
    question: str
    answer: bool | None  # None: not measured yet
    detail: str

    def line(self) -> str:
        mark = {True: "yes", False: "no", None: "not yet"}[self.answer]
        return f"- **{mark}** — {self.question}: {self.detail}"


def _compare(question: str, a: float | None, b: float | None, below: bool, unit: str = "%",
             names: tuple[str, str] = ("", ""), running: frozenset[str] = frozenset()) -> Finding:
    if a is None or b is None:
        missing = [n for n, v in zip(names, (a, b)) if v is None]
        why = " and ".join(f"{n} {'not finished' if n in running else 'not measured'} yet" for n in missing)
        return Finding(question, None, why)
    fmt = (lambda v: f"{v:.2f}%") if unit == "%" else (lambda v: f"{v:.3f}")
    return Finding(question, a < b if below else a > b, f"{names[0]} {fmt(a)} vs {names[1]} {fmt(b)}")


def network_label(name: str) -> str:
    """``"resnet56"`` -> ``"ResNet-56"``, ``"plain20"`` -> ``"plain-20"``: how the findings name a network."""
    for prefix, label in (("resnet", "ResNet-"), ("plain", "plain-")):
        if name.startswith(prefix):
            return label + name.removeprefix(prefix)
    return name


def degradation_findings(rows: Sequence[dict[str, Any]], depths: tuple[int, int] = (20, 56)) -> list[Finding]:
    """(a)–(c) from the table rows of ``degradation`` (errors in %, final values).

    A row whose runs have not finished (``"finished": False``) is left out, and the findings that
    need it answer "not yet" ("plain-56 not finished yet"): they are about trained networks, not
    about where a run happens to be paused.
    """
    by_name = {r["network"]: r for r in rows if r.get("finished", True)}
    running = frozenset(network_label(r["network"]) for r in rows if not r.get("finished", True))
    shallow, deep = depths

    def value(name: str, key: str) -> float | None:
        return by_name[name][key] if name in by_name else None

    out = [
        _compare(f"(a) plain-{deep} has a higher training error than plain-{shallow}",
                 value(f"plain{deep}", "train_error_mean"), value(f"plain{shallow}", "train_error_mean"), below=False,
                 names=(f"plain-{deep}", f"plain-{shallow}"), running=running),
        _compare(f"(b) ResNet-{deep} has a lower test error than ResNet-{shallow}",
                 value(f"resnet{deep}", "test_error_mean"), value(f"resnet{shallow}", "test_error_mean"), below=True,
                 names=(f"ResNet-{deep}", f"ResNet-{shallow}"), running=running),
    ]
    for depth in depths:
        out.append(_compare(f"(c) ResNet-{depth} has a lower test error than plain-{depth}",
                            value(f"resnet{depth}", "test_error_mean"), value(f"plain{depth}", "test_error_mean"),
                            below=True, names=(f"ResNet-{depth}", f"plain-{depth}"), running=running))
    return out


def response_findings(stds: dict[str, Sequence[float]], depths: tuple[int, int] = (20, 56)) -> list[Finding]:
    """(d)–(e) from each network's per-layer response stds (compared by their mean over layers)."""
    mean = {name: sum(v) / len(v) for name, v in stds.items() if v}
    out = [_compare(f"(d) ResNet-{d}'s responses are smaller than plain-{d}'s (mean std over layers)",
                    mean.get(f"resnet{d}"), mean.get(f"plain{d}"), below=True, unit="",
                    names=(f"ResNet-{d}", f"plain-{d}")) for d in depths]
    shallow, deep = depths
    out.append(_compare(f"(e) ResNet-{deep}'s responses are smaller than ResNet-{shallow}'s (mean std)",
                        mean.get(f"resnet{deep}"), mean.get(f"resnet{shallow}"), below=True, unit="",
                        names=(f"ResNet-{deep}", f"ResNet-{shallow}")))
    return out
