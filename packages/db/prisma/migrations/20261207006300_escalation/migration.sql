-- Escalation that reaches someone: policies of steps (notify a user, or whoever is on call on a schedule, then
-- wait), repeated until the alert is acknowledged; on-call schedules of weekly shifts in the schedule's own time
-- zone with dated overrides; and the SMS messages sent for each step, with their delivery state. Each step of an
-- alert's escalation becomes at most one message (unique below), whichever instance runs the job.

ALTER TABLE users ADD COLUMN phone text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$');

CREATE TABLE on_call_schedules (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- Shifts are wall-clock times here (IANA name): a 20:00 shift starts at 20:00 local, summer or winter.
  time_zone  text NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, name)
);

-- A weekly shift: on each listed ISO weekday (1 Monday .. 7 Sunday) from `starts` to `ends`; an end at or before
-- the start runs into the next day (a night shift 20:00-08:00 belongs to the day it starts).
CREATE TABLE on_call_shifts (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  schedule_id uuid NOT NULL REFERENCES on_call_schedules (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  weekdays    smallint[] NOT NULL CHECK (cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ '{1,2,3,4,5,6,7}'),
  starts      time NOT NULL,
  ends        time NOT NULL
);
CREATE INDEX on_call_shifts_schedule_idx ON on_call_shifts (schedule_id);

-- Someone else takes the duty for a while (a swap, sick leave): overrides win over shifts.
CREATE TABLE on_call_overrides (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  schedule_id uuid NOT NULL REFERENCES on_call_schedules (id) ON DELETE CASCADE,
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  starts_at   timestamptz NOT NULL,
  ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
  reason      text CHECK (length(reason) <= 500)
);
CREATE INDEX on_call_overrides_schedule_idx ON on_call_overrides (schedule_id, starts_at);

CREATE TABLE escalation_policies (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- Alerts at least this urgent (critical < high < medium < low) are escalated by it.
  min_priority alert_priority NOT NULL DEFAULT 'high',
  -- How many more times the steps run after the first pass, while nobody acknowledges.
  repeats      integer NOT NULL DEFAULT 2 CHECK (repeats BETWEEN 0 AND 20),
  enabled      boolean NOT NULL DEFAULT true,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE escalation_steps (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  policy_id   uuid NOT NULL REFERENCES escalation_policies (id) ON DELETE CASCADE,
  position    integer NOT NULL CHECK (position >= 0),
  -- Whom: a user, or whoever is on call on the schedule when the step runs.
  user_id     uuid REFERENCES users (id) ON DELETE CASCADE,
  schedule_id uuid REFERENCES on_call_schedules (id) ON DELETE CASCADE,
  -- Then wait this long before the next step.
  wait_s      integer NOT NULL CHECK (wait_s BETWEEN 0 AND 86400),
  UNIQUE (policy_id, position),
  CHECK ((user_id IS NULL) <> (schedule_id IS NULL))
);

-- One escalation per alert: where it stands. Rows are changed under FOR UPDATE SKIP LOCKED by the job.
CREATE TABLE alert_escalations (
  alert_id    uuid PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  policy_id   uuid NOT NULL REFERENCES escalation_policies (id) ON DELETE CASCADE,
  next_step   integer NOT NULL DEFAULT 0,
  cycle       integer NOT NULL DEFAULT 0,
  next_at     timestamptz NOT NULL DEFAULT now(),
  started_at  timestamptz NOT NULL DEFAULT now(),
  stopped_at  timestamptz,
  stop_reason text
);
CREATE INDEX alert_escalations_due_idx ON alert_escalations (next_at) WHERE stopped_at IS NULL;

CREATE TABLE escalation_messages (
  id              bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY,
  tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  alert_id        uuid NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
  cycle           integer NOT NULL,
  position        integer NOT NULL,
  user_id         uuid REFERENCES users (id) ON DELETE SET NULL,
  phone           text NOT NULL,
  body            text NOT NULL CHECK (length(body) <= 1600),
  state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'delivered', 'failed', 'cancelled')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  provider_id     text,
  delivered_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (alert_id, cycle, position, phone)
);
CREATE INDEX escalation_messages_due_idx ON escalation_messages (next_attempt_at) WHERE state IN ('pending', 'sending');

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['on_call_schedules', 'on_call_shifts', 'on_call_overrides', 'escalation_policies',
                           'escalation_steps', 'alert_escalations', 'escalation_messages'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = app_tenant_id()) WITH CHECK (tenant_id = app_tenant_id())', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO tidewatch_app', t);
  END LOOP;
END
$$;
