"""The rehearsal chain: a regtest-like chain in the store, with Esplora and Electrum servers."""
