"""pydarknet.ArrayTrainer (darknet's training step fed from NumPy) and the character-CNN
training built on it."""
import numpy as np
import pytest

import pydarknet

TINY_CLASSIFIER = """
[net]
batch=16
subdivisions=1
width=8
height=8
channels=1
momentum=0.9
decay=0.0005
learning_rate=0.1
policy=constant
max_batches=200

[convolutional]
batch_normalize=1
filters=4
size=3
stride=1
pad=1
activation=leaky

[connected]
output=2
activation=linear

[softmax]
groups=1
"""


def _bright_or_dark(rng, n):
    labels = rng.integers(0, 2, n)
    x = (rng.uniform(0.0, 0.4, (n, 1, 8, 8)) + 0.5 * labels[:, None, None, None]).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[labels]
    return x, y, labels


def test_array_trainer_learns_saves_and_resumes(tmp_path):
    cfg = tmp_path / "tiny.cfg"
    cfg.write_text(TINY_CLASSIFIER)
    rng = np.random.default_rng(0)
    with pydarknet.ArrayTrainer(cfg, seed=3) as trainer:
        assert trainer.batch_size == 16 and trainer.input_shape == (1, 8, 8)
        losses = [trainer.step(*_bright_or_dark(rng, 16)[:2]) for _ in range(60)]
        assert trainer.iteration == 60
        weights = trainer.save(tmp_path / "tiny.weights")
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:5])
    x, _, labels = _bright_or_dark(np.random.default_rng(9), 64)
    with pydarknet.Network(cfg, weights) as net:
        predicted = np.concatenate([net.forward(x[i:i + 1])[0].reshape(-1, 2) for i in range(64)]).argmax(1)
    assert (predicted == labels).mean() > 0.95
    with pydarknet.ArrayTrainer(cfg, weights) as resumed:
        assert resumed.iteration == 60                  # the image count travels in the weights
        resumed.step(*_bright_or_dark(rng, 16)[:2])
        assert resumed.iteration == 61


def test_array_trainer_rejects_wrong_shapes(tmp_path):
    cfg = tmp_path / "tiny.cfg"
    cfg.write_text(TINY_CLASSIFIER)
    with pydarknet.ArrayTrainer(cfg) as trainer:
        x, y, _ = _bright_or_dark(np.random.default_rng(0), 16)
        with pytest.raises(ValueError, match="16 images"):
            trainer.step(x[:8], y[:8])
        with pytest.raises(ValueError, match="shaped"):
            trainer.step(x.reshape(16, 1, 4, 16), y)
        with pytest.raises(ValueError, match="truths"):
            trainer.step(x, np.zeros((16, 3), np.float32))
    with pytest.raises(FileNotFoundError):
        pydarknet.ArrayTrainer(tmp_path / "missing.cfg")


def _character_strips(tmp_path):
    """A training list of six strips of two drawn characters (1 and 7) with YOLO boxes."""
    import cv2

    images, labels = tmp_path / "images", tmp_path / "labels"
    images.mkdir()
    labels.mkdir()
    rng = np.random.default_rng(0)
    for k in range(6):                                   # strips of two drawn characters
        canvas = np.full((40, 80, 3), 255, np.uint8)
        lines = []
        for j, (char, cls) in enumerate((("1", 1), ("7", 7))):
            x0 = 8 + 36 * j + int(rng.integers(0, 4))
            cv2.putText(canvas, char, (x0, 32), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 0), 2)
            lines.append(f"{cls} {(x0 + 10) / 80:.4f} 0.5 {24 / 80:.4f} {30 / 40:.4f}")
        cv2.imwrite(str(images / f"s{k}.png"), canvas)
        (labels / f"s{k}.txt").write_text("\n".join(lines) + "\n")
    listing = tmp_path / "train.txt"
    listing.write_text("\n".join(str(p) for p in sorted(images.glob("*.png"))) + "\n")
    return listing


def _character_cfg(path, width: int, height: int):
    """The tiny classifier with a width x height input, 36 classes and batches of 4, written to path."""
    path.write_text(TINY_CLASSIFIER.replace("width=8", f"width={width}").replace("height=8", f"height={height}")
                    .replace("output=2", "output=36").replace("batch=16", "batch=4"))
    return path


