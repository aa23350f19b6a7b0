"""Write an episode as an animated GIF (Pillow), from any env with render_mode="rgb_array"."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np


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
    from PIL import Image

    if getattr(env, "render_mode", None) != "rgb_array":
        raise ValueError("record_gif needs an env made with render_mode='rgb_array'")
    observation, _ = env.reset(seed=seed)
    frames = [Image.fromarray(env.render())]
    for step in range(1, steps + 1):
        observation, _, terminated, truncated, _ = env.step(act(observation))
        if step % every == 0:
            frame = env.render()
            if on_frame is not None:
                on_frame(step, frame)
            frames.append(Image.fromarray(frame))
        if truncated or (terminated and stop_on_termination):
            break
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    duration_ms = max(round(1000 * env.unwrapped.dt * every), 20)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=duration_ms, loop=0, optimize=True)
    return path
