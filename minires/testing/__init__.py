"""Test devices: stand-ins that let the GPU half of minires be tested on any machine.

    minires.tensor(x, device="simcuda")      # a CUDA device simulated on the CPU (``simcuda``)

See ``minires.testing.simcuda`` for what it checks and what it cannot tell.
"""
