"""The adapters/prices package."""
