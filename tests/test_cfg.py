"""Tests for pydarknet.cfg: darknet cfg parsing, validation and shape propagation."""
from __future__ import annotations

import errno
import os
import re
import textwrap
import warnings
from pathlib import Path

import pytest

from pydarknet.cfg import (
    ACTIVATIONS,
    SUPPORTED_LAYER_TYPES,
    LayerSpec,
    NetworkConfig,
    Shape,
    parse_cfg,
)
from pydarknet.errors import ConfigError
from pydarknet.weights import expected_size

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------
# Locating darknet's stock cfgs
# --------------------------------------------------------------------------------------


def _darknet_dir() -> Path | None:
    candidates = [os.environ.get("DARKNET_SOURCE_DIR"), REPO / "third_party" / "darknet-debian",
                  REPO / "darknet"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "cfg" / "yolov3.cfg").is_file():
            return Path(candidate)
    return None


DARKNET = _darknet_dir()
NO_DARKNET = ("darknet sources not found: set DARKNET_SOURCE_DIR or provide "
              "third_party/darknet-debian or the darknet submodule")
needs_darknet = pytest.mark.skipif(DARKNET is None, reason=NO_DARKNET)
STOCK_CFGS = sorted((DARKNET / "cfg").glob("*.cfg")) if DARKNET else []


def _section_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = re.sub(r"[ \t]", "", line)
        if line.startswith("["):
            names.add(line.strip("[]"))
    return names


def _uses_only_supported(path: Path) -> bool:
    aliases = {"conv", "deconv", "conn", "max", "avg", "soft", "net", "network"}
    return _section_names(path) <= SUPPORTED_LAYER_TYPES | aliases


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------

BASE = """\
[net]
batch=2
subdivisions=1
width=32
height=32
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
filters=8
size=3
stride=2
pad=1
activation=leaky

[route]
layers=-1

[convolutional]
filters=21
size=1
stride=1
pad=1
activation=linear

[yolo]
mask=0,1,2
anchors=10,13, 16,30, 33,23
classes=2
num=3
"""


def write(tmp_path: Path, text: str, name: str = "net.cfg") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def parse_text(tmp_path: Path, text: str) -> NetworkConfig:
    return parse_cfg(write(tmp_path, text))


def net_with(layers: str, net: str = "width=32\nheight=32\nchannels=3\n") -> str:
    return "[net]\n" + net + "\n" + textwrap.dedent(layers)


def assert_rejected(tmp_path: Path, text: str | bytes, pattern: str, line: int | None = None
                    ) -> ConfigError:
    path = tmp_path / "bad.cfg"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    with pytest.raises(ConfigError) as info:
        parse_cfg(path)
    assert re.search(pattern, info.value.reason), info.value.reason
    assert info.value.path == str(path)
    if line is not None:
        assert info.value.line == line, info.value
    return info.value


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# --------------------------------------------------------------------------------------
# Stock cfgs
# --------------------------------------------------------------------------------------


@needs_darknet
@pytest.mark.parametrize("path", STOCK_CFGS, ids=lambda p: p.name)
def test_stock_cfg(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DARKNET)  # tree=/map= files are relative to darknet's directory
    if not _uses_only_supported(path):
        with pytest.raises(ConfigError):
            parse_cfg(path)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = parse_cfg(path)
    # yolov3-openimages.cfg sets batch and subdivisions twice; darknet uses the first ones
    assert bool(caught) == (path.name == "yolov3-openimages.cfg"), [str(w.message) for w in caught]
    assert config.layers
    for spec in config.layers:
        assert min(spec.out_shape) >= 1
        assert min(spec.in_shape) >= 1
    assert config.output_layers
    assert config.classes >= 1


@needs_darknet
def test_stock_cfgs_found() -> None:
    names = {path.name for path in STOCK_CFGS}
    assert {"yolov3.cfg", "yolov3-tiny.cfg", "yolov2.cfg", "resnet50.cfg"} <= names
    assert sum(_uses_only_supported(path) for path in STOCK_CFGS) >= 30


