-- device_states is rewritten every few seconds for every device heard (the server's device state buffer). The
-- partial index on last_seen_at made each of those writes a non-HOT update (a new index entry per row and write);
-- without it, and with room left in each page, they stay HOT. The silence sweep, its only reader, scans the table
-- instead: one row per device, every few seconds at most.
DROP INDEX device_states_silence_idx;
ALTER TABLE device_states SET (fillfactor = 70);
