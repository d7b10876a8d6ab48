"""Installed base, parts catalogue, regional stock and the to-reorder list."""
