-- Rule kinds of network intelligence: a district metered area's night flow stepping up (a new burst), and a
-- tank's level trend predicting overflow or empty. A night-flow rule watches a zone, not a series. New enum values
-- cannot be used in the transaction that adds them, so the constraints that name them follow in the next migration.
ALTER TYPE alert_condition ADD VALUE 'night_flow_step';
ALTER TYPE alert_condition ADD VALUE 'forecast';
ALTER TYPE alert_target_scope ADD VALUE 'zone';