@needs_darknet
def test_yolov3_tiny_numbers() -> None:
    config = parse_cfg(DARKNET / "cfg" / "yolov3-tiny.cfg")
    assert (config.width, config.height, config.channels) == (416, 416, 3)
    assert len(config.layers) == 24
    assert config.output_layers == [16, 23]
    assert [config.layers[i].out_shape for i in config.output_layers] == [
        Shape(255, 13, 13), Shape(255, 26, 26)]
    assert config.classes == 80
    assert config.param_count == 8_858_734
    assert expected_size(config) == 35_434_956  # size of the released yolov3-tiny.weights
    assert config.flops() / 1e9 == pytest.approx(5.56, abs=0.01)
    # route 13 concatenates the upsampled 26x26x128 with layer 8 (26x26x256)
    assert config.layers[20].type == "route"
    assert config.layers[20].sources == (19, 8)
    assert config.layers[20].out_shape == Shape(384, 26, 26)
    # maxpool size=2 stride=1 keeps 13x13 thanks to its default padding size-1
    assert config.layers[11].type == "maxpool"
    assert config.layers[11].out_shape == Shape(512, 13, 13)
    assert config.layers[11].get("padding") == 1


@needs_darknet
def test_yolov3_numbers_at_416(tmp_path: Path) -> None:
    text = (DARKNET / "cfg" / "yolov3.cfg").read_text()
    text = re.sub(r"(?m)^width=\d+", "width=416", text)
    text = re.sub(r"(?m)^height=\d+", "height=416", text)
    config = parse_cfg(write(tmp_path, text, "yolov3-416.cfg"))
    assert len(config.layers) == 107
    assert config.output_layers == [82, 94, 106]
    assert [config.layers[i].out_shape for i in config.output_layers] == [
        Shape(255, 13, 13), Shape(255, 26, 26), Shape(255, 52, 52)]
    # The widely quoted 61,949,149 is the *trainable* count (Keras); the weights file also
    # holds the BN rolling means and variances (52,608 floats): 62,001,757 floats in all,
    # which is exactly the size of the released yolov3.weights (248,007,048 bytes).
    rolling = sum(count for spec in config.layers for name, count in spec.params
                  if name.startswith("rolling_"))
    assert config.param_count - rolling == 61_949_149
    assert config.param_count == 62_001_757
    assert expected_size(config) == 248_007_048
    assert config.flops() / 1e9 == pytest.approx(65.86, abs=0.01)


@needs_darknet
def test_yolo9000_tree_is_resolved_from_the_working_directory(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = DARKNET / "cfg" / "yolo9000.cfg"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="tree file 'data/9k.tree' not found"):
        parse_cfg(path)
    monkeypatch.chdir(DARKNET)
    assert parse_cfg(path).classes == 9418


# --------------------------------------------------------------------------------------
# A small valid network
# --------------------------------------------------------------------------------------


def test_base_network(tmp_path: Path) -> None:
    config = parse_text(tmp_path, BASE)
    assert isinstance(config, NetworkConfig)
    assert config.path == tmp_path / "net.cfg"
    assert (config.width, config.height, config.channels) == (32, 32, 3)
    assert (config.batch, config.subdivisions, config.max_batches) == (2, 1, 0)
    assert config.effective_batch == 2
    assert [spec.type for spec in config.layers] == [
        "convolutional", "maxpool", "convolutional", "route", "convolutional", "yolo"]
    assert [spec.out_shape for spec in config.layers] == [
        Shape(8, 32, 32), Shape(8, 16, 16), Shape(8, 8, 8), Shape(8, 8, 8), Shape(21, 8, 8),
        Shape(21, 8, 8)]
    assert config.layers[0].in_shape == Shape(3, 32, 32)
    assert config.output_layers == [5]
    assert config.classes == 2
    assert config.layers[3].sources == (2,)


def test_layer_spec_details(tmp_path: Path) -> None:
    config = parse_text(tmp_path, BASE)
    conv = config.layers[0]
    assert isinstance(conv, LayerSpec)
    assert conv.index == 0
    assert conv.line == line_of(BASE, "[convolutional]")
    assert conv.options["activation"] == "leaky"
    assert conv.get("filters") == 8 and conv.get("groups") == 1  # groups: darknet's default
    assert conv.params == [("biases", 8), ("scales", 8), ("rolling_mean", 8),
                           ("rolling_variance", 8), ("weights", 8 * 3 * 3 * 3)]
    assert config.layers[2].params == [("biases", 8), ("weights", 8 * 8 * 3 * 3)]
    assert config.layers[1].params == [] and config.layers[5].params == []
    assert config.layers[5].get("anchors") == (10.0, 13.0, 16.0, 30.0, 33.0, 23.0)
    assert config.layers[5].get("mask") == (0, 1, 2)
    with pytest.raises(KeyError):
        conv.get("nonsense")
    assert config.param_count == sum(spec.param_count for spec in config.layers)
    expected = 2 * (8 * 27 * 32 * 32 + 8 * 72 * 8 * 8 + 21 * 8 * 8 * 8)
    assert config.flops() == expected


