"""Energy's pure rules: grid and scenario files, mining economics, the planner's LP, merit order, risk."""
