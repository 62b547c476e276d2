-- The same schema as on PostgreSQL (see the .postgres.sql twin): an inbound text's
-- notification refers to its message and is rendered when it is sent, instead of a copy
-- of its facts as JSON. SQLite relaxes a NOT NULL by rebuilding the table.
CREATE TABLE email_outbox_new (
    id {{ID}},
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    email_json TEXT,
    message_id BIGINT,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    due_ms BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until_ms BIGINT,
    last_error TEXT,
    created_ms BIGINT NOT NULL,
    sent_ms BIGINT,
    CONSTRAINT email_outbox_job CHECK (email_json IS NOT NULL OR message_id IS NOT NULL)
);
INSERT INTO email_outbox_new (id, firm_id, email_json, state, attempts, due_ms, lease_owner,
                              lease_until_ms, last_error, created_ms, sent_ms)
    SELECT id, firm_id, email_json, state, attempts, due_ms, lease_owner,
           lease_until_ms, last_error, created_ms, sent_ms
    FROM email_outbox;
DROP TABLE email_outbox;
ALTER TABLE email_outbox_new RENAME TO email_outbox;
CREATE INDEX email_outbox_due ON email_outbox (state, due_ms);
