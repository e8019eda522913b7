"""`lpr train plates`: train or resume the plate detector, then score it on the validation list."""
from __future__ import annotations

import argparse
import signal
from pathlib import Path

from ..cli_types import bounded, share
from ..model_files import MODELS_DIR

DEFAULT_CFG = MODELS_DIR / "plate-detector.cfg"
CHARS_CFG = MODELS_DIR / "char-detector.cfg"
CNN_CFG = MODELS_DIR / "char-cnn.cfg"


def _stop_on_sigterm() -> None:
    """`kill PID` stops training like Ctrl-C (the backup is saved), also for a background job,
    where the shell leaves SIGINT ignored."""
    def handler(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _run_train_detector(args: argparse.Namespace) -> int:
    import pydarknet
    from pydarknet.training import read_data_file

    from .evaluate_detector import evaluate_detector
    from .model_card import data_sources, write_model_card

    if args.kind == "chars":
        from .chars import train_char_detector as train
    else:
        from .plates import train_plate_detector as train
    _stop_on_sigterm()
    try:
        result = train(args.data, args.work, cfg=args.cfg, max_batches=args.max_batches, seed=args.seed)
    except KeyboardInterrupt:
        backup = Path(args.work) / f"{Path(args.cfg).stem}.backup"
        print(f"interrupted: the last completed iteration is saved in {backup}; run the same command to resume")
        return 130
    state = "stopped" if result.stopped else "done"
    print(f"{state} at iteration {result.iteration}: loss {result.loss:.4f}, avg {result.avg_loss:.4f}; "
          f"backup {result.backup}" + (f", weights {result.weights}" if result.weights else ""))
    options = read_data_file(args.data)
    valid = options.get("valid")
    weights = result.weights or result.backup
    pydarknet.check_weights(weights, pydarknet.parse_cfg(args.cfg))
    metrics = {}
    if valid and Path(valid).is_file():
        score = evaluate_detector(args.cfg, weights, Path(valid), thresh=args.thresh)
        line = (f"precision {score.precision:.3f}, recall {score.recall:.3f} at thresh {args.thresh}, IoU 0.5 "
                f"(class must match), {score.images} images, {score.truths} boxes; median {score.median_ms:.1f} ms/image")
        print(f"validation ({valid}): {line}")
        metrics[f"validation `{Path(valid).name}`"] = line
    names_file = options.get("names")
    names = [n for n in Path(names_file).read_text().splitlines() if n.strip()] if names_file else []
    sources = data_sources([Path(options["train"])] + ([Path(valid)] if valid else []))
    card = write_model_card(Path(args.work), Path(args.cfg).stem, args.cfg, weights, names,
                            sources=sources, metrics=metrics)
    print(f"model card {card}")
    return 0


def _run_train_cnn(args: argparse.Namespace) -> int:
    from .char_cnn import cached_samples, evaluate_cnn, train_char_cnn

    _stop_on_sigterm()
    try:
        weights = train_char_cnn(args.train, args.work, cfg=args.cfg, max_batches=args.max_batches,
                                 seed=args.seed, limit=args.limit,
                                 typeface_augment=args.typeface_augment)
    except KeyboardInterrupt:
        print(f"interrupted: the last completed iteration is saved in {args.work}/{args.cfg.stem}.backup; "
              "run the same command to resume")
        return 130
    print(f"weights {weights}")
    metrics = {}
    for valid in args.valid:
        samples = cached_samples(args.work, [valid], name="valid-samples")
        score = evaluate_cnn(args.cfg, weights, samples)
        worst = ", ".join(f"{c}:{n}" for c, n in list(score.per_class_errors.items())[:8])
        line = (f"accuracy {score.accuracy:.4f} ({score.folded_accuracy:.4f} with O/0 I/1 folded) on {score.samples} "
                f"characters" + (f" (most errors: {worst})" if worst else ""))
        if score.per_sheet:
            line += "; per sheet, strict (folded): " + ", ".join(
                f"{sheet} {strict:.3f} ({folded:.3f}) of {n}" for sheet, (n, strict, folded) in score.per_sheet.items())
        print(f"{valid}: {line}")
        metrics[f"held out `{valid}`"] = line
    from ..model_files import CHARACTERS
    from .model_card import data_sources, write_model_card

    card = write_model_card(Path(args.work), Path(args.cfg).stem, args.cfg, weights, CHARACTERS,
                            sources=data_sources(args.train), metrics=metrics)
    print(f"model card {card}")
    return 0


def _add_common_options(parser: argparse.ArgumentParser, cfg: Path) -> None:
    parser.add_argument("--cfg", type=Path, default=cfg, help="network cfg (default: the shipped one)")
    parser.add_argument("--max-batches", type=bounded(int, 1), default=None,
                        help="stop at this iteration (default: the cfg's)")
    parser.add_argument("--seed", type=bounded(int, 0), default=0, help="seed (default 0)")


def add_train_commands(subparsers: argparse._SubParsersAction) -> None:
    train = subparsers.add_parser("train", help="train lpr's models with darknet's own loop",
                                  description="Train lpr's models with darknet's loop (resumable).")
    kinds = train.add_subparsers(dest="kind", metavar="MODEL")
    train.set_defaults(func=lambda args: (train.print_help(), 2)[1])
    detectors = (
        ("plates", "the plate detector", DEFAULT_CFG,
         "Train (or resume from WORK_DIR/<cfg>.backup) the plate detector on a darknet dataset made by "
         "`lpr data plates` / `lpr data synth plates`, then report precision and recall on its validation "
         "list and write a model card. Ctrl-C (or kill) saves the backup."),
        ("chars", "the character detector", CHARS_CFG,
         "Train (or resume from WORK_DIR/<cfg>.backup) the character detector (YOLO on plate crops, classes "
         "0-9 A-Z) on a darknet dataset made by `lpr data chars` / `lpr data synth chars`, then report "
         "precision and recall (box and class) on its validation list and write a model card. darknet's "
         "random mirroring is off. Ctrl-C (or kill) saves the backup."))
    for name, summary, cfg, description in detectors:
        parser = kinds.add_parser(name, help=summary, description=description)
        parser.add_argument("data", type=Path, metavar="DATA_FILE", help="the dataset's obj.data")
        parser.add_argument("work", type=Path, metavar="WORK_DIR", help="backups, weights, loss.csv and the card")
        _add_common_options(parser, cfg)
        parser.add_argument("--thresh", type=share, default=0.25, help="detection threshold for the evaluation")
        parser.set_defaults(func=_run_train_detector)
    cnn = kinds.add_parser(
        "cnn", help="a character CNN (grayscale classifier: the study's 75x100 by default)",
        description="Train (or resume from WORK_DIR/<cfg>.backup) a character CNN with darknet's training "
                    "step on character crops cut (as the reader cuts them) from detection datasets: image lists "
                    "whose YOLO labels box each character (`lpr data chars`, `lpr data synth chars`). Crops are "
                    "cut at 75x100 and scaled to a smaller network input (--cfg lpr/models/char-cnn-compact.cfg "
                    "for the compact CNN). Reports accuracy on each --valid list with the NumPy engine. "
                    "Ctrl-C saves the backup.")
    cnn.add_argument("work", type=Path, metavar="WORK_DIR", help="sample cache, backups, weights and loss.csv")
    cnn.add_argument("--train", type=Path, nargs="+", required=True, metavar="LIST", help="training image lists")
    cnn.add_argument("--valid", type=Path, nargs="*", default=[], metavar="LIST", help="held-out image lists")
    _add_common_options(cnn, CNN_CFG)
    cnn.add_argument("--limit", type=bounded(int, 1), default=None, help="use at most this many training images (seeded)")
    cnn.add_argument("--typeface-augment", action="store_true",
                     help="also vary stroke weight, slant, width and blur of the training crops")
    cnn.set_defaults(func=_run_train_cnn)
