"""AML transaction monitoring across VASPs: the transaction table, the rules, and their registry."""
