"""The adapters/chain package."""
