"""scripts/prune-char-cnn.py: the filters it drops are the ones a network without them lacks."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from lpr import model_files as mf
from lpr.recognition.numpy_network import NumpyNetwork
from pydarknet.weights import read_header, read_weights, write_random_weights, write_weights

ROOT = Path(__file__).resolve().parent.parent
COMPACT = mf.model_files(mf.CHAR_CNN_COMPACT)


def _script():
    spec = importlib.util.spec_from_file_location("prune_char_cnn", ROOT / "scripts" / "prune-char-cnn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_pruned_cnn_computes_what_the_full_one_does_with_those_filters_silenced(tmp_path):
    """The pruned network's probabilities equal the full network's when each dropped filter's
    batch-norm scale and bias are zeroed (its output is then 0 after the ReLU, as if it were
    not there): the kept inputs of every next layer, the [connected] layer's included, line up."""
    import pydarknet

    script = _script()
    filters = [8, 24, 40, 48]
    text, pruned, kept = script.prune(COMPACT.cfg, COMPACT.weights, filters)
    cfg = tmp_path / "pruned.cfg"
    cfg.write_text(text)
    write_weights(tmp_path / "pruned.weights", pruned, cfg, seen=0)

    config = pydarknet.parse_cfg(COMPACT.cfg)
    full = read_weights(COMPACT.weights, config)
    convs = [spec.index for spec in config.layers if spec.type == "convolutional"]
    for index, count in zip(convs, filters):
        assert len(kept[index]) == count and list(kept[index]) == sorted(set(kept[index]))
        dropped = np.setdiff1d(np.arange(len(full[index]["scales"])), kept[index])
        full[index]["scales"][dropped] = 0.0
        full[index]["biases"][dropped] = 0.0
    write_weights(tmp_path / "silenced.weights", full, COMPACT.cfg, seen=0)
    # the first layer (its inputs all kept) keeps its most important filters
    first = read_weights(COMPACT.weights, config)[convs[0]]
    assert set(kept[convs[0]]) == set(np.argsort(-script.importance(first))[:filters[0]])

    crops = np.random.default_rng(3).random((6, 1, 48, 36), dtype=np.float32)
    got = NumpyNetwork(cfg, tmp_path / "pruned.weights").predict(crops)
    want = NumpyNetwork(COMPACT.cfg, tmp_path / "silenced.weights").predict(crops)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert [spec.out_shape.c for spec in pydarknet.parse_cfg(cfg).layers if spec.type == "convolutional"] == filters


def test_keeping_every_filter_keeps_the_weights(tmp_path):
    import pydarknet

    text, params, _ = _script().prune(COMPACT.cfg, COMPACT.weights, [16, 32, 64, 64])
    assert text == COMPACT.cfg.read_text()
    original = read_weights(COMPACT.weights, pydarknet.parse_cfg(COMPACT.cfg))
    for a, b in zip(params, original):
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_pruning_refuses_what_it_cannot_prune(tmp_path):
    script = _script()
    with pytest.raises(ValueError, match="3 filter counts for 4"):
        script.prune(COMPACT.cfg, COMPACT.weights, [8, 24, 48])
    with pytest.raises(ValueError, match="filters of 16"):
        script.prune(COMPACT.cfg, COMPACT.weights, [17, 24, 48, 48])
    yolo = ROOT / "lpr" / "models" / "plate-detector.cfg"
    write_random_weights(yolo, tmp_path / "p.weights")
    with pytest.raises(ValueError, match="only chains of"):
        script.prune(yolo, tmp_path / "p.weights", [8] * 11)


def test_the_script_writes_a_backup_that_resumes_where_its_source_stopped(tmp_path):
    """The command line: a cfg with the filters and the schedule, and a .backup darknet loads,
    with the source's images seen (so training resumes at its iteration)."""
    import subprocess
    import sys

    import pydarknet

    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "prune-char-cnn.py"), str(COMPACT.cfg),
                          str(COMPACT.weights), str(tmp_path), "--filters", "8,24,48,48", "--learning-rate", "0.004",
                          "--steps", "12000,13000", "--max-batches", "13500"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    cfg, backup = tmp_path / COMPACT.cfg.name, tmp_path / "char-cnn-compact.backup"
    config = pydarknet.parse_cfg(cfg)
    assert (config.max_batches, config.get("learning_rate"), config.get("burn_in")) == (13500, 0.004, 0)
    assert read_header(backup).seen == read_header(COMPACT.weights).seen
    pydarknet.check_weights(backup, config)
    with pydarknet.Network(cfg, backup) as net:
        crops = np.random.default_rng(5).random((2, 1, 48, 36), dtype=np.float32)
        np.testing.assert_allclose(net.forward(crops)[0].reshape(2, -1), NumpyNetwork(cfg, backup).predict(crops),
                                   atol=1e-4)
