"""The models shipped in the package (issue 29): each loads by name, weights only and checked
against its checksums, and scores on the held-out text exactly the validation loss recorded when it
was written (``python -m benchmarks.shakespeare_sample --ship``)."""

import pytest

from minillada.cli import main as cli_main
from minillada.data import TextDataset, read_text
from minillada.infra.checkpoint import load_checkpoint
from minillada.infra.shipped import SHIPPED, shipped_path
from minillada.train import validation_loss
from minillada.train_config import TrainConfig


@pytest.mark.parametrize("name", list(SHIPPED))
def test_each_shipped_model_scores_the_validation_loss_recorded_when_it_was_written(name):
    ckpt = load_checkpoint(name)                  # by name; every file's sha256 is checked
    assert ckpt.path.parent == shipped_path(name) and ckpt.optimizer_state is None
    assert ckpt.model.config.causal == (name == "shakespeare_ar")
    config = TrainConfig(**ckpt.train_config)
    recorded = [r["val_loss"] for r in ckpt.history if "val_loss" in r][-1]
    held_out = TextDataset.from_text(read_text("shakespeare"), ckpt.tokenizer, config.seq_len).split(0.1)[1]
    got = validation_loss(ckpt.model, held_out, config, mask_id=ckpt.model.config.mask_id, device="cpu")
    assert got == pytest.approx(recorded, abs=1e-4)
    assert recorded < (2.2 if name == "shakespeare" else 1.6)        # a trained model, not a stub
    assert sum(f.stat().st_size for f in ckpt.path.iterdir()) < 5e6   # a few MB


def test_sample_reads_a_shipped_model_by_name(capsys):
    code = cli_main(["sample", "--ckpt", "shakespeare", "--prompt", "ROMEO:", "--gen-length", "16",
                     "--block-length", "8", "--temperature", "0.8"])
    assert code == 0 and len(capsys.readouterr().out.removesuffix("\n")) == 16


def test_a_directory_of_the_same_name_wins_over_the_shipped_model(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shakespeare").mkdir()
    with pytest.raises(ValueError, match="shakespeare is not a minillada checkpoint"):
        load_checkpoint("shakespeare")


def test_an_unknown_name_is_still_a_missing_path():
    with pytest.raises(ValueError, match="not a minillada checkpoint"):
        load_checkpoint("shakespear")


def test_the_shipped_models_are_the_runs_the_readme_reports():
    import json

    from benchmarks.common import RESULTS
    from benchmarks.report import shipped_curve
    d = json.loads((RESULTS / "shakespeare_sample.json").read_text())
    assert shipped_curve("shakespeare") == d["mdm"]["val_curve"]
    assert shipped_curve("shakespeare_ar") == d["ar"]["val_curve"]
