"""Template tags of reporting pages."""
