"""Evaluation episodes on a process pool return what one process returns, episode for episode."""

from __future__ import annotations

from hebbkit.runtime import ANT28, NetworkSpec, new_artifact, save_artifact
from hebbkit.trainer.episodes import EpisodeTask, protocol_for, run_episodes, run_task, summarise
from hebbkit.trainer.fitness import run_episode


def test_pool_results_do_not_depend_on_the_worker_count_or_order(tmp_path):
    artifact = new_artifact(NetworkSpec(), profile=ANT28, seed=2)
    path = str(save_artifact(artifact, tmp_path / "a.npz"))
    tasks = [EpisodeTask(path, morphology, seed, max_steps=120, burn_in=10)
             for morphology in ("standard", "damaged_left_front") for seed in (0, 1, 2)]
    one = run_episodes(tasks, workers=1, progress=False)
    two = run_episodes(tasks, workers=2, progress=False)
    alone = [run_task(task) for task in reversed(tasks)][::-1]  # one process, other order: no state carried over
    assert one == two == alone
    protocol = protocol_for(artifact, ("damaged_left_front",), 120, 10, early_stop=False)
    direct = run_episode(artifact, protocol, "damaged_left_front", 2)
    assert one[-1]["distance"] == direct.fitness and one[-1]["steps"] == direct.steps
    assert [o["seed"] for o in one] == [0, 1, 2, 0, 1, 2]
    assert all(o["joint_limit_excess"] >= 0.0 for o in one)  # tracked in evaluation, for legged robots
    assert summarise(one)["joint_limit_excess_max"] == round(max(o["joint_limit_excess"] for o in one), 4)
    assert run_episodes([], workers=2) == []


def test_the_onnx_backend_walks_the_same_episode(tmp_path):
    path = str(save_artifact(new_artifact(NetworkSpec(), profile=ANT28, seed=3), tmp_path / "a.npz"))
    numpy_run = run_task(EpisodeTask(path, "standard", 4, max_steps=150, burn_in=10))
    onnx_run = run_task(EpisodeTask(path, "standard", 4, max_steps=150, burn_in=10, backend="onnx"))
    assert abs(numpy_run["distance"] - onnx_run["distance"]) <= 1e-6 * max(1.0, abs(numpy_run["distance"]))


def test_protocol_reads_robot_observation_and_actuation_from_the_profile_fields():
    import dataclasses

    import pytest

    from hebbkit.runtime import ConfigError, generic_profile
    from hebbkit.runtime.profile import robot_profile

    profile = robot_profile("servo_quadruped", "proprio_contacts", "torque")
    artifact = new_artifact(NetworkSpec(layer_sizes=(profile.n_observations, 4, profile.n_actions),
                                        activations=("tanh", "tanh")), profile=profile, seed=0)
    protocol = protocol_for(artifact, ("standard",), 10, 0, early_stop=False)
    assert (protocol.robot, protocol.observation, protocol.actuation) == ("servo_quadruped", "proprio_contacts",
                                                                          "torque")
    renamed = dataclasses.replace(artifact, profile=dataclasses.replace(profile, name="my_robot"))
    assert protocol_for(renamed, ("standard",), 10, 0, early_stop=False) == protocol  # the name is a label only
    generic = new_artifact(NetworkSpec(layer_sizes=(3, 4, 2), activations=("tanh", "tanh")),
                           profile=generic_profile(3, 2), seed=0)
    with pytest.raises(ConfigError, match="names no robot"):
        protocol_for(generic, ("standard",), 10, 0, early_stop=False)