def test_char_cnn_training_resumes_and_scores(tmp_path):
    """Two short runs of `train_char_cnn` continue one schedule; the NumPy engine scores it."""
    from lpr.training.char_cnn import cached_samples, evaluate_cnn, train_char_cnn

    listing = _character_strips(tmp_path)
    cfg = _character_cfg(tmp_path / "cnn.cfg", 75, 100)
    work = tmp_path / "work"
    first = train_char_cnn([listing], work, cfg=cfg, max_batches=2)
    assert first.name == "cnn_final.weights"
    train_char_cnn([listing], work, cfg=cfg, max_batches=5)
    rows = (work / "loss.csv").read_text().splitlines()
    assert [int(r.split(",")[0]) for r in rows[1:]] == [1, 2, 3, 4, 5]
    samples = cached_samples(work, [listing], name="train-samples")
    assert samples.images.shape == (12, 100, 75) and sorted(set(samples.labels.tolist())) == [1, 7]
    assert samples.sheets.tolist() == [""] * 12           # not ocr-chars strips
    score = evaluate_cnn(cfg, work / "cnn.backup", samples)
    assert score.samples == 12 and 0.0 <= score.accuracy <= 1.0
    assert sum(score.per_class_errors.values()) == round((1.0 - score.accuracy) * 12)
    assert set(score.per_class_errors) <= {"1", "7"} and score.per_sheet == {}    # no named sheets


def test_a_compact_cnn_trains_and_scores_on_the_same_samples(tmp_path):
    """Samples are cut at 75x100; a network with a smaller input gets them scaled to it, in
    training (the trainer refuses any other shape) and in scoring."""
    from lpr.training.char_cnn import SAMPLE_SIZE, cached_samples, evaluate_cnn, train_char_cnn

    listing = _character_strips(tmp_path)
    cfg = _character_cfg(tmp_path / "compact.cfg", 36, 48)
    work = tmp_path / "work"
    weights = train_char_cnn([listing], work, cfg=cfg, max_batches=3)
    samples = cached_samples(work, [listing], name="train-samples")
    assert samples.images.shape[1:] == (SAMPLE_SIZE[1], SAMPLE_SIZE[0])
    score = evaluate_cnn(cfg, weights, samples)
    assert score.samples == 12
    with pydarknet.ArrayTrainer(cfg, weights) as resumed:
        assert resumed.iteration == 3 and resumed.input_shape == (1, 48, 36)


def test_cnn_evaluation_scores_the_networks_readings_exactly(monkeypatch):
    """evaluate_cnn with a stand-in network that reads each crop's grey level as a class: the
    scores must count exactly the crops drawn as another character, across batches, scaled to
    the network's input."""
    from lpr.model_files import CHARACTERS
    from lpr.recognition import numpy_network
    from lpr.training.char_cnn import SAMPLE_SIZE, CharSamples, evaluate_cnn

    idx = CHARACTERS.index
    n = 300                                              # more than one batch of 256
    labels = np.array([i % 36 for i in range(n)], dtype=np.int64)
    read = labels.copy()                                 # the class each crop is drawn as
    for i in (10, 255, 256, 299):                        # B read as 8: wrong, folded too
        labels[i], read[i] = idx("B"), idx("8")
    for i in (20, 270):                                  # O read as 0: wrong, right when folded
        labels[i], read[i] = idx("O"), idx("0")
    images = np.repeat((7 * read).astype(np.uint8), SAMPLE_SIZE[0] * SAMPLE_SIZE[1])
    images = images.reshape(n, SAMPLE_SIZE[1], SAMPLE_SIZE[0])
    sheets = np.array(["uk"] * 150 + ["be"] * 140 + [""] * 10)
    seen = []

    class ReadsGreyLevels:
        def __init__(self, cfg, weights):
            assert (cfg, weights) == ("cnn.cfg", "cnn.weights")
            self.input_shape = (1, 48, 36)

        def predict(self, batch):
            assert batch.dtype == np.float32 and batch.shape[1:] == (1, 48, 36)
            seen.append(len(batch))
            grey = batch.reshape(len(batch), -1) * 255
            cls = np.rint(grey[:, 0] / 7).astype(int)
            assert np.abs(grey - 7.0 * cls[:, None]).max() < 0.01       # the crops, divided by 255
            out = np.full((len(batch), 36), 0.5 / 35, np.float32)
            out[np.arange(len(batch)), cls] = 0.5
            return out

    monkeypatch.setattr(numpy_network, "NumpyNetwork", ReadsGreyLevels)
    score = evaluate_cnn("cnn.cfg", "cnn.weights", CharSamples(images, labels, sheets))
    assert sum(seen) == n
    assert score.samples == n
    assert score.accuracy == pytest.approx(294 / 300)
    assert score.folded_accuracy == pytest.approx(296 / 300)
    assert score.per_class_errors == {"B": 4, "O": 2}
    assert score.per_sheet.keys() == {"uk", "be"}                # "" is no sheet
    assert score.per_sheet["uk"] == (150, pytest.approx(148 / 150), pytest.approx(149 / 150))
    assert score.per_sheet["be"] == (140, pytest.approx(137 / 140), pytest.approx(138 / 140))


