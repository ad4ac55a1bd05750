"""BIP-322 generic signed messages and legacy Bitcoin Signed Message signatures."""
