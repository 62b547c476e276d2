-- The status history is append-only and written only in the transaction that inserts or
-- finds its message, and messages are never deleted: the foreign key proved nothing the
-- store does not already guarantee, yet on PostgreSQL each history row's check locked
-- its message row (a WAL record per row), the largest single cost of sending reminders.
ALTER TABLE message_status_history DROP CONSTRAINT IF EXISTS message_status_history_message_id_fkey;
