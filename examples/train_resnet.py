"""Train the paper's ResNet-20 with the training engine (the same as `minires train`).

    python examples/train_resnet.py                 # on the embedded sample, ~2 minutes
    python examples/train_resnet.py --data ~/.cache/minires --schedule-scale 0.01
"""

import argparse

from minires.train import TrainConfig, train

parser = argparse.ArgumentParser()
parser.add_argument("--data", default="sample")
parser.add_argument("--schedule-scale", type=float, default=0.0015)  # 96 iterations
parser.add_argument("--out", default="runs/example-resnet20")
args = parser.parse_args()

config = TrainConfig(model="resnet20", data=args.data, out=args.out, schedule_scale=args.schedule_scale,
                     eval_every=16000, checkpoint_every=16000)
result = train(config, resume=True)
print(result)
