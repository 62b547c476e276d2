-- A case's phones are read by case (a case page, a worker's batch of reminders): without
-- this index each read scanned every phone of the firm.
CREATE INDEX phones_case ON phones (case_id);
