-- The alert engine's own state. Two server instances share the device subscription, so consecutive readings of
-- one series may be evaluated by different processes: everything an evaluation carries from one reading to the
-- next (on-delay start, deadband latch, EWMA baseline) lives here, locked per rule and target while evaluated.

-- Per-tenant change sequence: every alert transition gets the next number of its tenant. The counter row is
-- locked until the transaction commits, so numbers are visible in commit order and a reconnecting client can
-- ask for everything after the last number it saw without missing a change committed late.
CREATE TABLE alert_sequences (
  tenant_id     uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  last_sequence bigint NOT NULL CHECK (last_sequence > 0)
);

ALTER TABLE alert_transitions ADD COLUMN sequence bigint;

CREATE FUNCTION alert_transition_sequence() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    INSERT INTO alert_sequences AS s (tenant_id, last_sequence) VALUES (NEW.tenant_id, 1)
      ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = s.last_sequence + 1
      RETURNING last_sequence INTO NEW.sequence;
    RETURN NEW;
  END
  $$;

-- Transitions written before this migration are numbered in the order they were written.
WITH numbered AS (
  SELECT id, row_number() OVER (PARTITION BY tenant_id ORDER BY id) AS n FROM alert_transitions
)
UPDATE alert_transitions t SET sequence = numbered.n FROM numbered WHERE numbered.id = t.id;
INSERT INTO alert_sequences (tenant_id, last_sequence)
SELECT tenant_id, max(sequence) FROM alert_transitions GROUP BY tenant_id;

ALTER TABLE alert_transitions ALTER COLUMN sequence SET NOT NULL;
CREATE UNIQUE INDEX alert_transitions_sequence_idx ON alert_transitions (tenant_id, sequence);
CREATE TRIGGER alert_transitions_sequence BEFORE INSERT ON alert_transitions
  FOR EACH ROW EXECUTE FUNCTION alert_transition_sequence();

-- What a value rule remembers about one target between readings.
CREATE TABLE alert_rule_states (
  rule_id        uuid NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  target_key     text NOT NULL,
  tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  -- The condition after deadband and delays: true from the raise until the clear.
  active         boolean NOT NULL DEFAULT false,
  -- The condition first held at this reading time and waits out the on-delay.
  pending_since  timestamptz,
  -- The condition first cleared (beyond the deadband) at this reading time and waits out the off-delay.
  clearing_since timestamptz,
  -- The reading the state last changed on; older readings do not change it again.
  last_time      timestamptz,
  last_value     double precision,
  -- Anomaly rules: exponentially weighted mean and variance, and how many readings they have seen.
  mean           double precision,
  variance       double precision,
  samples        integer NOT NULL DEFAULT 0 CHECK (samples >= 0),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule_id, target_key)
);
CREATE INDEX alert_rule_states_delay_idx ON alert_rule_states (tenant_id)
  WHERE pending_since IS NOT NULL OR clearing_since IS NOT NULL;
CREATE TRIGGER alert_rule_states_touch_updated_at BEFORE UPDATE ON alert_rule_states
  FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Alarm flood per tenant: more new alerts in the window than the threshold.
CREATE TABLE alert_floods (
  tenant_id  uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  active     boolean NOT NULL,
  count      integer NOT NULL CHECK (count >= 0),
  since      timestamptz,
  changed_at timestamptz NOT NULL DEFAULT now(),
  CHECK (active = (since IS NOT NULL))
);

-- The engine's periodic work (delays, shelve expiry, escalation, no-data, the notification outbox) runs tenant by
-- tenant in each tenant's context; this is the only thing it reads across tenants.
CREATE FUNCTION alert_engine_tenants() RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT id FROM tenants WHERE disabled_at IS NULL ORDER BY id $$;

REVOKE ALL ON FUNCTION alert_engine_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION alert_engine_tenants() TO tidewatch_app;

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['alert_sequences', 'alert_rule_states', 'alert_floods'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format(
      'CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())',
      t);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON alert_sequences, alert_floods TO tidewatch_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON alert_rule_states TO tidewatch_app;