def test_net_values_are_typed_with_darknet_defaults(tmp_path: Path) -> None:
    config = parse_text(tmp_path, BASE.replace(
        "channels=3", "channels=3\nlearning_rate=.01\npolicy=steps\nsteps=10,20\nscales=.1,.1"))
    assert config.get("learning_rate") == pytest.approx(0.01)
    assert config.get("steps") == (10, 20)
    assert config.get("scales") == (0.1, 0.1)
    assert config.get("policy") == "steps"
    assert config.get("momentum") == pytest.approx(0.9)
    assert config.net["max_crop"] == 64  # darknet's default: width*2
    assert config.net["inputs"] == 32 * 32 * 3
    with pytest.raises(KeyError):
        config.get("nonsense")


def test_whitespace_comments_and_aliases(tmp_path: Path) -> None:
    text = """\
        # comment
        [network]
        ; another comment
          b a t c h = 4
        sub divisions=2
        width = 16
        height\t=16
        channels=1

        [conv]
        filters=4
        size=3
        stride=1
        pad=1
        activation = relu

        [max]
        size=2
        stride=2

        [avg]

        [conn]
        output=3
        activation=linear

        [soft]
        """
    config = parse_text(tmp_path, text)
    assert config.batch == 4 and config.subdivisions == 2
    assert [spec.type for spec in config.layers] == [
        "convolutional", "maxpool", "avgpool", "connected", "softmax"]
    assert config.layers[2].out_shape == Shape(4, 1, 1)
    assert config.layers[3].params == [("biases", 3), ("weights", 12)]
    assert config.classes == 3
    assert config.output_layers == [4]


def test_shapes_of_other_layer_types(tmp_path: Path) -> None:
    text = net_with("""\
        [deconvolutional]
        filters=4
        size=4
        stride=2
        padding=1
        batch_normalize=1

        [batchnorm]

        [upsample]
        stride=-2

        [reorg]
        stride=2

        [upsample]

        [crop]
        crop_height=10
        crop_width=12

        [l2norm]

        [logistic]

        [dropout]

        [shortcut]
        from=-4
        activation=leaky

        [connected]
        output=5
        batch_normalize=1

        [softmax]

        [cost]
        """)
    config = parse_text(tmp_path, text)
    shapes = [spec.out_shape for spec in config.layers]
    assert shapes == [
        Shape(4, 64, 64),  # deconv: (32-1)*2 + 4 - 2*1
        Shape(4, 64, 64),
        Shape(4, 32, 32),  # negative stride downsamples
        Shape(16, 16, 16),  # reorg stride 2
        Shape(16, 32, 32),
        Shape(16, 10, 12),
        Shape(16, 10, 12),
        Shape(16, 10, 12),
        Shape(16, 10, 12),
        Shape(16, 10, 12),
        Shape(5, 1, 1),
        Shape(5, 1, 1),
        Shape(5, 1, 1),
    ]
    assert config.layers[0].params == [("biases", 4), ("scales", 4), ("rolling_mean", 4),
                                       ("rolling_variance", 4), ("weights", 3 * 4 * 4 * 4)]
    assert config.layers[1].params == [("scales", 4), ("rolling_mean", 4),
                                       ("rolling_variance", 4)]
    # connected: batch-norm parameters come after the weights
    assert config.layers[10].params == [("biases", 5), ("weights", 5 * 16 * 10 * 12),
                                        ("scales", 5), ("rolling_mean", 5),
                                        ("rolling_variance", 5)]
    assert config.layers[9].sources == (5,)
    assert config.output_layers == [11]  # darknet's output layer: the last non-cost one
    assert config.classes == 5


