"""darknet (our build) against OpenCV DNN on the same cfg, weights and preprocessing."""
from __future__ import annotations

import numpy as np
import pytest

import pydarknet
import yolo_reference as ref

cv2 = pytest.importorskip("cv2")
if not hasattr(cv2, "dnn") or not hasattr(cv2.dnn, "readNetFromDarknet"):
    pytest.skip("this OpenCV has no darknet importer (OpenCV 5 removed it)", allow_module_level=True)


def _yolo_layers(config):
    return [spec for spec in config.layers if spec.type == "yolo"]


def _opencv_conv_outputs(cfg, weights, blob, config):
    net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setInput(blob)
    names = [f"conv_{spec.index - 1}" for spec in _yolo_layers(config)]
    return net.forward(names)


def _yolo_params(spec):
    opts = spec.options
    anchors = [float(v) for v in opts["anchors"].split(",")]
    mask = [int(v) for v in opts["mask"].split(",")]
    return anchors, mask, int(opts["classes"])


@pytest.fixture(params=["yolov3_tiny", "tiny_yolo"])
def model(request):
    return request.getfixturevalue(request.param)


# thresholds that give each random-weight model some, but not tens of thousands of, detections
THRESHOLDS = {"yolov3-tiny": (0.5, 0.7), "tiny-yolo-64": (0.05, 0.1)}


def test_raw_yolo_outputs_match_opencv(model, street_image):
    cfg, weights = model
    with pydarknet.Network(cfg, weights) as net:
        blob = pydarknet.letterbox(street_image, net.width, net.height)[None]
        ours = net.forward(blob)
        theirs = _opencv_conv_outputs(cfg, weights, blob, net.config)
        assert len(ours) == len(theirs) == len(_yolo_layers(net.config))
        for spec, a, b in zip(_yolo_layers(net.config), ours, theirs):
            anchors, mask, classes = _yolo_params(spec)
            expected = ref.activate_yolo(b, len(mask), classes)
            assert a.shape == expected.shape
            np.testing.assert_allclose(a, expected, atol=1e-4, rtol=0)
            assert np.abs(a).max() > 0.5     # not a degenerate all-zero network


@pytest.mark.parametrize("level", [0, 1])
def test_boxes_after_nms_match_opencv(model, street_image, level):
    cfg, weights = model
    thresh = THRESHOLDS[cfg.stem][level]
    img_h, img_w = street_image.shape[:2]
    with pydarknet.Network(cfg, weights) as net:
        ours = net.detect(street_image, thresh=thresh, nms=0.45)
        blob = pydarknet.letterbox(street_image, net.width, net.height)[None]
        dets = []
        for spec, conv in zip(_yolo_layers(net.config), _opencv_conv_outputs(cfg, weights, blob, net.config)):
            anchors, mask, classes = _yolo_params(spec)
            out = ref.activate_yolo(conv, len(mask), classes)
            dets += ref.decode(out, anchors, mask, classes, net.width, net.height, img_w, img_h, thresh)
        ref.nms_per_class(dets, net.classes, 0.45)
        expected = ref.to_pixel_detections(dets, img_w, img_h, thresh)
    assert len(ours) > 0, "the test needs some detections to compare"
    assert len(ours) == len(expected)
    unmatched = list(expected)
    for det in ours:       # every detection of ours has exactly one counterpart
        match = next((e for e in unmatched if e[0] == det.class_id
                      and abs(e[1] - det.confidence) < 1e-4
                      and np.allclose(e[2], det.box, atol=0.05)), None)
        assert match is not None, f"no OpenCV counterpart for {det}"
        unmatched.remove(match)
