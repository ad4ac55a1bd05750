"""The services package."""
