"""ament_python package hebb_runtime: thin ROS 2 nodes around hebbkit's runtime, simulator and serial bridge."""

from glob import glob

from setuptools import setup

PACKAGE = "hebb_runtime"

setup(
    name=PACKAGE,
    version="0.1.0",
    packages=[PACKAGE],
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{PACKAGE}"]),
        (f"share/{PACKAGE}", ["package.xml"]),
        (f"share/{PACKAGE}/launch", glob("launch/*.launch.py")),
        (f"share/{PACKAGE}/config", glob("config/*.yaml")),
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
