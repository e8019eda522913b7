"""lpr: the license-plate reader built on pydarknet.

The reader (detection, segmentation, recognition, CLI) and its trained models are being built
(see the project's issues); today this package holds nothing but its version.
"""
__version__ = "0.1.0"
