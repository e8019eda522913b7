"""Data preparation for lpr: read, validate, split and write the training data sets.

- `voc`, `tesseract_boxes`: the two annotation formats (Pascal VOC XML, Tesseract .box)
- `ro_plates`, `ocr_sheets`: where the files of each data set are, what their names mean
- `validate` (+ `issues`): the validation pass and its report; bad samples are listed, left out
- `split`: seeded, grouped train/valid split (videos / text lines never straddle it)
- `darknet_layout`, `darknet_dataset`, `classifier_dataset`, `char_regions`: darknet's folders
- `build_plates`, `build_chars`: the two pipelines behind `lpr data plates|chars`

Nothing here imports pydarknet: preparing data needs only numpy and OpenCV.
"""
