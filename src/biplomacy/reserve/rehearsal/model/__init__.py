"""The rehearsal chain's pure rules: consensus checks and the Electrum protocol."""
