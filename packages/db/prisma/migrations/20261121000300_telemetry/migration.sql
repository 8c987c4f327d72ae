-- Telemetry built for volume: narrow rows keyed by (series_id, time), range-partitioned by day (UTC), with
-- 1-minute and 1-hour rollups that chart queries read. Partitions are created ahead of time by a job
-- (telemetry_ensure_partitions) and retention drops whole partitions (telemetry_drop_partitions).

CREATE TABLE telemetry (
  series_id integer NOT NULL,
  time      timestamptz NOT NULL,
  value     double precision NOT NULL,
  -- A re-sent reading has the same series and time and is stored once.
  PRIMARY KEY (series_id, time)
) PARTITION BY RANGE (time);
-- Time-ordered appends make BRIN tiny and effective for range scans across series.
CREATE INDEX telemetry_time_brin_idx ON telemetry USING brin (time) WITH (pages_per_range = 32);

-- Rollups keep sum and count so late readings merge exactly; avg is derived.
CREATE TABLE telemetry_1m (
  series_id  integer NOT NULL,
  bucket     timestamptz NOT NULL,
  min        double precision NOT NULL,
  max        double precision NOT NULL,
  sum        double precision NOT NULL,
  count      integer NOT NULL,
  avg        double precision GENERATED ALWAYS AS (sum / count) STORED,
  first      double precision NOT NULL,
  first_time timestamptz NOT NULL,
  last       double precision NOT NULL,
  last_time  timestamptz NOT NULL,
  PRIMARY KEY (series_id, bucket)
) PARTITION BY RANGE (bucket);
CREATE INDEX telemetry_1m_bucket_brin_idx ON telemetry_1m USING brin (bucket);

CREATE TABLE telemetry_1h (
  series_id  integer NOT NULL,
  bucket     timestamptz NOT NULL,
  min        double precision NOT NULL,
  max        double precision NOT NULL,
  sum        double precision NOT NULL,
  count      integer NOT NULL,
  avg        double precision GENERATED ALWAYS AS (sum / count) STORED,
  first      double precision NOT NULL,
  first_time timestamptz NOT NULL,
  last       double precision NOT NULL,
  last_time  timestamptz NOT NULL,
  PRIMARY KEY (series_id, bucket)
);
CREATE INDEX telemetry_1h_bucket_brin_idx ON telemetry_1h USING brin (bucket);

-- Partition names carry their UTC start: telemetry_pYYYYMMDD (a day), telemetry_1m_pYYYYMM (a month).
-- SECURITY DEFINER because creating and dropping partitions needs the owner; the application role may
-- call these and nothing else of the kind.
CREATE FUNCTION telemetry_ensure_partitions(p_from date, p_to date) RETURNS integer
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    created integer := 0;
    day date;
    month date;
    name text;
  BEGIN
    IF p_to < p_from OR p_to - p_from > 3660 THEN
      RAISE EXCEPTION 'partition range % .. % is not plausible', p_from, p_to;
    END IF;
    FOR day IN SELECT generate_series(p_from, p_to, interval '1 day')::date LOOP
      name := 'telemetry_p' || to_char(day, 'YYYYMMDD');
      IF to_regclass(name) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF telemetry FOR VALUES FROM (%L) TO (%L)', name,
                       day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
        created := created + 1;
      END IF;
    END LOOP;
    FOR month IN
      SELECT generate_series(date_trunc('month', p_from), date_trunc('month', p_to), interval '1 month')::date
    LOOP
      name := 'telemetry_1m_p' || to_char(month, 'YYYYMM');
      IF to_regclass(name) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF telemetry_1m FOR VALUES FROM (%L) TO (%L)', name,
                       month::timestamp AT TIME ZONE 'UTC',
                       (month + interval '1 month')::timestamp AT TIME ZONE 'UTC');
        created := created + 1;
      END IF;
    END LOOP;
    RETURN created;
  END
  $$;

-- Drops raw partitions that end on or before p_raw_before, 1-minute partitions that end on or before
-- p_minute_before, and hourly rows older than p_hour_before (NULL keeps them). Returns the tables dropped.
CREATE FUNCTION telemetry_drop_partitions(p_raw_before date, p_minute_before date, p_hour_before date)
  RETURNS text[]
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
  AS $$
  DECLARE
    dropped text[] := '{}';
    part record;
  BEGIN
    FOR part IN
      SELECT c.relname
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'telemetry'::regclass
         AND c.relname ~ '^telemetry_p[0-9]{8}$'
         AND to_date(substr(c.relname, 12), 'YYYYMMDD') + 1 <= p_raw_before
       ORDER BY c.relname
    LOOP
      EXECUTE format('DROP TABLE %I', part.relname);
      dropped := dropped || part.relname::text;
    END LOOP;
    FOR part IN
      SELECT c.relname
        FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = 'telemetry_1m'::regclass
         AND c.relname ~ '^telemetry_1m_p[0-9]{6}$'
         AND (to_date(substr(c.relname, 15), 'YYYYMM') + interval '1 month')::date <= p_minute_before
       ORDER BY c.relname
    LOOP
      EXECUTE format('DROP TABLE %I', part.relname);
      dropped := dropped || part.relname::text;
    END LOOP;
    IF p_hour_before IS NOT NULL THEN
      DELETE FROM telemetry_1h WHERE bucket < p_hour_before::timestamp AT TIME ZONE 'UTC';
    END IF;
    RETURN dropped;
  END
  $$;

