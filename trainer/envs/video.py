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
    width: int | None = None,
    on_step: Callable[[int, float, dict], None] | None = None,
) -> Path:
    """Run `act(observation) -> action` for up to `steps` control steps, keep every `every`-th frame, write a GIF.

    The GIF plays in real time (frame duration = env's control period x `every`). With `stop_on_termination`
    False the episode goes on after a fall (as the paper's protocol does before step 200). `width` scales the
    frames (aspect kept; None: as rendered). `on_step(step, reward, info)` sees every step. Returns the path.
    """
    from PIL import Image

    if getattr(env, "render_mode", None) != "rgb_array":
        raise ValueError("record_gif needs an env made with render_mode='rgb_array'")
    def image(frame: np.ndarray) -> Image.Image:
        picture = Image.fromarray(frame)
        if width is None or picture.width == width:
            return picture
        return picture.resize((width, max(1, round(picture.height * width / picture.width))), Image.Resampling.BILINEAR)

    observation, _ = env.reset(seed=seed)
    frames = [image(env.render())]
    for step in range(1, steps + 1):
        observation, reward, terminated, truncated, info = env.step(act(observation))
        if on_step is not None:
            on_step(step, float(reward), info)
        if step % every == 0:
            frame = env.render()
            if on_frame is not None:
                on_frame(step, frame)
            frames.append(image(frame))
        if truncated or (terminated and stop_on_termination):
            break
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    dt = getattr(env, "dt", None) or env.unwrapped.dt  # a wrapper may carry it (CarRacingPixels)
    duration_ms = max(round(1000 * dt * every), 20)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=duration_ms, loop=0, optimize=True)
    return path
