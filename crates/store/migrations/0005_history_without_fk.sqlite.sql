-- The same schema as on PostgreSQL (see the .postgres.sql twin): the status history
-- without its foreign key. SQLite drops a constraint by rebuilding the table.
CREATE TABLE message_status_history_new (
    id {{ID}},
    message_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    error_code BIGINT,
    at_ms BIGINT NOT NULL
);
INSERT INTO message_status_history_new (id, message_id, status, error_code, at_ms)
    SELECT id, message_id, status, error_code, at_ms FROM message_status_history;
DROP TABLE message_status_history;
ALTER TABLE message_status_history_new RENAME TO message_status_history;
CREATE INDEX message_status_history_message ON message_status_history (message_id);
