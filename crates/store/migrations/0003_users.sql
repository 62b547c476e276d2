-- Casewire schema, version 3: staff users of a firm and their web dashboard sessions.
-- A password is kept only as an argon2 hash (PHC string); a session token only as the
-- hex SHA-256 of the token, so a copy of the database signs nobody in.

CREATE TABLE users (
    id {{ID}},
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    -- Lowercased; one address signs in to one firm.
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    disabled_ms BIGINT
);
CREATE INDEX users_firm ON users (firm_id);

CREATE TABLE sessions (
    id {{ID}},
    token_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    firm_id BIGINT NOT NULL REFERENCES firms (id),
    -- The synchronizer token every state-changing request of this session must carry.
    csrf_token TEXT NOT NULL,
    -- A one-time notice for the next page ("Saved.", or why a form was refused).
    flash TEXT,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_ms);
