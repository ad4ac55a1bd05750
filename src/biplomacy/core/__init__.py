"""The shared kernel: errors, units, provenance, permissions, ports and configuration."""
