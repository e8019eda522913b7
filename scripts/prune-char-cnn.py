#!/usr/bin/env python3
"""Prune a trained character CNN to fewer filters, for fine-tuning with `lpr train cnn`.

    scripts/prune-char-cnn.py lpr/models/char-cnn-compact.cfg lpr/models/char-cnn-compact.weights \\
        build/training/cnn-slim --filters 8,24,48,48 --learning-rate 0.004 \\
        --steps 12000,13000 --max-batches 13500

Writes WORK/<cfg stem>.cfg (the cfg with the new filter counts and the fine-tuning schedule)
and WORK/<cfg stem>.backup (the pruned weights, with the source's iterations seen, so that
`lpr train cnn WORK --cfg WORK/<stem>.cfg` resumes from them at that iteration).

Each [convolutional] layer keeps the filters that matter most to what it passes on: the sum of
a filter's absolute weights times its batch norm's |scale| / sqrt(variance) (the size of its
normalised output per unit of input), largest first, in their old order. The next layer keeps
only the inputs of the kept filters ([maxpool] and [dropout] layers in between keep the
channels; a [connected] layer keeps the weights of their positions). The network must be a
chain of those layers and [softmax]: no routes or shortcuts.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np

from pydarknet import parse_cfg
from pydarknet.weights import read_header, read_weights, write_weights

PASS_THROUGH = {"maxpool", "dropout", "softmax"}


def importance(layer: dict[str, np.ndarray]) -> np.ndarray:
    """How much each filter passes on: its absolute weights summed, times its batch norm's
    |scale| / sqrt(variance) (times 1 without batch norm)."""
    weight = np.abs(layer["weights"]).reshape(len(layer["weights"]), -1).sum(axis=1)
    if "scales" in layer:
        weight = weight * np.abs(layer["scales"]) / np.sqrt(layer["rolling_variance"] + 1e-6)
    return weight


def prune(cfg: Path, weights: Path, filters: list[int]
          ) -> tuple[str, list[dict[str, np.ndarray]], dict[int, np.ndarray]]:
    """The cfg text with `filters` (one count per [convolutional] layer, in order), the pruned
    parameters, layer by layer, and the filters each [convolutional] layer keeps (layer index ->
    their old indices). ValueError for a network this cannot prune."""
    config = parse_cfg(cfg)
    params = read_weights(weights, config)
    convs = [spec for spec in config.layers if spec.type == "convolutional"]
    if len(filters) != len(convs):
        raise ValueError(f"{len(filters)} filter counts for {len(convs)} [convolutional] layers")
    kept = None                          # the channels the previous layers pass on
    kept_by_layer = {}
    for spec in config.layers:
        layer = params[spec.index]
        if spec.type in PASS_THROUGH:
            continue
        if spec.type == "convolutional":
            if int(spec.get("groups")) != 1:
                raise ValueError(f"layer {spec.index}: grouped convolutions are not pruned")
            if kept is not None:
                layer["weights"] = layer["weights"][:, kept]
            count = filters[convs.index(spec)]
            if not 1 <= count <= len(layer["weights"]):
                raise ValueError(f"layer {spec.index}: {count} filters of {len(layer['weights'])}")
            kept = kept_by_layer[spec.index] = np.sort(np.argsort(-importance(layer), kind="stable")[:count])
            for name in list(layer):
                layer[name] = layer[name][kept]
        elif spec.type == "connected":
            if kept is not None:
                channels = spec.in_shape.c
                w = layer["weights"].reshape(len(layer["weights"]), channels, -1)
                layer["weights"] = np.ascontiguousarray(w[:, kept].reshape(len(w), -1))
                kept = None
        else:
            raise ValueError(f"layer {spec.index} [{spec.type}]: only chains of convolutional, maxpool, "
                             "dropout, connected and softmax layers are pruned")
    counts = iter(filters)
    text = cfg.read_text()
    sections = re.split(r"(?m)^(?=\[)", text)
    for k, section in enumerate(sections):
        if section.startswith("[convolutional]"):
            sections[k] = re.sub(r"(?m)^filters\s*=\s*\d+", f"filters={next(counts)}", section)
    return "".join(sections), params, kept_by_layer


def with_schedule(text: str, learning_rate: str, steps: str, max_batches: int) -> str:
    """The [net] section's schedule replaced: no burn-in (the weights are trained already)."""
    for key, value in (("learning_rate", learning_rate), ("burn_in", "0"), ("steps", steps),
                       ("max_batches", str(max_batches))):
        text, n = re.subn(rf"(?m)^{key}\s*=.*$", f"{key}={value}", text, count=1)
        if n == 0:
            raise ValueError(f"the cfg's [net] has no {key}=")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cfg", type=Path)
    parser.add_argument("weights", type=Path)
    parser.add_argument("work", type=Path, help="where the cfg and the .backup go")
    parser.add_argument("--filters", required=True, help="filters per [convolutional] layer, comma separated")
    parser.add_argument("--learning-rate", required=True)
    parser.add_argument("--steps", required=True, help="the [net]'s steps= (iterations, comma separated)")
    parser.add_argument("--max-batches", type=int, required=True)
    args = parser.parse_args()
    text, params, _ = prune(args.cfg, args.weights, [int(v) for v in args.filters.split(",")])
    text = with_schedule(text, args.learning_rate, args.steps, args.max_batches)
    args.work.mkdir(parents=True, exist_ok=True)
    cfg_out = args.work / args.cfg.name
    cfg_out.write_text(text)
    seen = read_header(args.weights).seen
    backup = args.work / f"{args.cfg.stem}.backup"
    write_weights(backup, params, cfg_out, seen=seen)
    batch = parse_cfg(cfg_out).batch
    print(f"{cfg_out} and {backup}: filters {args.filters}, resuming at iteration {seen // batch}")


if __name__ == "__main__":
    main()
