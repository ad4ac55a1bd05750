"""AML: transaction monitoring, sanctions, the travel rule and the tax base."""