def test_load_flags_change_the_weights_read(tmp_path: Path) -> None:
    text = net_with("""\
        [convolutional]
        filters=8
        size=1
        batch_normalize=1
        numload=4

        [convolutional]
        filters=8
        size=1
        batch_normalize=1
        dontloadscales=1

        [convolutional]
        filters=8
        size=1
        dontload=1

        [convolutional]
        filters=8
        size=3
        groups=2
        """)
    layers = parse_text(tmp_path, text).layers
    assert layers[0].params == [("biases", 4), ("scales", 4), ("rolling_mean", 4),
                                ("rolling_variance", 4), ("weights", 4 * 3)]
    assert layers[1].params == [("biases", 8), ("weights", 64)]
    assert layers[2].params == []
    assert layers[3].params == [("biases", 8), ("weights", 8 * 4 * 9)]
    assert layers[3].out_shape == Shape(8, 30, 30)  # pad=0, padding=0
    assert layers[3].flops == 2 * 8 * 9 * 8 / 2 * 30 * 30


def test_conv_explicit_padding_and_maxpool_defaults(tmp_path: Path) -> None:
    text = net_with("""\
        [convolutional]
        filters=2
        size=5
        stride=2
        padding=1

        [maxpool]
        stride=2

        [maxpool]
        size=3
        stride=2
        padding=0
        """)
    layers = parse_text(tmp_path, text).layers
    assert layers[0].out_shape == Shape(2, 15, 15)  # (32 + 2 - 5)/2 + 1
    assert layers[1].get("size") == 2 and layers[1].get("padding") == 1
    assert layers[1].out_shape == Shape(2, 8, 8)  # (15 + 1 - 2)/2 + 1
    assert layers[2].out_shape == Shape(2, 3, 3)  # (8 - 3)/2 + 1


def test_identical_duplicate_is_accepted_and_net_duplicate_warns(tmp_path: Path) -> None:
    text = BASE.replace("filters=8\nsize=3\nstride=2", "filters=8\nfilters=8\nsize=3\nstride=2")
    assert parse_text(tmp_path, text).layers[2].get("filters") == 8
    text = BASE.replace("batch=2", "batch=2\nbatch=8")
    with pytest.warns(UserWarning, match="duplicate key 'batch'.*first value '2'"):
        config = parse_text(tmp_path, text)
    assert config.batch == 2  # darknet's option_find returns the first match


# --------------------------------------------------------------------------------------
# Files darknet cannot read
# --------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.cfg"
    with pytest.raises(FileNotFoundError) as info:
        parse_cfg(path)
    assert info.value.errno == errno.ENOENT
    assert info.value.filename == str(path)


def test_binary_garbage(tmp_path: Path) -> None:
    assert_rejected(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "binary data")


def test_random_bytes(tmp_path: Path) -> None:
    import random
    rng = random.Random(3)
    data = bytes(rng.randrange(256) for _ in range(4096))
    assert_rejected(tmp_path, data, "binary data|not UTF-8")


def test_non_utf8(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.encode() + b"# caf\xe9\n", "not UTF-8",
                    line=BASE.count("\n") + 1)


def test_nul_byte(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("filters=21", "filters=2\x001").encode(),
                    "control character", line=line_of(BASE, "filters=21"))


def test_windows_line_endings(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("\n", "\r\n").encode(), "Windows line ending", line=1)


def test_empty_file(tmp_path: Path) -> None:
    assert_rejected(tmp_path, "", "no sections")


def test_only_comments(tmp_path: Path) -> None:
    assert_rejected(tmp_path, "# nothing\n;here\n\n", "no sections")


def test_no_net_section(tmp_path: Path) -> None:
    text = BASE.split("\n\n", 1)[1]
    assert_rejected(tmp_path, text, r"first section must be \[net\] or \[network\]", line=1)


def test_net_only(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.split("\n\n", 1)[0], "no layers")


def test_key_before_section(tmp_path: Path) -> None:
    assert_rejected(tmp_path, "batch=1\n" + BASE, "before any \\[section\\]", line=1)


def test_line_without_equals(tmp_path: Path) -> None:
    text = BASE.replace("stride=2\npad=1", "stride=2\npad\n")
    assert_rejected(tmp_path, text, "expected a \\[section\\] header or key=value, got 'pad'",
                    line=text.splitlines().index("pad") + 1)


def test_key_without_value(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("classes=2", "classes="), "key=value")


def test_long_garbage_line_is_shortened_in_the_message(tmp_path: Path) -> None:
    error = assert_rejected(tmp_path, "y" * 5000, "expected a \\[section\\] header")
    assert len(error.reason) < 200


def test_malformed_section_header(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("[route]", "[route"), "malformed section header")
    assert_rejected(tmp_path, BASE.replace("[route]", "[route] # why"), "malformed section")


