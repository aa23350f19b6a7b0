"""What a training run shows while it runs: a progress bar with ETA (or one line per generation), and the log rows
as TensorBoard scalars in RUN_DIR/tensorboard. Both are optional extras: without tqdm or tensorboard the run
prints lines and logs to log.csv only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


class TrainingMonitor:
    """Progress and TensorBoard scalars of one run, from `start` to `generations`."""

    def __init__(self, directory: Path, start: int, generations: int, progress: bool = True,
                 tensorboard: bool = True) -> None:
        self._bar = _progress_bar(start, generations) if progress else None
        self._board = _tensorboard_writer(directory) if tensorboard else None

    def record(self, row: dict[str, Any]) -> None:
        """One generation's log row (`checkpoints.LOG_FIELDS`)."""
        generation = row["generation"]
        if self._board is not None:
            for key, value in row.items():
                if key != "generation":
                    self._board.add_scalar(f"train/{key}", value, generation)
            self._board.flush()
        mean, center, rate = row["fitness_mean"], row["center_fitness"], row["env_steps_per_second"]
        if self._bar is None:
            print(f"generation {generation}: mean fitness {mean:.2f}, centre {center:.2f}, {rate:.0f} env steps/s",
                  flush=True)
            return
        self._bar.update(1)
        self._bar.set_postfix(mean=f"{mean:.1f}", centre=f"{center:.1f}", steps_s=f"{rate:.0f}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        if self._board is not None:
            self._board.close()


def _progress_bar(start: int, generations: int):
    """A tqdm bar, or None if tqdm is not installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=generations, initial=start, unit="gen", dynamic_ncols=True)


def _tensorboard_writer(directory: Path):
    """A TensorBoard writer into RUN_DIR/tensorboard, or None (with a note) if tensorboard is not installed."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        print("(tensorboard not installed: logging to log.csv only; pip install tensorboard)", file=sys.stderr)
        return None
    return SummaryWriter(str(directory / "tensorboard"))
