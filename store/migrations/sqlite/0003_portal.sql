-- The organisation portal: email outbox, rate-limit events, the user of each web
-- session, and a free plan to start approved organisations on. The other backend's
-- migration of the same number keeps the same tables, columns and meanings.

-- Every email the portal sends is written here first; a sender delivers unsent rows
-- by SMTP when one is configured. Without SMTP the rows are the record (and the
-- demo's mailbox).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    to_addr TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX outbox_unsent ON outbox (sent_at);

-- One row per counted event (a failed sign-in, a reset request) in a named bucket,
-- so limits hold across several portal processes sharing the database.
CREATE TABLE rate_events (
    bucket TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX rate_events_bucket_at ON rate_events (bucket, at);

-- Lets a password change end every session of its user.
ALTER TABLE web_sessions ADD COLUMN user_id BIGINT REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX web_sessions_user ON web_sessions (user_id);

INSERT INTO plans (slug, name, price_pence, cpu_millis, memory_mib, storage_gib, max_pods,
                   max_apps, created_at)
VALUES ('community', 'Community (free)', 0, 2000, 4096, 20, 20, 3, 0);
