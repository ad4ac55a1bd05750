"""The peers pillar: the programs of Pakistan, El Salvador, Bhutan and the United States side by side, cited."""
