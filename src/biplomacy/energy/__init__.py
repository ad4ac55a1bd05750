"""The energy package."""