def test_unknown_section(tmp_path: Path) -> None:
    text = BASE.replace("[maxpool]", "[maxpooling]")
    assert_rejected(tmp_path, text,
                    r"unknown section \[maxpooling\] \(did you mean \[maxpool\]\?\)",
                    line=line_of(text, "[maxpooling]"))


def test_section_names_are_case_sensitive(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("[route]", "[Route]"), r"unknown section \[Route\]")


@pytest.mark.parametrize("kind", ["lstm", "local", "detection", "rnn", "gru", "activation"])
def test_unsupported_darknet_layer(tmp_path: Path, kind: str) -> None:
    assert_rejected(tmp_path, BASE.replace("[route]\nlayers=-1", f"[{kind}]"),
                    rf"layer type \[{kind}\] is not supported by pydarknet")


def test_second_net_section(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("[route]\nlayers=-1", "[net]"),
                    r"\[net\] may only be the first section")


def test_unknown_key(tmp_path: Path) -> None:
    text = BASE.replace("[route]\nlayers=-1", "[route]\nlayers=-1\nbanana=3")
    assert_rejected(tmp_path, text, r"unknown key 'banana' in \[route\]",
                    line=line_of(text, "banana"))


def test_typo_key_gets_a_suggestion(tmp_path: Path) -> None:
    text = BASE.replace("filters=21", "fliters=21")
    assert_rejected(tmp_path, text,
                    r"unknown key 'fliters' in \[convolutional\] \(did you mean 'filters'\?\)",
                    line=line_of(text, "fliters"))


def test_unknown_net_key(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("batch=2", "batch=2\nbach_size=3"),
                    r"unknown key 'bach_size' in \[net\]")


def test_layer_key_in_the_wrong_section(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("layers=-1", "layers=-1\nfilters=3"),
                    r"unknown key 'filters' in \[route\]")


def test_conflicting_duplicate_key(tmp_path: Path) -> None:
    text = BASE.replace("filters=21", "filters=21\nfilters=24")
    assert_rejected(tmp_path, text, r"\[convolutional\] #4: duplicate key 'filters'",
                    line=line_of(text, "filters=24"))


# --------------------------------------------------------------------------------------
# Values darknet would silently misread
# --------------------------------------------------------------------------------------


def test_non_numeric_int(tmp_path: Path) -> None:
    text = BASE.replace("filters=21", "filters=abc")
    assert_rejected(tmp_path, text, r"\[convolutional\] #4: filters must be an integer, got 'abc'",
                    line=line_of(text, "filters=abc"))


def test_float_for_an_int(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("size=3\nstride=1", "size=3.5\nstride=1"),
                    "size must be an integer, got '3.5'")


def test_non_numeric_float(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("batch=2", "batch=2\nmomentum=high"),
                    r"\[net\]: momentum must be a number, got 'high'")


@pytest.mark.parametrize("value", ["nan", "inf", "1e999", "0x10", "1_0"])
def test_float_oddities(tmp_path: Path, value: str) -> None:
    assert_rejected(tmp_path, BASE.replace("batch=2", f"batch=2\ndecay={value}"), "decay")


def test_int_overflow(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("filters=21", "filters=4294967317"), "C int")


def test_inline_comment(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("filters=21", "filters=21 # 3*(2+5)"),
                    "comment after a value")


def test_filters_zero(tmp_path: Path) -> None:
    text = BASE.replace("filters=8\nsize=3\nstride=2", "filters=0\nsize=3\nstride=2")
    assert_rejected(tmp_path, text, r"^\[convolutional\] #2: filters must be >= 1, got 0$",
                    line=line_of(text, "filters=0"))


@pytest.mark.parametrize("key", ["size", "stride"])
def test_size_and_stride_zero(tmp_path: Path, key: str) -> None:
    text = BASE.replace("size=2\nstride=2", "size=2\nstride=2".replace(f"{key}=2", f"{key}=0"))
    assert_rejected(tmp_path, text, rf"\[maxpool\] #1: {key} must be >= 1, got 0")


def test_pad_must_be_a_flag(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("pad=1\nactivation=linear", "pad=2\nactivation=linear"),
                    "pad must be 0 or 1, got 2")


def test_unknown_activation(tmp_path: Path) -> None:
    text = BASE.replace("activation=linear", "activation=leakyy")
    error = assert_rejected(tmp_path, text,
                            r"activation unknown value 'leakyy' \(did you mean 'leaky'\?\)",
                            line=line_of(text, "leakyy"))
    assert "relu" in error.reason  # lists what darknet accepts
    assert len(ACTIVATIONS) == 14


