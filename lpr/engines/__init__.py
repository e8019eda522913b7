"""Inference engines that run the reader's darknet networks (besides pydarknet itself)."""
