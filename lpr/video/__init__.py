"""Plates in video: track each plate across frames, vote its text, report one reading per vehicle."""