def test_unknown_policy(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("batch=2", "batch=2\npolicy=stepz"),
                    r"policy unknown value 'stepz' \(did you mean 'step")


def test_unknown_cost_type(tmp_path: Path) -> None:
    assert_rejected(tmp_path, net_with("[avgpool]\n[cost]\ntype=l2\n"), "type unknown value 'l2'")


def test_steps_and_scales_lengths(tmp_path: Path) -> None:
    text = BASE.replace("batch=2", "batch=2\npolicy=steps\nsteps=100,200\nscales=.1")
    assert_rejected(tmp_path, text, "2 steps and 1 scales")
    text = BASE.replace("batch=2", "batch=2\npolicy=steps\nsteps=100,200")
    assert_rejected(tmp_path, text, "scales is missing")


def test_empty_list_item(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("layers=-1", "layers=-1,"), "empty item")


def test_non_numeric_list_item(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("mask=0,1,2", "mask=0,one,2"), "must be an integer")


@pytest.mark.parametrize("key, value, pattern", [
    ("batch", "0", "batch must be >= 1, got 0"),
    ("subdivisions", "0", "subdivisions must be >= 1"),
    ("subdivisions", "4", r"subdivisions \(4\) must be <= batch \(2\)"),
    ("width", "0", "width must be >= 1, got 0"),
    ("channels", "-3", "channels must be >= 1"),
    ("learning_rate", "0", "learning_rate must be > 0"),
    ("inputs", "100", r"inputs \(100\) must equal width\*height\*channels \(3072\)"),
    ("time_steps", "0", "time_steps must be >= 1"),
])
def test_bad_net_values(tmp_path: Path, key: str, value: str, pattern: str) -> None:
    text = re.sub(rf"(?m)^{key}=.*$", f"{key}={value}", BASE)
    if f"{key}=" not in text:
        text = text.replace("batch=2", f"batch=2\n{key}={value}")
    assert_rejected(tmp_path, text, r"^\[net\]: " + pattern, line=line_of(text, f"{key}={value}"))


def test_missing_width(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("width=32\n", ""),
                    r"width must be >= 1, got 0 \(missing\)")


# --------------------------------------------------------------------------------------
# Structural problems
# --------------------------------------------------------------------------------------


def test_yolo_filters_mismatch(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("filters=21", "filters=24"),
                    r"\[yolo\] #5: the layer before must output .* = 21 channels, got 24")


def test_yolo_classes_mismatch(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("classes=2", "classes=3"), "= 24 channels, got 21")


def test_yolo_mask_out_of_range(tmp_path: Path) -> None:
    text = BASE.replace("mask=0,1,2", "mask=0,1,3")
    assert_rejected(tmp_path, text, "mask index 3 is out of range: num=3",
                    line=line_of(text, "mask="))


def test_yolo_negative_mask(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("mask=0,1,2", "mask=0,-1,2"), "mask index -1")


def test_yolo_anchor_count(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("anchors=10,13, 16,30, 33,23", "anchors=10,13,16,30,33"),
                    r"anchors has 5 numbers, needs 2\*num = 6")


def test_yolo_classes_zero(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("classes=2", "classes=0"), "classes must be >= 1")


def test_yolo_without_mask_uses_all_anchors(tmp_path: Path) -> None:
    config = parse_text(tmp_path, BASE.replace("mask=0,1,2\n", ""))
    assert config.layers[-1].out_shape == Shape(21, 8, 8)


def test_region(tmp_path: Path) -> None:
    text = net_with("""\
        [convolutional]
        filters=30
        size=1

        [region]
        anchors=1,1, 2,2, 3,3
        classes=5
        coords=4
        num=3
        """)
    config = parse_text(tmp_path, text)
    assert config.classes == 5 and config.output_layers == [1]
    assert_rejected(tmp_path, text.replace("filters=30", "filters=31"),
                    r"num\*\(classes\+coords\+1\) = 3\*10 = 30 channels, got 31")
    assert_rejected(tmp_path, text.replace("num=3", "num=2").replace("filters=30", "filters=20"),
                    "anchors has 6 numbers, needs 2\\*num = 4")
    assert_rejected(tmp_path, text.replace("coords=4", "coords=2"), "coords must be >= 4")


