-- Casewire schema, version 1. Written once for both backends: the runner replaces
-- {{ID}} with the backend's auto-increment primary key and {{REAL}} with its
-- double-precision type. Times are UTC milliseconds since the Unix epoch (`*_ms`).

CREATE TABLE firms (
    id {{ID}},
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    region TEXT NOT NULL,
    notification_email TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE firm_numbers (
    id {{ID}},
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    number TEXT NOT NULL UNIQUE,
    class TEXT NOT NULL,
    rate {{REAL}} NOT NULL,
    position BIGINT NOT NULL
);
CREATE INDEX firm_numbers_firm ON firm_numbers (firm_id);

CREATE TABLE api_keys (
    id {{ID}},
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    prefix TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    created_ms BIGINT NOT NULL,
    revoked_ms BIGINT
);
CREATE INDEX api_keys_firm ON api_keys (firm_id);

CREATE TABLE cases (
    id {{ID}},
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    number TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    notification_email TEXT,
    automatic_reminders BOOLEAN NOT NULL,
    last_activity_ms BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (firm_id, number)
);

CREATE TABLE debtors (
    id {{ID}},
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    position BIGINT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT,
    time_zone TEXT,
    UNIQUE (case_id, position)
);

CREATE TABLE phones (
    id {{ID}},
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    debtor_id BIGINT NOT NULL REFERENCES debtors (id),
    number TEXT NOT NULL,
    kind TEXT NOT NULL
);
CREATE INDEX phones_lookup ON phones (firm_id, number);
CREATE INDEX phones_debtor ON phones (debtor_id);

CREATE TABLE events (
    id {{ID}},
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    starts_ms BIGINT NOT NULL,
    ends_ms BIGINT,
    time_zone TEXT NOT NULL,
    location TEXT,
    reminders_json TEXT NOT NULL,
    cancelled BOOLEAN NOT NULL
);
CREATE INDEX events_case ON events (firm_id, case_id);

CREATE TABLE recipes (
    id {{ID}},
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    recipe_json TEXT NOT NULL
);
CREATE INDEX recipes_firm ON recipes (firm_id);

CREATE TABLE messages (
    id {{ID}},
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    case_id BIGINT REFERENCES cases (id),
    debtor_id BIGINT REFERENCES debtors (id),
    direction TEXT NOT NULL,
    from_number TEXT NOT NULL,
    to_number TEXT NOT NULL,
    body TEXT NOT NULL,
    media_json TEXT,
    status TEXT NOT NULL,
    provider_id TEXT UNIQUE,
    error_code BIGINT,
    refusal TEXT,
    sent_by TEXT,
    reminder_key TEXT,
    note TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX messages_thread ON messages (firm_id, case_id, id);
CREATE INDEX messages_unmatched ON messages (firm_id, id) WHERE case_id IS NULL;

CREATE TABLE message_status_history (
    id {{ID}},
    message_id BIGINT NOT NULL REFERENCES messages (id),
    status TEXT NOT NULL,
    error_code BIGINT,
    at_ms BIGINT NOT NULL
);
CREATE INDEX message_status_history_message ON message_status_history (message_id);

CREATE TABLE consent (
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    number TEXT NOT NULL,
    state TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (firm_id, number)
);

CREATE TABLE consent_transitions (
    id {{ID}},
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    number TEXT NOT NULL,
    seq BIGINT NOT NULL,
    transition_json TEXT NOT NULL,
    UNIQUE (firm_id, number, seq)
);

CREATE TABLE reminders (
    id {{ID}},
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    case_id BIGINT NOT NULL REFERENCES cases (id),
    event_id BIGINT NOT NULL REFERENCES events (id),
    reminder_key TEXT NOT NULL UNIQUE,
    source_json TEXT NOT NULL,
    debtor_id BIGINT NOT NULL,
    from_number TEXT,
    to_number TEXT NOT NULL,
    body TEXT NOT NULL,
    send_at_ms BIGINT NOT NULL,
    event_starts_ms BIGINT NOT NULL,
    state TEXT NOT NULL,
    due_ms BIGINT NOT NULL,
    attempts BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until_ms BIGINT,
    reason TEXT,
    message_id BIGINT,
    updated_ms BIGINT NOT NULL
);
CREATE INDEX reminders_due ON reminders (state, due_ms);
CREATE INDEX reminders_case ON reminders (firm_id, case_id);
CREATE INDEX reminders_number ON reminders (firm_id, to_number, state);

CREATE TABLE email_outbox (
    id {{ID}},
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    email_json TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    due_ms BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until_ms BIGINT,
    last_error TEXT,
    created_ms BIGINT NOT NULL,
    sent_ms BIGINT
);
CREATE INDEX email_outbox_due ON email_outbox (state, due_ms);
