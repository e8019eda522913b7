"""Training lpr's models with darknet's own loop (through pydarknet), resumable, with progress."""
