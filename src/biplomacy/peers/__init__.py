"""The peers package."""
