"""Tables of the reserve pillar (filled in as the pillar lands)."""
