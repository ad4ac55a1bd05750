"""Chain clients: Esplora over HTTP and Electrum through BDK."""