def test_route_to_a_later_layer(tmp_path: Path) -> None:
    text = BASE.replace("layers=-1", "layers=4")
    assert_rejected(tmp_path, text, r"\[route\] #3: layers=4 refers to layer #4, which comes later",
                    line=line_of(text, "layers=4"))


def test_route_to_itself(tmp_path: Path) -> None:
    text = BASE.replace("layers=-1", "layers=3")
    assert_rejected(tmp_path, text, "layers=3 refers to this layer itself",
                    line=line_of(text, "layers=3"))


def test_route_out_of_range(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("layers=-1", "layers=-9"),
                    "layers=-9 refers to layer #-6, before the first layer")


def test_route_mixing_sizes(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("layers=-1", "layers=-1,0"),
                    r"cannot concatenate layer #2 \(8x8x8\) with layer #0 \(32x32x8\)")


def test_route_concatenates_channels(tmp_path: Path) -> None:
    text = BASE.replace("layers=-1", "layers=-1,-3").replace("[maxpool]\nsize=2\nstride=2",
                                                              "[maxpool]\nsize=2\nstride=8")
    # layer 2 (conv) is 2x2, layer 0 is 32x32
    assert_rejected(tmp_path, text, "same width and height")
    text = BASE.replace("layers=-1", "layers=-1,-2").replace(
        "filters=8\nsize=3\nstride=2", "filters=8\nsize=3\nstride=1")
    config = parse_text(tmp_path, text)
    assert config.layers[3].out_shape == Shape(16, 16, 16)
    assert config.layers[3].sources == (2, 1)


def test_route_without_layers(tmp_path: Path) -> None:
    assert_rejected(tmp_path, BASE.replace("[route]\nlayers=-1", "[route]"), "route needs layers=")


def test_shortcut(tmp_path: Path) -> None:
    text = BASE.replace("[route]\nlayers=-1",
                        "[convolutional]\nfilters=8\nsize=1\n\n[shortcut]\nfrom=-2")
    text = text.replace("[yolo]", "[avgpool]\n[yolo]").split("[yolo]")[0]
    config = parse_text(tmp_path, text)
    assert config.layers[4].out_shape == Shape(8, 8, 8) and config.layers[4].sources == (2,)
    assert_rejected(tmp_path, text.replace("from=-2", "from=-9"),
                    r"\[shortcut\] #4: from=-9 refers to layer #-5, before the first layer")
    assert_rejected(tmp_path, text.replace("from=-2", "from=7"), "comes later")
    assert_rejected(tmp_path, text.replace("from=-2", "from=4"), "itself")
    assert_rejected(tmp_path, text.replace("from=-2\n", ""), "shortcut needs from=")


def test_shortcut_shape_factors(tmp_path: Path) -> None:
    text = net_with("""\
        [convolutional]
        filters=4
        size=1

        [maxpool]
        size=2
        stride=2
        padding=0

        [shortcut]
        from=0
        """, net="width=32\nheight=16\nchannels=3\n")
    assert parse_text(tmp_path, text).layers[2].out_shape == Shape(4, 8, 16)
    cropped = text.replace("[shortcut]", "[crop]\ncrop_height=8\ncrop_width=8\n\n[shortcut]")
    assert_rejected(tmp_path, cropped,
                    "width and height must scale by the same factor")


def test_groups_must_divide_channels(tmp_path: Path) -> None:
    text = BASE.replace("batch_normalize=1\nfilters=8", "batch_normalize=1\ngroups=2\nfilters=8")
    assert_rejected(tmp_path, text,
                    r"\[convolutional\] #0: groups=2 must divide the input channels \(3\)")


def test_groups_must_divide_filters(tmp_path: Path) -> None:
    text = BASE.replace("filters=8\nsize=3\nstride=2", "filters=6\ngroups=4\nsize=3\nstride=2")
    assert_rejected(tmp_path, text, r"groups=4 must divide filters \(6\)")


def test_spatial_size_collapses(tmp_path: Path) -> None:
    text = net_with("[convolutional]\nfilters=2\nsize=3\n", net="width=2\nheight=8\nchannels=1\n")
    assert_rejected(tmp_path, text, r"^\[convolutional\] #0: input width 2 \(padded: 2\) is "
                                    "smaller than the kernel size 3")
    text = net_with("[avgpool]\n", net="width=3\nheight=3\nchannels=1\n").replace(
        "[avgpool]", "[maxpool]\nsize=4\nstride=1\npadding=0")
    assert_rejected(tmp_path, text, r"\[maxpool\] #0: input height 3 \(padded: 3\)")
    text = net_with("[convolutional]\nfilters=2\nsize=3\npad=1\n",
                    net="width=1\nheight=1\nchannels=1\n")
    assert parse_text(tmp_path, text).layers[0].out_shape == Shape(2, 1, 1)  # pad=1 keeps 1x1


