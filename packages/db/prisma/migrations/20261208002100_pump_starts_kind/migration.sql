-- A rule kind for a pump that starts too often: more than N starts (not running to running) within the rule's
-- window, counted on its run-state, flow or power series.
ALTER TYPE alert_condition ADD VALUE 'pump_starts';
