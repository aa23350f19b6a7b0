"""`QuadrupedEnv`: pybullet_envs' AntBulletEnv-v0 rebuilt on raw PyBullet for Gymnasium, plus damaged bodies, the
reality gap, a servo quadruped and a deployable observation/actuation profile.

Faithful to AntBulletEnv-v0 (see docs/envs.md for the parity evidence): ant.xml on the stadium plane, one
`stepSimulation` per control step of 0.0165 s with 4 physics substeps and 5 solver iterations, torque = 2.5 x 100 x
clip(action, -1, 1), the 28-entry observation (foot contacts lag one step, as there), the reward terms (alive,
progress, electricity, joints-at-limit, feet-collision), termination when the torso drops below 0.26 m, the
1,000-step limit, and the initial joint noise U(-0.1, 0.1). Fast: array APIs, one contact query per step, resets
by `restoreState`.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pybullet as p
import pybullet_data

from hebbkit.runtime.errors import ConfigError
from hebbkit.runtime.profile import QUADRUPED_OBSERVATIONS, ObservationAssembler, RobotProfile, quadruped_profile

from .bodies import Body, resolve_body
from .morphology import LegDamage, Morphology, resolve_morphology
from .perturbations import Perturbations, ScheduledEvent

OBSERVATIONS = QUADRUPED_OBSERVATIONS
ACTUATIONS = ("torque", "position")
FLOOR_FRICTION = 0.8
FLOOR_RESTITUTION = 0.5
GRAVITY = 9.8
ELECTRICITY_COST = -2.0
STALL_TORQUE_COST = -0.1
JOINTS_AT_LIMIT_COST = -0.1
REWARD_TERMS = ("alive", "progress", "electricity_cost", "joints_at_limit_cost", "feet_collision_cost")


def _float32_mean(values: np.ndarray, count: int) -> float:
    """`float(values.mean())` of a float32 array, bit for bit (float32 pairwise sum, division in float64, rounded to
    float32 as numpy's mean does), at a fraction of its call overhead."""
    return float(np.float32(float(np.add.reduce(values)) / count))


class QuadrupedEnv(gym.Env):
    """A quadruped walking towards a target 1 km away along +x, in PyBullet (headless).

    robot: a built-in robot's name ("ant", the paper's; "servo_quadruped", a Bittle-class hobby-servo robot;
        "unitree_a1"), a robot file's path (docs/robots.md), or a `Body` of your own.
    morphology: "standard", "damaged_right_front", "damaged_left_front", a `Morphology`, or a list of `LegDamage`.
    observation: "ant28" (pybullet_envs' 28 entries), "proprio" (joints and IMU only), "proprio_contacts" or
        "proprio_contacts_action" (and the previous action).
    actuation: "torque" (pybullet_envs') or "position" (servo-like position targets, torque and speed limited).
    perturbations: a `Perturbations`, or a callable drawing one from the env's RNG at every reset.
    max_episode_steps: truncation limit (1,000 as AntBulletEnv-v0).
    render_mode: None or "rgb_array" (TinyRenderer, headless).
    """

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 60}  # noqa: RUF012 (Gymnasium API)

    def __init__(
        self,
        robot: str | Body = "ant",
        morphology: str | Morphology | list[LegDamage] = "standard",
        observation: str = "ant28",
        actuation: str = "torque",
        perturbations: Perturbations | Callable[[np.random.Generator], Perturbations] | None = None,
        max_episode_steps: int = 1000,
        render_mode: str | None = None,
        render_size: tuple[int, int] = (320, 240),
        walk_target: tuple[float, float] = (1e3, 0.0),
    ) -> None:
        if observation not in OBSERVATIONS:
            raise ConfigError(f"unknown observation {observation!r}; expected one of {OBSERVATIONS}")
        if actuation not in ACTUATIONS:
            raise ConfigError(f"unknown actuation {actuation!r}; expected one of {ACTUATIONS}")
        if render_mode not in (None, "rgb_array"):
            raise ConfigError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.body = resolve_body(robot)
        self.morphology = resolve_morphology(morphology)
        self.body.strength_per_joint(self.morphology)  # refuses weakened motors on a body without joint_legs
        self.observation_kind = observation
        self.actuation = actuation
        self._perturbation_source = perturbations if perturbations is not None else Perturbations()
        self.perturbations = Perturbations()
        self.max_episode_steps = int(max_episode_steps)
        self.render_mode = render_mode
        self.render_size = render_size
        self.walk_target = (float(walk_target[0]), float(walk_target[1]))
        self.dt = self.body.control_period
        self._pd = self.body.pd if actuation == "position" else None  # the robot's own PD law
        self._pd_motor = self._pd is not None and self._pd.solver == "motor"
        self._pd_explicit = self._pd is not None and not self._pd_motor  # its torque computed every physics step
        self.metadata = {**self.metadata, "render_fps": round(1.0 / self.dt)}
        self._client = p.connect(p.DIRECT)
        self._folder = Path(tempfile.mkdtemp(prefix="hebbkit-env-"))
        self._world_morphology: Morphology | None = None
        self._build_world(self.morphology)
        self.profile = self._make_profile()
        self._assemble = ObservationAssembler(self.profile)
        clip = self.profile.observation_clip or np.inf
        self.observation_space = gym.spaces.Box(-clip, clip, (self.profile.n_observations,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (len(self.body.joint_names),), np.float32)
        self._action_shape = self.action_space.shape
        self._steps = 0
        self._pending_actions: deque[np.ndarray] = deque()
        self._last_observation = np.zeros(self.profile.n_observations, dtype=np.float32)
        self._events: list[ScheduledEvent] = []
        self._last_measurements: dict[str, np.ndarray] = {}
        self._last_base_motion: tuple | None = None  # (orientation, angular velocity) of the last measurement
        self._needs_angular_velocity = "angular_velocity" in self._assemble.keys
        self._needs_previous_action = "previous_action" in self._assemble.keys
        self._previous_action = np.zeros(len(self.body.joint_names))
        self.physics_seconds = 0.0
        """Wall time spent in `stepSimulation` since construction (benchmarks: the physics share of a step)."""

    # ------------------------------------------------------------------------------------------------ world

    def _build_world(self, morphology: Morphology) -> None:
        """Load floor and body for `morphology` into a fresh simulation and save the state resets restore."""
        c = self._client
        p.resetSimulation(physicsClientId=c)
        p.setPhysicsEngineParameter(deterministicOverlappingPairs=1, physicsClientId=c)
        p.setGravity(0, 0, -GRAVITY, physicsClientId=c)
        p.setDefaultContactERP(0.9, physicsClientId=c)
        iterations = self.body.solver_iterations
        if not self._pd_explicit:
            p.setPhysicsEngineParameter(fixedTimeStep=self.dt, numSolverIterations=iterations,
                                        numSubSteps=self.body.physics_substeps, physicsClientId=c)
        else:  # one stepSimulation per physics step: the PD torques are recomputed before each
            p.setPhysicsEngineParameter(fixedTimeStep=self.dt / self.body.physics_substeps,
                                        numSolverIterations=iterations, numSubSteps=1, physicsClientId=c)
        (self._floor,) = p.loadSDF(str(Path(pybullet_data.getDataPath()) / "plane_stadium.sdf"), physicsClientId=c)
        p.changeDynamics(self._floor, -1, lateralFriction=FLOOR_FRICTION, restitution=FLOOR_RESTITUTION,
                         physicsClientId=c)
        self._load_body(morphology)
        self._state_id = p.saveState(physicsClientId=c)
        self._world_morphology = morphology

    def _load_body(self, morphology: Morphology) -> None:
        c = self._client
        path = self.body.write_model(morphology, self._folder)
        if self.body.model_format == "mjcf":
            flags = p.URDF_GOOGLEY_UNDEFINED_COLORS
            if self.body.self_collision:
                flags |= p.URDF_USE_SELF_COLLISION | p.URDF_USE_SELF_COLLISION_EXCLUDE_ALL_PARENTS
            (self._robot,) = p.loadMJCF(str(path), flags=flags, physicsClientId=c)
        else:
            flags = p.URDF_USE_SELF_COLLISION if self.body.self_collision else 0
            self._robot = p.loadURDF(str(path), basePosition=(0, 0, self.body.start_height), flags=flags,
                                     physicsClientId=c)
        joints, links = {}, {}
        n_links = p.getNumJoints(self._robot, physicsClientId=c)
        for index in range(n_links):
            info = p.getJointInfo(self._robot, index, physicsClientId=c)
            joints[info[1].decode()] = info
            links[info[12].decode()] = index
        missing = [name for name in self.body.joint_names if name not in joints]
        missing += [name for name in self.body.foot_links if name not in links]
        if missing:
            raise ConfigError(f"{path.name}: no joints/links named {missing}; found joints {sorted(joints)}")
        self._joint_indices = [joints[name][0] for name in self.body.joint_names]
        self._joint_limits = [(joints[name][8], joints[name][9]) for name in self.body.joint_names]
        self._joint_damping = [joints[name][6] for name in self.body.joint_names]
        self._foot_links = [links[name] for name in self.body.foot_links]
        self._all_links = list(range(n_links))
        self._nominal_torso_mass = p.getDynamicsInfo(self._robot, -1, physicsClientId=c)[0]
        lower = np.array([limit[0] for limit in self._joint_limits])
        upper = np.array([limit[1] for limit in self._joint_limits])
        self._joint_mid, self._joint_half_span = (lower + upper) / 2, (upper - lower) / 2
        # disable the default velocity motors, as pybullet_envs does
        for index in range(n_links):
            p.setJointMotorControl2(self._robot, index, p.POSITION_CONTROL, positionGain=0.1, velocityGain=0.1,
                                    force=0, physicsClientId=c)

    def _make_profile(self) -> RobotProfile:
        body = self.body
        limits = body.command_limits if body.command_limits is not None else self._joint_limits
        return quadruped_profile(body.name, self.observation_kind, self.actuation, body.joint_names,
                                 limits, body.foot_links, body.torque_per_action)

    # ------------------------------------------------------------------------------------------------ Gymnasium

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Start an episode: nominal body restored, joints at U(-0.1, 0.1) rad with zero velocity."""
        super().reset(seed=seed)
        c = self._client
        if self._world_morphology != self.morphology:
            self._build_world(self.morphology)
        p.restoreState(self._state_id, physicsClientId=c)
        source = self._perturbation_source
        self.perturbations = source if isinstance(source, Perturbations) else source(self.np_random)
        noise = self.np_random.uniform(-0.1, 0.1, size=len(self._joint_indices))
        if self.body.stand_pose:
            noise = noise + np.asarray(self.body.stand_pose)
        self._previous_action = np.zeros(len(self._joint_indices))
        for index, position in zip(self._joint_indices, noise, strict=True):
            p.resetJointState(self._robot, index, targetValue=position, targetVelocity=0, physicsClientId=c)
        self._apply_perturbations()
        self._steps = 0
        self._pending_actions = deque(np.zeros(len(self._joint_indices), dtype=np.float32)
                                      for _ in range(self.perturbations.action_latency))
        self._events = list(self.perturbations.events)
        self._foot_contact = np.zeros(len(self._foot_links))
        self._initial_z: float | None = None
        measurements = self._measure()
        self._potential = self._progress_potential()
        observation = self._observe(measurements, first=True)
        return observation, {"profile": self.profile.name}

    def step(self, action):
        action = np.asarray(action, dtype=np.float32)
        if action.shape != self._action_shape:
            raise ValueError(f"action should have shape {self._action_shape}, found {action.shape}")
        if not np.isfinite(action).all():
            raise ValueError(f"action holds NaN/Inf: {action}")
        self._previous_action = action.astype(np.float64)
        if self._pending_actions:
            self._pending_actions.append(action)
            action = self._pending_actions.popleft()
        self._handle_events()
        self._actuate(action)
        started = time.perf_counter()
        if self._pd_explicit:
            self._step_pd()
        else:
            p.stepSimulation(physicsClientId=self._client)
        self.physics_seconds += time.perf_counter() - started
        self._steps += 1
        measurements = self._measure()
        observation = self._observe(measurements)

        # Scalar maths in Python and reductions as np.add.reduce: the same IEEE operations in the same order as
        # pybullet_envs' numpy expressions (clip, float32 means), without their per-call overhead.
        height = float(measurements["height_above_start"][0])
        z = float(np.float32(min(max(height, -5.0), 5.0))) + self._initial_z
        alive = 1.0 if z > self.body.alive_height else -1.0
        potential_old = self._potential
        self._potential = self._progress_potential()
        progress = float(self._potential - potential_old)
        joint_speeds = (0.1 * measurements["joint_velocity"]).astype(np.float32)
        n_joints = len(action)
        electricity = ELECTRICITY_COST * _float32_mean(np.abs(action * joint_speeds), n_joints)
        electricity += STALL_TORQUE_COST * _float32_mean(action * action, n_joints)
        relative = ((measurements["joint_position"] - self._joint_mid) / self._joint_half_span).astype(np.float32)
        joints_at_limit = float(JOINTS_AT_LIMIT_COST * np.count_nonzero(np.abs(relative) > 0.99))
        terms = (alive, progress, electricity, joints_at_limit, 0.0)
        reward = sum(terms)
        terminated = alive < 0 or not bool(np.isfinite(observation).all())
        truncated = self._steps >= self.max_episode_steps
        info = dict(zip(REWARD_TERMS, terms, strict=True))
        info["torso_position"] = self._torso_position
        return observation, reward, terminated, truncated, info

    def render(self):
        """An RGB image [height, width, 3] uint8 of the robot, camera following the torso (TinyRenderer)."""
        if self.render_mode != "rgb_array":
            return None
        width, height = self.render_size
        target = self._torso_position
        distance = 3.0 if self.body.name == "ant" else max(0.8, 4.0 * self.body.length)
        view = p.computeViewMatrixFromYawPitchRoll(target, distance, 30.0, -25.0, 0.0, 2,
                                                   physicsClientId=self._client)
        projection = p.computeProjectionMatrixFOV(60, width / height, 0.05, 100.0, physicsClientId=self._client)
        _, _, pixels, _, _ = p.getCameraImage(width, height, view, projection, renderer=p.ER_TINY_RENDERER,
                                              physicsClientId=self._client)
        return np.asarray(pixels, dtype=np.uint8).reshape(height, width, 4)[:, :, :3]

    def close(self) -> None:
        if self._client is not None and self._client >= 0:
            try:
                p.disconnect(physicsClientId=self._client)
            except p.error:
                pass
            self._client = -1
        shutil.rmtree(self._folder, ignore_errors=True)

    # ------------------------------------------------------------------------------------------------ internals

    def _apply_perturbations(self) -> None:
        c, robot, perturbations = self._client, self._robot, self.perturbations
        p.changeDynamics(self._floor, -1, lateralFriction=FLOOR_FRICTION * perturbations.ground_friction,
                         physicsClientId=c)
        p.changeDynamics(robot, -1, mass=self._nominal_torso_mass * perturbations.torso_mass, physicsClientId=c)
        for index, damping in zip(self._joint_indices, self._joint_damping, strict=True):
            p.changeDynamics(robot, index, jointDamping=damping + perturbations.joint_damping, physicsClientId=c)
        self._strength = (np.asarray(perturbations.strength_per_joint(len(self._joint_indices)))
                          * np.asarray(self.body.strength_per_joint(self.morphology)))
        if self.actuation == "torque" or self._pd_explicit:
            # Coulomb friction: a velocity motor towards zero speed with the friction torque as its limit.
            p.setJointMotorControlArray(robot, self._joint_indices, p.VELOCITY_CONTROL,
                                        targetVelocities=[0.0] * len(self._joint_indices),
                                        forces=[self._motor_force(perturbations.joint_friction)]
                                        * len(self._joint_indices), physicsClientId=c)

    def _motor_force(self, torque: float) -> float:
        """The `force` that caps a PyBullet motor at `torque`: PyBullet caps a motor's impulse at force x the whole
        `stepSimulation` time step in every physics step it spans, so where one call spans `physics_substeps`
        physics steps the force is the torque / physics_substeps (the full torque would allow that many times it;
        `tests/trainer/test_robot_bodies.py`, `tests/trainer/test_perturbations.py`)."""
        return torque if self._pd_explicit else torque / self.body.physics_substeps

    def _actuate(self, action: np.ndarray) -> None:
        c = self._client
        command = self.profile.command_from_action(action)
        if self.actuation == "torque":
            p.setJointMotorControlArray(self._robot, self._joint_indices, p.TORQUE_CONTROL,
                                        forces=command * self._strength, physicsClientId=c)
            return
        if self._pd_explicit:
            self._pd_target = command  # tracked by `_step_pd`, every physics step
            return
        if self._pd_motor:
            self._actuate_pd_motor(command)
            return
        servo = self.body.servo
        # position actuation: joint friction takes its share of the servo's torque. A hobby servo's stall torque
        # and no-load speed both scale with its supply voltage: strength scales both.
        limits = np.maximum(servo.stall_torque * self._strength - self.perturbations.joint_friction, 0.0)
        speeds = servo.max_speed * self._strength
        for index, target, limit, speed in zip(self._joint_indices, command, limits, speeds, strict=True):
            p.setJointMotorControl2(self._robot, index, p.POSITION_CONTROL, targetPosition=float(target),
                                    force=self._motor_force(float(limit)), maxVelocity=float(speed),
                                    positionGain=servo.position_gain, velocityGain=servo.velocity_gain,
                                    physicsClientId=c)

    def _actuate_pd_motor(self, command: np.ndarray) -> None:
        """The PD law by PyBullet's position motor: in every physics step of length h the solver drives the joint
        towards velocity kp / kd (target - q) (positionGain kp / kd h, velocityGain 1), within the torque limit
        (less joint friction) and the speed limit, both scaled by the actuator's strength. PyBullet caps a motor's
        impulse at force x the whole `stepSimulation` time step, which spans `physics_substeps` physics steps: the
        force passed is the torque limit / physics_substeps (`_motor_force`), so that the torque in each physics step
        stays within the limit."""
        c, robot, pd = self._client, self._robot, self._pd
        if pd is None:
            return
        substeps = self.body.physics_substeps
        gains = np.asarray(pd.kp) / np.asarray(pd.kd) * (self.dt / substeps)
        limits = np.maximum(np.asarray(pd.torque_limit) * self._strength - self.perturbations.joint_friction, 0.0)
        speeds = np.asarray(pd.speed_limit) * self._strength
        for index, target, gain, limit, speed in zip(self._joint_indices, command, gains, limits, speeds, strict=True):
            p.setJointMotorControl2(robot, index, p.POSITION_CONTROL, targetPosition=float(target),
                                    targetVelocity=0.0, positionGain=float(gain), velocityGain=1.0,
                                    force=self._motor_force(float(limit)), maxVelocity=float(speed), physicsClientId=c)

    def _step_pd(self) -> None:
        """One control step of the robot's PD law: before each physics step, torque = kp (target - q) - kd dq
        within the (strength-scaled) torque limit, none that drives a joint past its (scaled) speed limit."""
        c, robot, joints, pd = self._client, self._robot, self._joint_indices, self._pd
        if pd is None:  # only a PD body with the explicit solver, in position actuation, steps here
            return
        kp, kd = np.asarray(pd.kp), np.asarray(pd.kd)
        limit = np.asarray(pd.torque_limit) * self._strength
        speed = np.asarray(pd.speed_limit) * self._strength
        for _ in range(self.body.physics_substeps):
            states = p.getJointStates(robot, joints, physicsClientId=c)
            q = np.array([state[0] for state in states])
            dq = np.array([state[1] for state in states])
            torque = np.clip(kp * (self._pd_target - q) - kd * dq, -limit, limit)
            torque[(np.abs(dq) > speed) & (torque * dq > 0)] = 0.0
            p.setJointMotorControlArray(robot, joints, p.TORQUE_CONTROL, forces=torque, physicsClientId=c)
            p.stepSimulation(physicsClientId=c)

    def _handle_events(self) -> None:
        while self._events and self._events[0].step <= self._steps:
            event = self._events.pop(0)
            if event.kind == "push":
                p.applyExternalForce(self._robot, -1, event.force, self._torso_position, p.WORLD_FRAME,
                                     physicsClientId=self._client)
            else:
                damage = LegDamage(event.leg, event.segment, event.scale)
                self._swap_body(Morphology(f"{self.morphology.name}+break", (*self.morphology.damages, damage)))

    def _swap_body(self, morphology: Morphology) -> None:
        """Replace the body mid-episode by a damaged one in the same pose, velocities and joint states."""
        c, old = self._client, self._robot
        position, orientation = p.getBasePositionAndOrientation(old, physicsClientId=c)
        linear, angular = p.getBaseVelocity(old, physicsClientId=c)
        states = p.getJointStates(old, self._joint_indices, physicsClientId=c)
        p.removeBody(old, physicsClientId=c)
        self._load_body(morphology)
        p.resetBasePositionAndOrientation(self._robot, position, orientation, physicsClientId=c)
        p.resetBaseVelocity(self._robot, linear, angular, physicsClientId=c)
        for index, state in zip(self._joint_indices, states, strict=True):
            p.resetJointState(self._robot, index, state[0], state[1], physicsClientId=c)
        self._apply_perturbations()
        self._world_morphology = morphology  # the next reset rebuilds the nominal world

    def _measure(self) -> dict[str, np.ndarray]:
        c, robot = self._client, self._robot
        states = p.getJointStates(robot, self._joint_indices, physicsClientId=c)
        position, orientation = p.getBasePositionAndOrientation(robot, physicsClientId=c)
        linear, angular = p.getBaseVelocity(robot, physicsClientId=c)
        roll, pitch, yaw = p.getEulerFromQuaternion(orientation, physicsClientId=c)
        self._last_base_motion = (orientation, angular)
        self._torso_position = position
        self._yaw = yaw
        if self._initial_z is None:
            self._initial_z = position[2]
        cos_yaw, sin_yaw = math.cos(-yaw), math.sin(-yaw)
        velocity_body = (cos_yaw * linear[0] - sin_yaw * linear[1], sin_yaw * linear[0] + cos_yaw * linear[1],
                         linear[2])
        x, y = self._parts_mean_xy(position)
        self._body_xy = (x, y)
        angle_to_target = math.atan2(self.walk_target[1] - y, self.walk_target[0] - x) - yaw
        joint_positions, joint_velocities, *_ = zip(*states, strict=True)
        measurements = {
            "joint_position": np.array(joint_positions),
            "joint_velocity": np.array(joint_velocities),
            "roll_pitch_yaw": np.array((roll, pitch, yaw)),
            "linear_velocity_body": np.array(velocity_body),
            "height_above_start": np.array((position[2] - self._initial_z,)),
            "target_direction": np.array((math.sin(angle_to_target), math.cos(angle_to_target))),
        }
        if self._needs_previous_action:
            measurements["previous_action"] = self._previous_action
        if self._needs_angular_velocity:  # otherwise computed only if `last_measurements` is read
            measurements["angular_velocity"] = self._body_angular_velocity(orientation, angular)
        return measurements

    def _body_angular_velocity(self, orientation, angular) -> np.ndarray:
        """The base's angular velocity in its own frame (what an IMU on the torso reads)."""
        rotation = np.array(p.getMatrixFromQuaternion(orientation, physicsClientId=self._client)).reshape(3, 3)
        return rotation.T @ np.asarray(angular)

    def joint_limit_excess(self) -> float:
        """How far (rad) the joint furthest past its limit stands beyond it now; 0 when every joint is inside its
        limits. PyBullet holds limits with its constraint solver, so a joint driven hard against one can slip past
        it (docs/envs.md, "Joint limits"); `hebbkit eval` reports the largest excess of every episode."""
        states = p.getJointStates(self._robot, self._joint_indices, physicsClientId=self._client)
        positions = np.array([state[0] for state in states])
        return max(0.0, float((np.abs(positions - self._joint_mid) - self._joint_half_span).max()))

    @property
    def last_measurements(self) -> dict[str, np.ndarray]:
        """The raw measurements behind the last observation (profile keys, SI units): what a ROS sim node publishes.
        Complete whatever the profile observes (the IMU's angular velocity is computed on first read)."""
        measurements = self._last_measurements
        if "angular_velocity" not in measurements and self._last_base_motion is not None:
            measurements["angular_velocity"] = self._body_angular_velocity(*self._last_base_motion)
        return measurements

    def _parts_mean_xy(self, torso_position) -> tuple[float, float]:
        """Mean x, y over the torso and every link (and, for Ant parity, the floor's origin)."""
        links = p.getLinkStates(self._robot, self._all_links, physicsClientId=self._client)
        xs, ys = [torso_position[0]], [torso_position[1]]
        for state in links:
            position = state[0]
            xs.append(position[0])
            ys.append(position[1])
        if self.body.parts_mean_includes_floor:
            xs.append(0.0)
            ys.append(0.0)
        # np.mean's own reduction (pairwise sum, then one division) without its per-call overhead
        return float(np.add.reduce(np.array(xs))) / len(xs), float(np.add.reduce(np.array(ys))) / len(ys)

    def _progress_potential(self) -> float:
        x, y = self._body_xy
        dy, dx = self.walk_target[1] - y, self.walk_target[0] - x
        distance = math.sqrt(dy * dy + dx * dx)  # np.linalg.norm([dy, dx]) to the bit, without its overhead
        return -distance / self.dt

    def _update_foot_contact(self) -> None:
        touching = {contact[3] for contact in p.getContactPoints(self._robot, self._floor,
                                                                 physicsClientId=self._client)}
        self._foot_contact = np.array([1.0 if link in touching else 0.0 for link in self._foot_links])

    def _observe(self, measurements: dict[str, np.ndarray], first: bool = False) -> np.ndarray:
        lagged = self.observation_kind == "ant28"  # pybullet_envs reads contacts after building the observation
        if not lagged and not first:
            self._update_foot_contact()
        measurements["foot_contact"] = self._foot_contact
        observation = self._assemble(measurements)
        if lagged and not first:
            self._update_foot_contact()
        perturbations = self.perturbations
        if perturbations.observation_noise > 0:
            observation += self.np_random.normal(0, perturbations.observation_noise, observation.shape).astype(
                np.float32)
        if perturbations.observation_dropout > 0 and not first:
            stale = self.np_random.random(observation.shape) < perturbations.observation_dropout
            observation[stale] = self._last_observation[stale]
        if perturbations.observation_noise > 0 and self.profile.observation_clip:
            np.clip(observation, -self.profile.observation_clip, self.profile.observation_clip, out=observation)
        self._last_observation = observation.copy()
        self._last_measurements = measurements
        return observation
