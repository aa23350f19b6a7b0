"""CarRacing-v3 (Gymnasium, Box2D) with the paper's preprocessing: the 96x96 RGB frame resized to 84x84
(bilinear), scaled to [0, 1], channels first -> float32 [3, 84, 84]. Actions are [steer, gas, brake] in
[-1, 1] x [0, 1] x [0, 1]; the network's action head (tanh, sigmoid, sigmoid) produces them."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from hebbkit.runtime.profile import RobotProfile

FRAME = 84
CARRACING_PROFILE = RobotProfile(
    name="carracing84",
    observation_names=("image",),
    action_names=("steer", "gas", "brake"),
    action_mode="torque",
    action_low=(-1.0, 0.0, 0.0),
    action_high=(1.0, 1.0, 1.0),
)
"""One image observation [3, 84, 84] in [0, 1]; steer, gas, brake as CarRacing takes them."""
CONTROL_PERIOD = 1.0 / 50  # CarRacing's FPS


def observation_space() -> gym.spaces.Box:
    """What the network sees, on either env: [3, 84, 84] float32 in [0, 1]."""
    return gym.spaces.Box(0.0, 1.0, (3, FRAME, FRAME), np.float32)


def preprocess(frame: np.ndarray) -> np.ndarray:
    """[96, 96, 3] uint8 -> [3, 84, 84] float32 in [0, 1]."""
    from PIL import Image

    resized = np.asarray(Image.fromarray(frame).resize((FRAME, FRAME), Image.Resampling.BILINEAR), dtype=np.float32)
    return np.ascontiguousarray(resized.transpose(2, 0, 1) / 255.0)


class CarRacingPixels(gym.ObservationWrapper):
    """CarRacing-v3 with `preprocess` applied to every observation."""

    def __init__(self, env: gym.Env | None = None, **options) -> None:
        super().__init__(env if env is not None else gym.make("CarRacing-v3", **options))
        self.observation_space = observation_space()
        self.profile = CARRACING_PROFILE
        self.dt = CONTROL_PERIOD

    def observation(self, observation: np.ndarray) -> np.ndarray:
        return preprocess(observation)
