"""Country programs as cited records."""
