"""Inference engines that run the reader's darknet networks (besides pydarknet itself)."""

# What Reader(engine=...) takes (lpr.engines.select resolves it). Kept here, free of imports, so
# the command line's parser does not load pydarknet's native extension to list the choices.
ENGINES = ("auto", "darknet", "onnxruntime", "opencv")
