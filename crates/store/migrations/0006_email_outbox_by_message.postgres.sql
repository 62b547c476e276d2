-- An inbound text's notification refers to its message and is rendered when it is sent,
-- instead of a copy of its facts as JSON: the hot path writes a few numbers per text.
-- Rows queued before keep their JSON. Like the status history, the reference has no
-- foreign key: it is written in the transaction that inserts its message, and messages
-- are never deleted.
ALTER TABLE email_outbox ALTER COLUMN email_json DROP NOT NULL;
ALTER TABLE email_outbox ADD COLUMN message_id BIGINT;
ALTER TABLE email_outbox ADD CONSTRAINT email_outbox_job
    CHECK (email_json IS NOT NULL OR message_id IS NOT NULL);
