"""The house: users, the audit log, the demo, and the commands and pages that belong to no pillar."""
