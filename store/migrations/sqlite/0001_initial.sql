-- Commons schema for SQLite. Times are Unix seconds (BIGINT); the PostgreSQL
-- migration of the same number keeps the same tables, columns and meanings.

CREATE TABLE plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    price_pence BIGINT NOT NULL DEFAULT 0 CHECK (price_pence >= 0),
    stripe_price_id TEXT,
    cpu_millis BIGINT NOT NULL CHECK (cpu_millis > 0),
    memory_mib BIGINT NOT NULL CHECK (memory_mib > 0),
    storage_gib BIGINT NOT NULL CHECK (storage_gib > 0),
    max_pods BIGINT NOT NULL CHECK (max_pods > 0),
    max_apps BIGINT NOT NULL CHECK (max_apps > 0),
    wifi_session_secs BIGINT,
    wifi_down_kbps BIGINT,
    wifi_up_kbps BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('voluntary', 'charity', 'partner', 'council', 'commercial')),
    charity_number TEXT,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected', 'suspended')),
    status_reason TEXT,
    plan_id BIGINT REFERENCES plans (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    council_admin BOOLEAN NOT NULL DEFAULT FALSE,
    email_verified_at BIGINT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- One-time links: first administrator, admin sign-in, password reset, email
-- verification, invitations. Only a SHA-256 of the token is stored.
CREATE TABLE one_time_tokens (
    token_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL
        CHECK (purpose IN ('first_admin', 'sign_in', 'password_reset', 'verify_email', 'invitation')),
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    org_id BIGINT REFERENCES organisations (id) ON DELETE CASCADE,
    email TEXT,
    role TEXT,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);

CREATE TABLE web_sessions (
    id TEXT PRIMARY KEY,
    data BLOB NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

CREATE TABLE subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    plan_id BIGINT NOT NULL REFERENCES plans (id),
    stripe_customer_id TEXT,
    stripe_subscription_id TEXT UNIQUE,
    status TEXT NOT NULL,
    current_period_end BIGINT,
    grace_until BIGINT,
    -- `created` of the newest Stripe event applied, so older events arriving
    -- late do not overwrite newer state.
    last_event_at BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

CREATE TABLE stripe_events (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    created BIGINT NOT NULL,
    processed_at BIGINT NOT NULL
);

CREATE TABLE wifi_sites (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    org_id BIGINT REFERENCES organisations (id),
    signup_modes TEXT NOT NULL DEFAULT 'terms',
    session_timeout_secs BIGINT NOT NULL DEFAULT 3600,
    idle_timeout_secs BIGINT NOT NULL DEFAULT 600,
    interim_interval_secs BIGINT NOT NULL DEFAULT 300 CHECK (interim_interval_secs >= 60),
    down_kbps BIGINT,
    up_kbps BIGINT,
    retention_days BIGINT NOT NULL DEFAULT 30 CHECK (retention_days > 0),
    created_at BIGINT NOT NULL
);

CREATE TABLE nas_clients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES wifi_sites (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    address TEXT NOT NULL UNIQUE,
    secret TEXT NOT NULL CHECK (length(secret) >= 16),
    vendor TEXT NOT NULL DEFAULT 'generic',
    require_message_authenticator BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE realms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    org_id BIGINT REFERENCES organisations (id),
    strip_realm BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE TABLE home_servers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    realm_id BIGINT NOT NULL REFERENCES realms (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    auth_port BIGINT NOT NULL DEFAULT 1812,
    acct_port BIGINT NOT NULL DEFAULT 1813,
    secret TEXT NOT NULL CHECK (length(secret) >= 16),
    priority BIGINT NOT NULL DEFAULT 0,
    require_message_authenticator BOOLEAN NOT NULL DEFAULT TRUE,
    status_server BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE guest_accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES wifi_sites (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    -- Kept readable because CHAP (RFC 2865 section 5.3) needs the clear
    -- password; these are short-lived credentials the portal generated.
    password TEXT NOT NULL,
    email TEXT,
    mac TEXT,
    expires_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (site_id, username)
);
CREATE INDEX guest_accounts_email ON guest_accounts (email);

CREATE TABLE devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES wifi_sites (id) ON DELETE CASCADE,
    mac TEXT NOT NULL,
    guest_id BIGINT REFERENCES guest_accounts (id) ON DELETE SET NULL,
    blocked BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (site_id, mac)
);

CREATE TABLE vouchers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES wifi_sites (id) ON DELETE CASCADE,
    code TEXT NOT NULL UNIQUE,
    batch TEXT NOT NULL DEFAULT '',
    max_uses BIGINT NOT NULL DEFAULT 1 CHECK (max_uses > 0),
    uses BIGINT NOT NULL DEFAULT 0,
    duration_secs BIGINT,
    data_limit_bytes BIGINT,
    bytes_used BIGINT NOT NULL DEFAULT 0,
    first_used_at BIGINT,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE accounting_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    nas_id BIGINT NOT NULL REFERENCES nas_clients (id) ON DELETE CASCADE,
    site_id BIGINT NOT NULL REFERENCES wifi_sites (id) ON DELETE CASCADE,
    acct_session_id TEXT NOT NULL,
    username TEXT NOT NULL,
    calling_station_id TEXT,
    framed_ip TEXT,
    class TEXT,
    started_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    stopped_at BIGINT,
    session_secs BIGINT NOT NULL DEFAULT 0,
    input_octets BIGINT NOT NULL DEFAULT 0,
    output_octets BIGINT NOT NULL DEFAULT 0,
    terminate_cause TEXT,
    UNIQUE (nas_id, acct_session_id)
);
CREATE INDEX accounting_sessions_open ON accounting_sessions (stopped_at);

CREATE TABLE auth_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    nas_id BIGINT,
    site_id BIGINT,
    username TEXT NOT NULL DEFAULT '',
    mac TEXT,
    result TEXT NOT NULL CHECK (result IN ('accept', 'reject', 'challenge', 'proxied')),
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX auth_log_at ON auth_log (at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor_user_id BIGINT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    org_id BIGINT,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
