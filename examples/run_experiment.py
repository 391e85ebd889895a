"""Run a small degradation experiment and the layer-response analysis, from Python.

    python examples/run_experiment.py          # tiny nets on the embedded sample, a few minutes

The same as `minires degradation ...` followed by `minires responses ...`.
"""

from pathlib import Path

from minires.experiments import degradation, markdown_table, responses
from minires.train import TrainConfig

out = Path("runs/example-experiment")
base = TrainConfig(data="sample", batch_size=64, iterations=60, milestones=[40], eval_every=20,
                   checkpoint_every=20, eval_subset=500)
rows = degradation(base, depths=[8, 20], out=out)
print(markdown_table(rows))
stds = responses(sorted((out / "runs").iterdir()), out / "responses", limit=500)
for name, values in stds.items():
    print(f"{name:<10} mean response std {sum(values) / len(values):.3f}")
print(f"figures in {out}")
