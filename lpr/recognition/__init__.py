"""Character recognition: classifying segmented plate characters."""