def test_network_too_small_for_strides(tmp_path: Path) -> None:
    layers = "\n".join("[maxpool]\nsize=3\nstride=2\npadding=0\n" for _ in range(6))
    assert_rejected(tmp_path, net_with(layers), "too small")


def test_upsample_stride_zero(tmp_path: Path) -> None:
    assert_rejected(tmp_path, net_with("[upsample]\nstride=0\n"), "stride must not be 0")


def test_downsample_to_nothing(tmp_path: Path) -> None:
    assert_rejected(tmp_path, net_with("[upsample]\nstride=-64\n"), "leaves nothing")


def test_reorg_divisibility(tmp_path: Path) -> None:
    assert_rejected(tmp_path, net_with("[reorg]\nstride=2\nreverse=1\n"),
                    r"input channels \(3\) must be divisible by stride\*stride \(4\)")
    text = net_with("[convolutional]\nfilters=4\nsize=1\n\n[reorg]\nstride=3\n")
    assert_rejected(tmp_path, text.replace("filters=4", "filters=9"),
                    "input 32x32 must be divisible")


def test_reorg_extra_outputs_a_vector(tmp_path: Path) -> None:
    config = parse_text(tmp_path, net_with("[reorg]\nextra=1\n\n[softmax]\n"))
    assert config.layers[0].spatial is False
    assert config.layers[0].outputs == 32 * 32 * 3 + 1
    assert config.classes == 32 * 32 * 3 + 1


def test_layer_after_softmax_needs_an_image(tmp_path: Path) -> None:
    assert_rejected(tmp_path, net_with("[softmax]\n\n[convolutional]\nfilters=2\n"),
                    r"\[convolutional\] #1: needs an image .* layer #0 \[softmax\] only "
                    "outputs a flat vector")


def test_softmax_groups(tmp_path: Path) -> None:
    assert_rejected(tmp_path, net_with("[softmax]\ngroups=5\n"), "groups=5 must divide")


def test_dropout_first_layer(tmp_path: Path) -> None:
    assert_rejected(tmp_path, net_with("[dropout]\n[avgpool]\n"), "dropout cannot be the first")


def test_dropout_probability(tmp_path: Path) -> None:
    assert_rejected(tmp_path, net_with("[avgpool]\n[dropout]\nprobability=1\n"),
                    "probability must be < 1")


def test_crop_larger_than_input(tmp_path: Path) -> None:
    assert_rejected(tmp_path, net_with("[crop]\ncrop_height=33\ncrop_width=8\n"),
                    "crop 8x33 is larger than the input 32x32")


def test_numload_larger_than_filters(tmp_path: Path) -> None:
    assert_rejected(tmp_path, net_with("[convolutional]\nfilters=2\nnumload=3\n"),
                    "numload=3 is larger than filters=2")


def test_flipped_with_groups(tmp_path: Path) -> None:
    text = net_with("[convolutional]\nfilters=3\ngroups=3\nflipped=1\n",
                    net="width=8\nheight=8\nchannels=3\n")
    assert_rejected(tmp_path, text, "flipped=1 with groups")


def test_only_cost_layers(tmp_path: Path) -> None:
    assert_rejected(tmp_path, net_with("[cost]\n"), "only cost layers")


def test_missing_tree_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = net_with("[avgpool]\n[softmax]\ntree=my.tree\n")
    assert_rejected(tmp_path, text, "tree file 'my.tree' not found")
    (tmp_path / "my.tree").write_text("a -1\nb -1\nc 0\n")
    assert parse_text(tmp_path, text).classes == 3
    (tmp_path / "my.tree").write_text("a -1\n" * 4)
    assert_rejected(tmp_path, text, "tree has 4 nodes but the layer has only 3 inputs")


def test_error_carries_path_and_line(tmp_path: Path) -> None:
    text = BASE.replace("filters=21", "filters=-1")
    error = assert_rejected(tmp_path, text, "filters must be >= 1")
    assert str(error) == f"{tmp_path / 'bad.cfg'}:{line_of(text, 'filters=-1')}: {error.reason}"
    assert isinstance(error, ValueError)
