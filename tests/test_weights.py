"""Tests for pydarknet.weights: header, layout, size checks, reading, writing and random weights."""
from __future__ import annotations

import os
import struct
import textwrap
from pathlib import Path

import numpy as np
import pytest

from pydarknet.cfg import NetworkConfig, parse_cfg
from pydarknet.errors import WeightsError
from pydarknet.weights import (
    HEADER_BYTES,
    LayerExtent,
    WeightsHeader,
    check_weights,
    expected_size,
    header_size,
    layout,
    read_header,
    read_weights,
    write_random_weights,
    write_weights,
)

# A small network with every kind of layer darknet loads weights for.
CFG = """\
[net]
batch=1
width=16
height=16
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
filters=6
size=3
stride=2
pad=1
groups=2
activation=relu

[batchnorm]

[connected]
output=10
activation=linear
batch_normalize=1

[connected]
output=4
activation=linear

[softmax]
"""
# floats per layer: conv0 8 + 3*8 + 8*3*9; conv2 6 + 6*(8/2)*9; batchnorm 3*6;
# connected4 10 + 10*(6*4*4) + 3*10; connected5 4 + 4*10
LAYER_FLOATS = {0: 8 + 24 + 216, 2: 6 + 216, 3: 18, 4: 10 + 960 + 30, 5: 4 + 40}
TOTAL_FLOATS = sum(LAYER_FLOATS.values())


@pytest.fixture()
def cfg_path(tmp_path: Path) -> Path:
    path = tmp_path / "small.cfg"
    path.write_text(CFG)
    return path


@pytest.fixture()
def config(cfg_path: Path) -> NetworkConfig:
    return parse_cfg(cfg_path)


@pytest.fixture()
def weights(cfg_path: Path, tmp_path: Path) -> Path:
    return write_random_weights(cfg_path, tmp_path / "small.weights", seed=1)


def header(major: int = 0, minor: int = 2, revision: int = 0, seen: int = 0) -> bytes:
    if (major * 10 + minor) >= 2 and major < 1000 and minor < 1000:
        return struct.pack("<iiiQ", major, minor, revision, seen)
    return struct.pack("<iiii", major, minor, revision, seen)


def write_file(path: Path, head: bytes, floats: np.ndarray) -> Path:
    path.write_bytes(head + floats.astype("<f4").tobytes())
    return path


def cut(source: Path, target: Path, size: int) -> Path:
    target.write_bytes(source.read_bytes()[:size])
    return target


# --------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------


def test_layout(config: NetworkConfig) -> None:
    extents = layout(config)
    assert [extent.index for extent in extents] == sorted(LAYER_FLOATS)
    assert all(isinstance(extent, LayerExtent) for extent in extents)
    assert extents[0].start == HEADER_BYTES
    for extent, following in zip(extents, extents[1:]):
        assert extent.end == following.start
    for index, start, end in extents:
        assert end - start == 4 * LAYER_FLOATS[index]
    assert expected_size(config) == extents[-1].end == HEADER_BYTES + 4 * TOTAL_FLOATS
    assert layout(config, header_bytes=16)[0].start == 16
    assert expected_size(config, 16) == 16 + 4 * TOTAL_FLOATS


def test_layout_accepts_a_cfg_path(cfg_path: Path, config: NetworkConfig) -> None:
    assert layout(cfg_path) == layout(config)


def test_layer_params_are_in_load_order(config: NetworkConfig) -> None:
    assert config.layers[0].params == [("biases", 8), ("scales", 8), ("rolling_mean", 8),
                                       ("rolling_variance", 8), ("weights", 216)]
    assert config.layers[4].params == [("biases", 10), ("weights", 960), ("scales", 10),
                                       ("rolling_mean", 10), ("rolling_variance", 10)]
    assert config.layers[3].params == [("scales", 6), ("rolling_mean", 6), ("rolling_variance", 6)]


# --------------------------------------------------------------------------------------
# Writing random weights and reading them back
# --------------------------------------------------------------------------------------


