"""The reserve package."""