-- Stores readings and maintains both rollups in one statement, so a rollup never counts a reading twice or misses
-- one: only rows actually inserted (not duplicates) are aggregated. Returns those new readings, so the caller can
-- hand exactly them on. Runs as the caller, so row-level security decides which series may be written.
CREATE FUNCTION telemetry_store(p_series_ids integer[], p_times timestamptz[], p_values double precision[])
  RETURNS TABLE (series_id integer, "time" timestamptz, value double precision)
  LANGUAGE sql VOLATILE
  AS $$
    WITH input AS (
      SELECT DISTINCT ON (r.series_id, r.time) r.series_id, r.time, r.value
        FROM unnest(p_series_ids, p_times, p_values) AS r (series_id, time, value)
       ORDER BY r.series_id, r.time
    ),
    inserted AS (
      INSERT INTO telemetry AS t (series_id, time, value)
      SELECT i.series_id, i.time, i.value FROM input i
      ON CONFLICT (series_id, time) DO NOTHING
      RETURNING t.series_id, t.time, t.value
    ),
    minute_rows AS (
      INSERT INTO telemetry_1m AS t (series_id, bucket, min, max, sum, count, first, first_time, last, last_time)
      SELECT i.series_id, date_trunc('minute', i.time), min(i.value), max(i.value), sum(i.value), count(*),
             (array_agg(i.value ORDER BY i.time))[1], min(i.time),
             (array_agg(i.value ORDER BY i.time DESC))[1], max(i.time)
        FROM inserted i
       GROUP BY i.series_id, date_trunc('minute', i.time)
      ON CONFLICT (series_id, bucket) DO UPDATE SET
        min = least(t.min, excluded.min),
        max = greatest(t.max, excluded.max),
        sum = t.sum + excluded.sum,
        count = t.count + excluded.count,
        first = CASE WHEN excluded.first_time < t.first_time THEN excluded.first ELSE t.first END,
        first_time = least(t.first_time, excluded.first_time),
        last = CASE WHEN excluded.last_time > t.last_time THEN excluded.last ELSE t.last END,
        last_time = greatest(t.last_time, excluded.last_time)
    ),
    hour_rows AS (
      INSERT INTO telemetry_1h AS t (series_id, bucket, min, max, sum, count, first, first_time, last, last_time)
      SELECT i.series_id, date_trunc('hour', i.time), min(i.value), max(i.value), sum(i.value), count(*),
             (array_agg(i.value ORDER BY i.time))[1], min(i.time),
             (array_agg(i.value ORDER BY i.time DESC))[1], max(i.time)
        FROM inserted i
       GROUP BY i.series_id, date_trunc('hour', i.time)
      ON CONFLICT (series_id, bucket) DO UPDATE SET
        min = least(t.min, excluded.min),
        max = greatest(t.max, excluded.max),
        sum = t.sum + excluded.sum,
        count = t.count + excluded.count,
        first = CASE WHEN excluded.first_time < t.first_time THEN excluded.first ELSE t.first END,
        first_time = least(t.first_time, excluded.first_time),
        last = CASE WHEN excluded.last_time > t.last_time THEN excluded.last ELSE t.last END,
        last_time = greatest(t.last_time, excluded.last_time)
    )
    SELECT i.series_id, i.time, i.value FROM inserted i
  $$;

-- The same, answering only how many readings were new.
CREATE FUNCTION telemetry_write(p_series_ids integer[], p_times timestamptz[], p_values double precision[])
  RETURNS integer
  LANGUAGE sql VOLATILE
  AS $$ SELECT count(*)::integer FROM telemetry_store(p_series_ids, p_times, p_values) $$;

-- Recomputes both rollups of some series over a time range from raw readings, for bulk loads that bypass
-- telemetry_write (COPY during seeding or a backfill). The range is widened to whole hours.
CREATE FUNCTION telemetry_rebuild_rollups(p_series_ids integer[], p_from timestamptz, p_to timestamptz)
  RETURNS void
  LANGUAGE plpgsql
  AS $$
  DECLARE
    range_start timestamptz := date_trunc('hour', p_from);
    range_end timestamptz := date_trunc('hour', p_to) + interval '1 hour';
  BEGIN
    DELETE FROM telemetry_1m
     WHERE series_id = ANY (p_series_ids) AND bucket >= range_start AND bucket < range_end;
    DELETE FROM telemetry_1h
     WHERE series_id = ANY (p_series_ids) AND bucket >= range_start AND bucket < range_end;
    INSERT INTO telemetry_1m (series_id, bucket, min, max, sum, count, first, first_time, last, last_time)
    SELECT series_id, date_trunc('minute', time), min(value), max(value), sum(value), count(*),
           (array_agg(value ORDER BY time))[1], min(time),
           (array_agg(value ORDER BY time DESC))[1], max(time)
      FROM telemetry
     WHERE series_id = ANY (p_series_ids) AND time >= range_start AND time < range_end
     GROUP BY series_id, date_trunc('minute', time);
    INSERT INTO telemetry_1h (series_id, bucket, min, max, sum, count, first, first_time, last, last_time)
    SELECT series_id, date_trunc('hour', bucket), min(min), max(max), sum(sum), sum(count),
           (array_agg(first ORDER BY first_time))[1], min(first_time),
           (array_agg(last ORDER BY last_time DESC))[1], max(last_time)
      FROM telemetry_1m
     WHERE series_id = ANY (p_series_ids) AND bucket >= range_start AND bucket < range_end
     GROUP BY series_id, date_trunc('hour', bucket);
  END
  $$;
