"""Synthetic license plates: formats, rendering, augmentation, scene composition, darknet datasets.

- `formats`: plate formats per country as data (text patterns, colours, sizes, bands)
- `fonts`: the typefaces (installed Debian fonts, found by path) and cached glyph masks
- `render`: one flat plate image with exact per-character ink boxes
- `augment`: seeded geometric (perspective, with box transforms) and photometric changes
- `sources`: the real images we composite into (backgrounds, ro-plates frames, plate crops)
- `compose`: warped plates pasted into scenes; plate crops for the character detector
- `dataset`: N samples -> darknet datasets, multiprocessing, resumable (`lpr data synth`)
- `preview`: annotated example images of what was written

Same seed, same bytes: every sample draws from its own generator, seeded by (seed, index), so
the output does not depend on the worker count. Nothing here imports pydarknet.
"""

KINDS = ("plates", "chars", "crops")     # the datasets `lpr data synth` writes
