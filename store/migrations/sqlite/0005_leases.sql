-- Short leases by name: a process that holds one may run a step no other process may run
-- at the same time (for example installing an organisation's applications while counting
-- them against its plan). The other backend's migration of the same number keeps the same
-- table, columns and meanings.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
