"""lpr.image_input: every kind of input becomes BGR uint8, or a clear ImageError."""
import cv2
import numpy as np
import pytest

from lpr.image_input import MAX_PIXELS, ImageError, as_bgr, load_image


@pytest.fixture()
def picture():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(37, 53, 3), dtype=np.uint8)


def test_path_bytes_and_array_agree(tmp_path, picture):
    path = tmp_path / "p.png"
    cv2.imwrite(str(path), picture)
    from_path = load_image(path)
    from_str = load_image(str(path))
    from_bytes = load_image(path.read_bytes())
    from_array = load_image(picture)
    for image in (from_path, from_str, from_bytes, from_array):
        assert image.dtype == np.uint8 and image.shape == (37, 53, 3) and image.flags.c_contiguous
        np.testing.assert_array_equal(image, picture)


def test_grayscale_alpha_and_16_bit(picture):
    gray = cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY)
    out = as_bgr(gray)
    assert out.shape == (37, 53, 3)
    np.testing.assert_array_equal(out[:, :, 0], gray)
    np.testing.assert_array_equal(as_bgr(gray[:, :, None]), out)
    bgra = np.dstack([picture, np.full(picture.shape[:2], 7, np.uint8)])
    np.testing.assert_array_equal(as_bgr(bgra), picture)
    sixteen = picture.astype(np.uint16) * 257           # full 16-bit range
    np.testing.assert_array_equal(as_bgr(sixteen), picture)
    small16 = picture.astype(np.uint16)                 # 16-bit container, 8-bit values: kept
    np.testing.assert_array_equal(as_bgr(small16), picture)
    floats = picture.astype(np.float32) / 255.0
    np.testing.assert_array_equal(as_bgr(floats), picture)


def test_16_bit_png_round_trip(tmp_path, picture):
    path = tmp_path / "deep.png"
    cv2.imwrite(str(path), picture.astype(np.uint16) * 257)
    np.testing.assert_array_equal(load_image(path), picture)


@pytest.mark.parametrize("bad, message", [
    (b"", "empty"),
    (b"not an image at all", "not a readable image"),
    (np.zeros((0, 5, 3), np.uint8), "empty"),
    (np.zeros((4, 4, 2), np.uint8), "shape"),
    (np.zeros((2, 2, 2, 2), np.uint8), "shape"),
    (np.zeros((4, 4), np.complex64), "unsupported pixel type"),
    (12345, "expected a path"),
])
def test_bad_inputs_raise_image_error(bad, message):
    with pytest.raises(ImageError, match=message):
        load_image(bad)


def test_missing_file_folder_and_truncated_jpeg(tmp_path, picture):
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "missing.jpg")
    with pytest.raises(ImageError, match="folder"):
        load_image(tmp_path)
    ok, encoded = cv2.imencode(".jpg", np.tile(picture, (10, 10, 1)))
    truncated = encoded.tobytes()[:200]
    with pytest.raises(ImageError):
        load_image(truncated)


def test_png_declaring_too_many_pixels_is_refused_before_decoding():
    ok, encoded = cv2.imencode(".png", np.zeros((2, 2), np.uint8))
    data = bytearray(encoded.tobytes())
    data[16:20] = (100_000).to_bytes(4, "big")          # width
    data[20:24] = (100_000).to_bytes(4, "big")          # height
    with pytest.raises(ImageError, match="declares 100000x100000"):
        load_image(bytes(data))
    with pytest.raises(ImageError, match="more than"):
        as_bgr(np.broadcast_to(np.zeros(1, np.uint8), (MAX_PIXELS // 1000 + 1, 1001)))


def test_random_bytes_never_crash():
    """Random bytes, damaged and cut JPEGs give an ImageError or a BGR image, never a crash;
    random bytes are no image, and a damaged body often still decodes."""
    rng = np.random.default_rng(1)
    ok, jpeg = cv2.imencode(".jpg", rng.integers(0, 256, (40, 60, 3), dtype=np.uint8))
    jpeg = jpeg.tobytes()
    decoded = {"random": 0, "damaged": 0, "cut": 0}
    for i in range(300):
        if i % 3 == 0:
            kind, data = "random", rng.integers(0, 256, int(rng.integers(0, 400)), dtype=np.uint8).tobytes()
        elif i % 3 == 1:                                    # a real header, damaged body
            body = bytearray(jpeg)
            for k in rng.integers(20, len(body), 20):
                body[k] = int(rng.integers(0, 256))
            kind, data = "damaged", bytes(body)
        else:                                               # cut anywhere
            kind, data = "cut", jpeg[:int(rng.integers(0, len(jpeg)))]
        try:
            image = load_image(data)
        except ImageError:
            continue
        assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
        decoded[kind] += 1
    assert decoded["random"] == 0 and decoded["damaged"] >= 20, decoded
