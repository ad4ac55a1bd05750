"""Tables of the AML, sanctions, travel-rule, stablecoin and tax part of supervision."""
