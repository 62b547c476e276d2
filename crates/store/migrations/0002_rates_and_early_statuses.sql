-- Version 2: shared send-rate state per texting number, and delivery-status updates
-- that arrive before the provider's id is recorded.

-- One row per texting number: the earliest moment the next segment may leave
-- (generic cell rate algorithm). Every worker reserves its sends here, so the
-- configured rate holds across all of them.
CREATE TABLE number_rates (
    number TEXT PRIMARY KEY,
    next_free_ms BIGINT NOT NULL
);

-- A status callback can overtake the provider's answer to the send request; it is kept
-- here and applied when the message's provider id is recorded.
CREATE TABLE early_statuses (
    id {{ID}},
    provider_id TEXT NOT NULL,
    status TEXT NOT NULL,
    error_code BIGINT,
    at_ms BIGINT NOT NULL
);
CREATE INDEX early_statuses_provider ON early_statuses (provider_id);
