-- A rule may watch every asset or device carrying a tag. New enum values cannot be used in the transaction that
-- adds them, so the column and constraint that name it follow in the next migration.
ALTER TYPE alert_target_scope ADD VALUE 'tag';
