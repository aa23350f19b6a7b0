"""`hebbkit record`: a GIF of the evaluation's episode (same score as `hebbkit eval`), for the Ant and CarRacing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from hebbkit.runtime import load_artifact
from hebbkit.runtime.errors import ConfigError
from hebbkit.trainer.episodes import protocol_for
from hebbkit.trainer.fitness import run_episode
from hebbkit.trainer.record import RecordConfig, record

ROOT = Path(__file__).resolve().parents[2]
ANT = ROOT / "models" / "ant-robust" / "model.npz"
CAR = ROOT / "models" / "carracing-paper" / "checkpoint" / "latest.npz"


@pytest.mark.parametrize(("model", "morphology", "steps", "burn_in"), [
    (ANT, "front_left:lower:0.25", 80, 40), (CAR, "standard", 30, 0)])
def test_gif_shows_the_episode_eval_scores(tmp_path, model, morphology, steps, burn_in):
    config = RecordConfig(model, tmp_path / "episode.gif", body=morphology, seed=3, max_steps=steps,
                          burn_in=burn_in, every=10, width=160)
    path, score, ran, _ = record(config)
    artifact = load_artifact(model)
    protocol = protocol_for(artifact, (morphology,), steps, burn_in, early_stop=False)
    assert score == pytest.approx(run_episode(artifact, protocol, morphology, 3).fitness, abs=1e-9)
    assert ran == steps
    with Image.open(path) as gif:
        assert gif.n_frames == 1 + steps // 10 and gif.width == 160


def test_bad_requests_are_refused_before_anything_runs(tmp_path):
    with pytest.raises(ConfigError, match="--max-steps 40 leaves no step after the default --burn-in of 40"):
        record(RecordConfig(ANT, tmp_path / "x.gif", max_steps=40, burn_in=40))
    with pytest.raises(ConfigError, match="need 0 <= --burn-in < --max-steps, got burn-in 50, max-steps 40"):
        record(RecordConfig(ANT, tmp_path / "x.gif", max_steps=40, burn_in=50))
    with pytest.raises(ConfigError, match="every"):
        record(RecordConfig(ANT, tmp_path / "x.gif", every=0))
    result = subprocess.run([sys.executable, "-m", "hebbkit.trainer.cli", "record", str(tmp_path / "missing.npz")],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "missing.npz" in result.stderr
    assert not (tmp_path / "x.gif").exists()
