"""Supervision's pure rules: licences, the register, returns, solvency proofs, stablecoins."""
