"""The reserve's pure rules: descriptors, policy, PSBTs, the ledger and reserve statements."""
