"""Control-step latency of the Ant network (28-128-64-8, ABCD_lr): NumPy and ONNX Runtime backends vs a naive
NumPy baseline measured in the same run. Same as `hebbkit bench`; pass its options (e.g. --json, --episodes 10).

    python benchmarks/runtime_step.py
"""

import sys

from hebbkit.trainer.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", *sys.argv[1:]]))
