"""lpr.segmentation: finding the characters of a plate crop (classic OpenCV, no model)."""
