"""Exercise 7 — the paper's step schedule (section 4.2).

"We start with a learning rate of 0.1, divide it by 10 at 32k and 48k iterations, and
terminate training at 64k iterations."  Write the learning rate used at ``iteration``
(0-based: iteration 0 is the first step; from iteration 32000 on it is 0.01).
Check: ``python -m minires.teaching check ex7_lr_schedule.py``.
"""


def learning_rate(iteration, base_lr=0.1, milestones=(32000, 48000), gamma=0.1):
    ### BEGIN SOLUTION
    drops = sum(1 for m in milestones if iteration >= m)
    return base_lr * gamma**drops
    ### END SOLUTION
