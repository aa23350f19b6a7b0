"""Write an episode as an animated GIF (Pillow), from any env with render_mode="rgb_array".

`record_gif` runs its own loop (any Gymnasium env, any `act`); `GifFrames` collects the frames of an episode that
someone else steps, e.g. `fitness.run_episode(..., env=env, on_step=frames)`, so the GIF shows exactly the
evaluation's episode.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np


def _control_period(env) -> float:
    return getattr(env, "dt", None) or env.unwrapped.dt  # a wrapper may carry it (CarRacingPixels)


def _check_renders(env) -> None:
    if getattr(env, "render_mode", None) != "rgb_array":
        raise ValueError("a GIF needs an env made with render_mode='rgb_array'")


def save_gif(frames: list, path: str | os.PathLike, frame_seconds: float) -> Path:
    """Write PIL `frames` as a looping GIF that shows each for `frame_seconds` (at least 20 ms); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=max(round(1000 * frame_seconds), 20),
                   loop=0, optimize=True)
    return path


class GifFrames:
    """`on_step(step, env)` for a stepping loop: keeps the frame after reset (step 0) and every `every`-th step's,
    scaled to `width` pixels (aspect kept; None: as rendered); `save` writes them in real time."""

    def __init__(self, every: int = 5, width: int | None = None) -> None:
        self.every, self.width = every, width
        self.frames: list = []
        self.frame_seconds = 0.0

    def __call__(self, step: int, env) -> None:
        if step % self.every:
            return
        from PIL import Image

        if not self.frames:
            _check_renders(env)
            self.frame_seconds = _control_period(env) * self.every
        picture = Image.fromarray(env.render())
        if self.width is not None and picture.width != self.width:
            height = max(1, round(picture.height * self.width / picture.width))
            picture = picture.resize((self.width, height), Image.Resampling.BILINEAR)
        self.frames.append(picture)

    def save(self, path: str | os.PathLike) -> Path:
        return save_gif(self.frames, path, self.frame_seconds)


def record_gif(
    env,
    act: Callable[[np.ndarray], np.ndarray],
    path: str | os.PathLike,
    steps: int = 300,
    every: int = 2,
    seed: int | None = None,
    on_frame: Callable[[int, np.ndarray], None] | None = None,
    stop_on_termination: bool = True,
) -> Path:
    """Run `act(observation) -> action` for up to `steps` control steps, keep every `every`-th frame, write a GIF.

    The GIF plays in real time (frame duration = env's control period x `every`). With `stop_on_termination`
    False the episode goes on after a fall (as the paper's protocol does before step 200). Returns the path.
    """
    _check_renders(env)  # before the episode starts
    frames = GifFrames(every)
    observation, _ = env.reset(seed=seed)
    frames(0, env)
    for step in range(1, steps + 1):
        observation, _, terminated, truncated, _ = env.step(act(observation))
        frames(step, env)
        if on_frame is not None and step % every == 0:
            on_frame(step, np.array(frames.frames[-1]))
        if truncated or (terminated and stop_on_termination):
            break
    return frames.save(path)