def test_round_trip(weights: Path, config: NetworkConfig) -> None:
    assert weights.stat().st_size == HEADER_BYTES + 4 * TOTAL_FLOATS == expected_size(config)
    result = check_weights(weights, config)
    assert result == WeightsHeader(0, 2, 0, 0, 20, False, layers_covered=7, complete=True)
    layers = read_weights(weights, config)
    assert len(layers) == len(config.layers)
    shapes = [{name: array.shape for name, array in layer.items()} for layer in layers]
    assert shapes == [
        {"biases": (8,), "scales": (8,), "rolling_mean": (8,), "rolling_variance": (8,),
         "weights": (8, 3, 3, 3)},
        {},
        {"biases": (6,), "weights": (6, 4, 3, 3)},
        {"scales": (6,), "rolling_mean": (6,), "rolling_variance": (6,)},
        {"biases": (10,), "weights": (10, 96), "scales": (10,), "rolling_mean": (10,),
         "rolling_variance": (10,)},
        {"biases": (4,), "weights": (4, 10)},
        {},
    ]
    for layer in layers:
        for array in layer.values():
            assert array.dtype == np.float32
    raw = np.fromfile(weights, dtype="<f4", offset=HEADER_BYTES)
    assert np.array_equal(raw[:8], layers[0]["biases"])
    assert np.array_equal(raw[-40:], layers[5]["weights"].ravel())


def test_random_values_are_well_scaled(weights: Path, config: NetworkConfig) -> None:
    layers = read_weights(weights, config)
    for layer in layers:
        if "rolling_variance" in layer:
            assert (layer["rolling_variance"] > 0).all()
            assert (layer["scales"] >= 0.5).all() and (layer["scales"] <= 1.5).all()
            assert np.abs(layer["rolling_mean"]).max() < 1
    conv = layers[0]["weights"]
    assert conv.std() == pytest.approx(np.sqrt(2 / 27), rel=0.25)  # He: fan_in = 3*3*3
    assert layers[4]["weights"].std() == pytest.approx(np.sqrt(2 / 96), rel=0.1)
    assert np.abs(layers[0]["biases"]).max() < 0.5
    assert np.isfinite(np.fromfile(weights, dtype="<f4", offset=HEADER_BYTES)).all()


def test_same_seed_same_bytes(cfg_path: Path, tmp_path: Path) -> None:
    first = write_random_weights(cfg_path, tmp_path / "a.weights", seed=5)
    second = write_random_weights(parse_cfg(cfg_path), tmp_path / "b.weights", seed=5)
    other = write_random_weights(cfg_path, tmp_path / "c.weights", seed=6)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    assert len(first.read_bytes()) == len(other.read_bytes())


