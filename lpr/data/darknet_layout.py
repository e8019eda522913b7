"""darknet's path conventions, replicated so we can check a dataset before darknet reads it.

Detection: darknet (61c9d02e, src/data.c fill_truth_detection) finds an image's label file by
replacing, in the whole path string and only at the first occurrence each: `images`->`labels`,
`JPEGImages`->`labels`, `raw`->`labels`, `.jpg`->`.txt`, `.png`->`.txt`, `.JPG`->`.txt`,
`.JPEG`->`.txt`. A dataset folder whose path already contains `images` or `raw` above our
`images/` folder would send darknet elsewhere; `darknet_label_path` (pydarknet's) lets the writer
verify.

Classifier: darknet (fill_truth) gives an image every label that is a substring of its path and
complains unless exactly one matches.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

# one implementation of darknet's image -> label path rule, shared with the trainer's checks
from pydarknet.training import darknet_label_path  # noqa: E402,F401


def safe_name(name: str) -> str:
    """A file-name stem darknet and shells handle: only [A-Za-z0-9._-], runs of others -> `_`.

    `dayride_type1_001.mp4#t=1054` -> `dayride_type1_001.mp4_t_1054`.
    """
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")
    return cleaned or "unnamed"


def matching_labels(path: str, labels: Sequence[str]) -> list[str]:
    """The classifier labels darknet would give this path (substring match)."""
    return [label for label in labels if label in path]
