"""Tables of the energy pillar (filled in as the pillar lands)."""
