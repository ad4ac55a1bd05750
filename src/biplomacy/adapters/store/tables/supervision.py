"""Tables of the supervision pillar (filled in as the pillar lands)."""
