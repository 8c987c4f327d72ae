-- Alert sequence at commit. A transition used to take the next number of its tenant when it was written, which
-- locked the tenant's counter row from the first transition to a COMMIT arriving one busy event-loop turn later:
-- every other change of the tenant queued behind it. Now a transition is written with a temporary number (minus
-- its id, unique and never visible to anyone else) and numbered as its transaction commits. The application sends
-- `SELECT * FROM alert_transitions_number()` in the same message as COMMIT and publishes the numbers it answers;
-- a deferred constraint trigger numbers whatever a transaction left (Prisma transactions, seeds, tools).
-- The guarantees stay: numbers are gap-free per tenant, in commit order, and a number is visible only once every
-- smaller one is, because the counter row stays locked from the numbering to the end of the commit.

CREATE OR REPLACE FUNCTION alert_transition_sequence() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    NEW.sequence := -NEW.id;
    RETURN NEW;
  END
  $$;

-- Only this transaction's rows can be pending: other transactions number theirs before they commit, and their
-- uncommitted rows are not visible here.
CREATE INDEX alert_transitions_pending_idx ON alert_transitions (id) WHERE sequence < 0;

-- Numbers this transaction's pending transitions, per tenant in the order they were written; answers each
-- temporary number with its final one. Defined by the owner because the application may not update the history.
CREATE FUNCTION alert_transitions_number() RETURNS TABLE (pending bigint, numbered bigint)
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    tenant uuid;
    count_pending bigint;
    last_number bigint;
  BEGIN
    FOR tenant, count_pending IN
      SELECT t.tenant_id, count(*) FROM alert_transitions t WHERE t.sequence < 0 GROUP BY t.tenant_id ORDER BY 1
    LOOP
      INSERT INTO alert_sequences AS s (tenant_id, last_sequence) VALUES (tenant, count_pending)
        ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = s.last_sequence + count_pending
        RETURNING s.last_sequence INTO last_number;
      RETURN QUERY
        WITH ordered AS (
          SELECT t.id, last_number - count_pending + row_number() OVER (ORDER BY t.id) AS final
            FROM alert_transitions t WHERE t.tenant_id = tenant AND t.sequence < 0
        )
        UPDATE alert_transitions u SET sequence = o.final FROM ordered o WHERE u.id = o.id
        RETURNING -u.id, u.sequence;
    END LOOP;
  END
  $$;

REVOKE ALL ON FUNCTION alert_transitions_number() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION alert_transitions_number() TO tidewatch_app;

-- The safety net: at commit, a transition still pending numbers every pending one of its transaction.
CREATE FUNCTION alert_transitions_number_left() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
  BEGIN
    IF EXISTS (SELECT 1 FROM alert_transitions t WHERE t.id = NEW.id AND t.sequence < 0) THEN
      PERFORM alert_transitions_number();
    END IF;
    RETURN NULL;
  END
  $$;

CREATE CONSTRAINT TRIGGER alert_transitions_number_at_commit AFTER INSERT ON alert_transitions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION alert_transitions_number_left();
