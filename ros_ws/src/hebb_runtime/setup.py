"""ament_python package hebb_runtime: thin ROS 2 nodes around hebbkit's runtime, simulator and serial bridge."""

from glob import glob
from pathlib import Path

from setuptools import setup

PACKAGE = "hebb_runtime"
SHIPPED_MODELS = ("ant-robust", "ant-paper", "servo-proprio")
"""Installed as share/hebb_runtime/models/<name>/ (model.npz and its card), so that the launch file's default models
resolve from any working directory; the source is the repository's models/ folder (relative paths: colcon and pip
run this file from the package's folder)."""
REPOSITORY_MODELS = Path("..", "..", "..", "models")


def model_files() -> list[tuple[str, list[str]]]:
    entries = []
    for name in SHIPPED_MODELS:
        files = [str(REPOSITORY_MODELS / name / file) for file in ("model.npz", "README.md")
                 if (REPOSITORY_MODELS / name / file).is_file()]
        if files:
            entries.append((f"share/{PACKAGE}/models/{name}", files))
    return entries


setup(
    name=PACKAGE,
    version="0.1.0",
    packages=[PACKAGE],
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.launch.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml")),
        *model_files(),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="hebbkit maintainers",
    maintainer_email="maintainers@hebbkit.org",
    description="ROS 2 nodes running evolved Hebbian rules on a quadruped",
    license="MIT",
    tests_require=["pytest"],
    entry_points={
        "console_scripts": [
            "hebb_controller = hebb_runtime.controller_node:main",
            "pybullet_sim = hebb_runtime.sim_node:main",
            "serial_bridge = hebb_runtime.bridge_node:main",
        ],
    },
)