def test_scaled_training_crops_match_what_the_reader_cuts():
    """A compact CNN trains on 75x100 crops scaled to its input; the reader cuts its crops at that
    size directly. The two must look alike, for small and large characters."""
    import cv2

    from lpr.segmentation.contours import char_crops
    from lpr.training.char_cnn import fit_to_input

    for height in (24, 60, 160):                       # characters smaller and larger than both sizes
        plate = np.full((height * 2, height * 3, 3), 235, np.uint8)
        cv2.putText(plate, "K", (height, height * 3 // 2), cv2.FONT_HERSHEY_SIMPLEX, height / 30, (20, 20, 20),
                    max(1, height // 12))
        ink = np.argwhere(plate[:, :, 0] < 128)
        (y1, x1), (y2, x2) = ink.min(axis=0), ink.max(axis=0) + 1
        box = [(float(x1), float(y1), float(x2), float(y2))]
        scaled = fit_to_input(char_crops(plate, box, size=(75, 100))[:, None], (36, 48))[0, 0]
        direct = char_crops(plate, box, size=(36, 48))[0]
        assert scaled.shape == direct.shape == (48, 36)
        assert np.abs(scaled - direct).mean() < 0.05, height
    same = np.random.default_rng(0).random((2, 1, 48, 36), dtype=np.float32)
    assert fit_to_input(same, (36, 48)) is same


def test_cnn_scores_count_o0_i1_as_right_only_when_folded():
    from lpr.model_files import CHARACTERS
    from lpr.training.char_cnn import score_predictions

    idx = CHARACTERS.index
    labels = [idx("O"), idx("0"), idx("I"), idx("B"), idx("A")]
    guess = [idx("0"), idx("O"), idx("1"), idx("8"), idx("A")]
    score = score_predictions(np.array(guess), np.array(labels))
    assert score.samples == 5
    assert score.accuracy == pytest.approx(1 / 5)
    assert score.folded_accuracy == pytest.approx(4 / 5)         # B read as 8 stays an error
    assert score.per_class_errors == {"O": 1, "0": 1, "I": 1, "B": 1}



def test_cnn_scores_per_sheet():
    from lpr.model_files import CHARACTERS
    from lpr.training.char_cnn import score_predictions

    idx = CHARACTERS.index
    labels = [idx("O"), idx("A"), idx("B"), idx("C"), idx("D")]
    guess = [idx("0"), idx("A"), idx("8"), idx("C"), idx("D")]
    sheets = ["uk", "uk", "be", "be", ""]
    score = score_predictions(np.array(guess), np.array(labels), np.array(sheets))
    assert score.per_sheet == {"be": (2, 0.5, 0.5), "uk": (2, 0.5, 1.0)}   # "" is no sheet
    assert score_predictions(np.array(guess), np.array(labels)).per_sheet == {}


def test_strip_names_give_their_sheet():
    from lpr.data.char_regions import sheet_of_strip

    assert sheet_of_strip("eu_leu.belgium.exp0_L0012_R003") == "eu_leu.belgium.exp0"
    assert sheet_of_strip("synth_0000001") is None
    assert sheet_of_strip("x_L12_R3") is None


def test_typeface_augmentation_is_seeded_and_changes_the_glyphs():
    import cv2

    from lpr.training.char_cnn import augment

    crops = np.full((8, 100, 75), 255, np.uint8)
    for crop in crops:
        cv2.putText(crop, "W", (8, 80), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 0, 8)
    plain = augment(crops, np.random.default_rng(3))
    typeface = augment(crops, np.random.default_rng(3), typeface=True)
    again = augment(crops, np.random.default_rng(3), typeface=True)
    assert typeface.shape == plain.shape == (8, 1, 100, 75) and typeface.dtype == np.float32
    assert np.array_equal(typeface, again)
    assert 0.0 <= typeface.min() and typeface.max() <= 1.0
    # the default keeps the augmentation the shipped rounds were trained with
    assert np.array_equal(plain, augment(crops, np.random.default_rng(3), typeface=False))
    ink = lambda x: (x < 0.5).mean(axis=(1, 2, 3))
    assert np.abs(ink(typeface) - ink(plain)).max() > 0.01     # stroke weight or width changed somewhere
