"""hebbkit.trainer: environments, evolution strategies, rollouts, checkpoints, evaluation, and the `hebbkit` CLI.

Importing this package is cheap; torch, pybullet and ray are imported by the modules that use them.
"""
