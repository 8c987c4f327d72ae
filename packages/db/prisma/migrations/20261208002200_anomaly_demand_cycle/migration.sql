-- An anomaly rule with the demand cycle learns one mean and spread per hour of the week (168 buckets, in the
-- tenant's time zone), kept with the rest of its state so a restart or the other instance carries on from it:
-- an array of 168 entries, each null (not learnt yet) or [mean, variance, readings learnt].
ALTER TABLE alert_rule_states
  ADD COLUMN cycle jsonb CHECK (cycle IS NULL OR (jsonb_typeof(cycle) = 'array' AND jsonb_array_length(cycle) = 168));
-- pump_starts counts starts against a setpoint (the most starts allowed in the window), like a limit.
ALTER TABLE alert_rules
  ADD CONSTRAINT alert_rules_pump_starts_setpoint CHECK (condition <> 'pump_starts' OR (setpoint IS NOT NULL AND window_s IS NOT NULL));