def test_write_is_atomic_and_replaces(cfg_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "net.weights"
    target.parent.mkdir()
    target.write_bytes(b"old")
    assert write_random_weights(cfg_path, target) == target
    assert target.stat().st_size == expected_size(parse_cfg(cfg_path))
    assert sorted(p.name for p in target.parent.iterdir()) == ["net.weights"]


def test_write_into_a_missing_directory_leaves_nothing(cfg_path: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_random_weights(cfg_path, tmp_path / "missing" / "net.weights")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.cfg"]


def test_written_parameters_read_back_byte_for_byte(config: NetworkConfig, weights: Path, tmp_path: Path) -> None:
    """write_weights is read_weights' inverse: what it reads, written with the file's images
    seen, is the same file, every layer kind of the small network included."""
    seen_file = tmp_path / "seen.weights"
    seen_file.write_bytes(header(seen=2**33 + 5) + weights.read_bytes()[HEADER_BYTES:])
    params = read_weights(seen_file, config)
    out = write_weights(tmp_path / "copy.weights", params, config, seen=2**33 + 5)
    assert out == tmp_path / "copy.weights"
    assert out.read_bytes() == seen_file.read_bytes()
    assert read_header(out).seen == 2**33 + 5
    # float64 arrays are written as float32; the default is no images seen
    as_double = [{name: values.astype(np.float64) for name, values in layer.items()} for layer in params]
    again = write_weights(tmp_path / "double.weights", as_double, config)
    assert again.read_bytes()[HEADER_BYTES:] == weights.read_bytes()[HEADER_BYTES:]
    assert read_header(again).seen == 0


def test_a_flipped_convolution_is_written_as_darknet_reads_it(tmp_path: Path) -> None:
    cfg = tmp_path / "flip.cfg"
    cfg.write_text("[net]\nwidth=4\nheight=4\nchannels=2\n\n"
                   "[convolutional]\nfilters=3\nsize=1\nflipped=1\n")
    rng = np.random.default_rng(2)
    params = [{"biases": rng.standard_normal(3).astype(np.float32),
               "weights": rng.standard_normal((3, 2, 1, 1)).astype(np.float32)}]
    path = write_weights(tmp_path / "flip.weights", params, cfg)
    stored = np.fromfile(path, dtype="<f4", offset=HEADER_BYTES)[3:]
    assert np.array_equal(stored, params[0]["weights"][:, :, 0, 0].T.ravel())    # (c, n) on disk
    assert np.array_equal(read_weights(path, cfg)[0]["weights"], params[0]["weights"])


def test_writing_parameters_that_do_not_fit_the_cfg_writes_nothing(config: NetworkConfig, weights: Path,
                                                                   tmp_path: Path) -> None:
    params = read_weights(weights, config)
    target = tmp_path / "bad.weights"
    with pytest.raises(ValueError, match="6 layers of parameters for a cfg of 7 layers"):
        write_weights(target, params[:6], config)
    missing = [dict(layer) for layer in params]
    del missing[4]["rolling_mean"]
    with pytest.raises(ValueError, match=r"layer 4 \[connected\] has parameters"):
        write_weights(target, missing, config)
    extra = [dict(layer) for layer in params]
    extra[1]["weights"] = np.zeros(1, np.float32)              # a [maxpool] has none
    with pytest.raises(ValueError, match=r"layer 1 \[maxpool\] has parameters \[\]"):
        write_weights(target, extra, config)
    wrong = [dict(layer) for layer in params]
    wrong[2]["weights"] = wrong[2]["weights"].reshape(6, 36)        # groups=2: 4 channels a filter
    with pytest.raises(ValueError, match=r"layer 2 \[convolutional\] weights: shape \(6, 36\), "
                                         r"the cfg needs \(6, 4, 3, 3\)"):
        write_weights(target, wrong, config)
    with pytest.raises(ValueError, match="seen must fit"):
        write_weights(target, params, config, seen=-1)
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.cfg", "small.weights"]


def _forward(config: NetworkConfig, layers: list[dict[str, np.ndarray]], x: np.ndarray
             ) -> list[np.ndarray]:
    """darknet's inference for 1x1 convolutions, batch norm, leaky and shortcuts."""
    outputs = []
    for spec, params in zip(config.layers, layers):
        if spec.type == "convolutional":
            x = np.einsum("oc,chw->ohw", params["weights"][:, :, 0, 0], x)
            if spec.get("batch_normalize"):
                x = (x - params["rolling_mean"][:, None, None]) / (
                    np.sqrt(params["rolling_variance"][:, None, None]) + 1e-6)
                x = x * params["scales"][:, None, None]
            x = x + params["biases"][:, None, None]
            if spec.get("activation") == "leaky":
                x = np.where(x > 0, x, 0.1 * x)
        elif spec.type == "shortcut":
            x = x + outputs[spec.sources[0]]
        outputs.append(x)
    return outputs


def test_random_network_keeps_unit_scale(tmp_path: Path) -> None:
    """darknet normalises with the stored rolling statistics: they must fit the activations.

    Rolling variances drawn from U(0.5, 1.5) alone let a deep residual network's
    activations grow by orders of magnitude (over 1e6 at the end of yolov3).
    """
    blocks = "".join(
        "[convolutional]\nbatch_normalize=1\nfilters=16\nsize=1\nactivation=leaky\n\n"
        "[convolutional]\nbatch_normalize=1\nfilters=32\nsize=1\nactivation=leaky\n\n"
        "[shortcut]\nfrom=-3\n\n" for _ in range(12))
    text = ("[net]\nwidth=8\nheight=8\nchannels=3\n\n"
            "[convolutional]\nbatch_normalize=1\nfilters=32\nsize=1\nactivation=leaky\n\n"
            + blocks + "[convolutional]\nfilters=8\nsize=1\nactivation=linear\n")
    cfg = tmp_path / "deep.cfg"
    cfg.write_text(text)
    config = parse_cfg(cfg)
    image = np.random.default_rng(0).uniform(0, 1, (3, 8, 8))
    for seed in range(3):
        path = write_random_weights(config, tmp_path / "deep.weights", seed=seed)
        outputs = _forward(config, read_weights(path, config), image)
        scales = [float(np.sqrt(np.mean(out ** 2))) for out in outputs]
        assert 0.1 < min(scales) and max(scales) < 10, scales


def test_deconvolutional_weights_shape(tmp_path: Path) -> None:
    cfg = tmp_path / "deconv.cfg"
    cfg.write_text("[net]\nwidth=4\nheight=4\nchannels=2\n\n"
                   "[deconvolutional]\nfilters=3\nsize=2\nstride=2\nbatch_normalize=1\n")
    path = write_random_weights(cfg, tmp_path / "deconv.weights")
    assert path.stat().st_size == 20 + 4 * (3 * 4 + 2 * 3 * 2 * 2)
    # darknet 61c9d02e divides by the deconvolutional layer's groups (left at 0) on load
    with pytest.raises(WeightsError, match=r"layer 0 \[deconvolutional\].*dontload=1"):
        check_weights(path, cfg)
    cfg.write_text(cfg.read_text() + "dontload=1\n")
    assert parse_cfg(cfg).param_count == 0
    check_weights(cut(path, tmp_path / "header.weights", 20), cfg)


# --------------------------------------------------------------------------------------
# Size checks
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", [1, 4])
def test_truncated_by_a_few_bytes(weights: Path, config: NetworkConfig, tmp_path: Path,
                                  missing: int) -> None:
    size = weights.stat().st_size - missing
    short = cut(weights, tmp_path / "short.weights", size)
    expected = expected_size(config)
    with pytest.raises(WeightsError) as info:
        check_weights(short, config)
    assert info.value.reason == (f"truncated: {size} bytes, cfg needs {expected} "
                                 "(layer 5 [connected] would be cut)")


def test_truncated_by_a_layer(weights: Path, config: NetworkConfig, tmp_path: Path) -> None:
    last = layout(config)[-1]
    short = cut(weights, tmp_path / "short.weights", last.start)
    with pytest.raises(WeightsError) as info:
        check_weights(short, config)
    assert info.value.reason == (
        f"truncated: {last.start} bytes, cfg needs {last.end} (it ends after layer 4: layer 5 "
        "[connected] and later are missing); pass allow_partial=True for a pretrained backbone")
    with pytest.raises(WeightsError, match="truncated"):
        read_weights(short, config)


def test_oversized(weights: Path, config: NetworkConfig, tmp_path: Path) -> None:
    big = tmp_path / "big.weights"
    big.write_bytes(weights.read_bytes() + b"\0" * 8)
    with pytest.raises(WeightsError) as info:
        check_weights(big, config)
    expected = expected_size(config)
    assert info.value.reason == f"oversized by 8 bytes: {expected + 8} bytes, cfg needs {expected}"
    with pytest.raises(WeightsError, match="oversized by 8 bytes"):
        check_weights(big, config, allow_partial=True)


def test_weights_of_another_cfg(weights: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.cfg"
    other.write_text(CFG.replace("output=10", "output=12"))
    with pytest.raises(WeightsError, match="truncated"):
        check_weights(weights, other)
    other.write_text(CFG.replace("filters=8", "filters=4"))
    with pytest.raises(WeightsError, match="oversized"):
        check_weights(weights, other)


@pytest.mark.parametrize("boundary", [1, 2, 3, 4])
def test_allow_partial_accepts_a_layer_boundary(weights: Path, config: NetworkConfig,
                                               tmp_path: Path, boundary: int) -> None:
    extent = layout(config)[boundary - 1]
    prefix = cut(weights, tmp_path / "prefix.weights", extent.end)
    result = check_weights(prefix, config, allow_partial=True)
    assert result.layers_covered == extent.index + 1
    assert result.complete is False
    layers = read_weights(prefix, config, allow_partial=True)
    full = read_weights(weights, config)
    for index, layer in enumerate(layers):
        if index <= extent.index:
            assert layer.keys() == full[index].keys()
            for name in layer:
                assert np.array_equal(layer[name], full[index][name])
        else:
            assert layer == {}


def test_allow_partial_complete_file(weights: Path, config: NetworkConfig) -> None:
    result = check_weights(weights, config, allow_partial=True)
    assert result.layers_covered == len(config.layers) and result.complete


@pytest.mark.parametrize("into", [4, 8, 68])
def test_allow_partial_rejects_a_cut_inside_a_layer(weights: Path, config: NetworkConfig,
                                                    tmp_path: Path, into: int) -> None:
    extent = layout(config)[2]
    short = cut(weights, tmp_path / "short.weights", extent.start + into)
    with pytest.raises(WeightsError, match=r"layer 3 \[batchnorm\] would be cut"):
        check_weights(short, config, allow_partial=True)


def test_allow_partial_rejects_a_header_only_file(weights: Path, config: NetworkConfig,
                                                  tmp_path: Path) -> None:
    short = cut(weights, tmp_path / "short.weights", HEADER_BYTES)
    with pytest.raises(WeightsError, match="no complete layer"):
        check_weights(short, config, allow_partial=True)


def test_missing_weights_file(config: NetworkConfig, tmp_path: Path) -> None:
    for function in (read_header, header_size, lambda p: check_weights(p, config)):
        with pytest.raises(FileNotFoundError) as info:
            function(tmp_path / "absent.weights")
        assert info.value.filename == str(tmp_path / "absent.weights")


def test_nan_and_inf_are_rejected(weights: Path, config: NetworkConfig, tmp_path: Path) -> None:
    data = bytearray(weights.read_bytes())
    offset = layout(config)[3].start + 4 * 10 + 4 * 7  # connected layer 4, weights[7]
    data[offset:offset + 4] = struct.pack("<f", float("nan"))
    bad = tmp_path / "nan.weights"
    bad.write_bytes(bytes(data))
    pattern = rf"nan at byte {offset} \(layer 4 \[connected\] weights\)"
    with pytest.raises(WeightsError, match=pattern):
        check_weights(bad, config)
    assert check_weights(bad, config, scan_values=False).complete
    data[offset:offset + 4] = struct.pack("<f", float("-inf"))
    bad.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="-inf at byte"):
        check_weights(bad, config)


# --------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------


def test_current_header(weights: Path) -> None:
    assert read_header(weights) == WeightsHeader(0, 2, 0, 0, 20, False)
    assert header_size(weights) == 20


def test_seen_as_uint64(tmp_path: Path) -> None:
    path = tmp_path / "seen.weights"
    path.write_bytes(header(0, 2, 5, seen=2**40 + 3))
    assert read_header(path) == WeightsHeader(0, 2, 5, 2**40 + 3, 20, False)


def test_old_header_with_int32_seen(config: NetworkConfig, tmp_path: Path) -> None:
    floats = np.random.default_rng(0).standard_normal(TOTAL_FLOATS)
    path = write_file(tmp_path / "old.weights", header(0, 1, 0, seen=123456), floats)
    assert read_header(path) == WeightsHeader(0, 1, 0, 123456, 16, False)
    assert header_size(path) == 16
    result = check_weights(path, config)
    assert result.header_bytes == 16 and result.complete
    layers = read_weights(path, config)
    assert np.array_equal(layers[0]["biases"], floats[:8].astype(np.float32))
    assert np.array_equal(layers[5]["weights"].ravel(), floats[-40:].astype(np.float32))
    # the same floats behind a current header are oversized/truncated by 4 bytes
    with pytest.raises(WeightsError, match="truncated"):
        check_weights(write_file(tmp_path / "new.weights", header(0, 2), floats[:-1]), config)


def test_transposed_header(config: NetworkConfig, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    floats = rng.standard_normal(TOTAL_FLOATS).astype(np.float32)
    path = write_file(tmp_path / "t.weights", header(1001, 0, 0, seen=7), floats)
    result = read_header(path)
    assert (result.transpose, result.header_bytes, result.seen) == (True, 16, 7)
    # darknet stores connected weights as (inputs, outputs) then and transposes on load
    start = 16 + 4 * (LAYER_FLOATS[0] + LAYER_FLOATS[2] + LAYER_FLOATS[3] + 10)
    stored = np.frombuffer(path.read_bytes()[start:start + 4 * 960], dtype="<f4").reshape(96, 10)
    assert np.array_equal(read_weights(path, config)[4]["weights"], stored.T)


def test_flipped_convolution_is_transposed(tmp_path: Path) -> None:
    cfg = tmp_path / "flip.cfg"
    cfg.write_text("[net]\nwidth=4\nheight=4\nchannels=2\n\n"
                   "[convolutional]\nfilters=3\nsize=1\nflipped=1\n")
    floats = np.arange(3 + 6, dtype=np.float32)
    path = write_file(tmp_path / "flip.weights", header(), floats)
    weights = read_weights(path, cfg)[0]["weights"]
    # stored as a (c*size*size, n) matrix, which darknet transposes to (n, c*size*size)
    assert np.array_equal(weights[:, :, 0, 0], floats[3:].reshape(2, 3).T)


@pytest.mark.parametrize("size", [0, 8, 11])
def test_header_too_short(tmp_path: Path, size: int) -> None:
    path = tmp_path / "short.weights"
    path.write_bytes(header()[:size])
    with pytest.raises(WeightsError, match=f"too short for a darknet weights header: {size} bytes"):
        read_header(path)


def test_header_too_short_for_uint64_seen(config: NetworkConfig, tmp_path: Path) -> None:
    path = tmp_path / "short.weights"
    path.write_bytes(header()[:16])
    with pytest.raises(WeightsError, match="version 0.2.0 needs 20"):
        check_weights(path, config)
    path.write_bytes(header(0, 1)[:14])
    with pytest.raises(WeightsError, match="version 0.1.0 needs 16"):
        read_header(path)


def test_error_carries_the_path(weights: Path, config: NetworkConfig, tmp_path: Path) -> None:
    short = cut(weights, tmp_path / "short.weights", 30)
    with pytest.raises(WeightsError) as info:
        check_weights(short, config)
    assert info.value.path == str(short)
    assert str(info.value).startswith(f"{short}: truncated: 30 bytes")
    assert isinstance(info.value, ValueError)


# --------------------------------------------------------------------------------------
# Load flags in the cfg
# --------------------------------------------------------------------------------------


def test_load_flags_change_the_layout(tmp_path: Path) -> None:
    cfg = tmp_path / "flags.cfg"
    cfg.write_text(textwrap.dedent("""\
        [net]
        width=4
        height=4
        channels=2

        [convolutional]
        filters=4
        size=1
        batch_normalize=1
        numload=2

        [convolutional]
        filters=4
        size=1
        batch_normalize=1
        dontloadscales=1

        [convolutional]
        filters=4
        size=1
        dontload=1
        """))
    config = parse_cfg(cfg)
    assert [(e.index, e.end - e.start) for e in layout(config)] == [(0, 4 * (2 * 4 + 2 * 2)),
                                                                    (1, 4 * (4 + 16))]
    path = write_random_weights(config, tmp_path / "flags.weights")
    layers = read_weights(path, config)
    assert layers[0]["weights"].shape == (2, 2, 1, 1)
    assert set(layers[1]) == {"biases", "weights"}
    assert layers[2] == {}


def test_yolov3_tiny_random_weights(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[1]
    bases = [os.environ.get("DARKNET_SOURCE_DIR"), repo / "third_party" / "darknet-debian",
             repo / "darknet"]
    cfgs = [Path(base) / "cfg" / "yolov3-tiny.cfg" for base in bases if base]
    cfg = next((path for path in cfgs if path.is_file()), None)
    if cfg is None:
        pytest.skip("darknet's yolov3-tiny.cfg not found (set DARKNET_SOURCE_DIR)")
    path = write_random_weights(cfg, tmp_path / "yolov3-tiny.weights", seed=0)
    assert path.stat().st_size == 35_434_956  # the size of the released yolov3-tiny.weights
    assert check_weights(path, cfg).complete
