"""Pure pieces of reporting: cell values, canonical digests, entry windows.

No Django here (an import-linter contract keeps it so).
"""
