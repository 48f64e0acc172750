-- The captive portal: how each site hands people to its access points, its branding
-- versions, the consents people give, and the codes that confirm an email address.
-- The other backend's migration of the same number keeps the same tables, columns and
-- meanings.

ALTER TABLE wifi_sites ADD COLUMN terms_session_secs BIGINT NOT NULL DEFAULT 1800
    CHECK (terms_session_secs > 0);
-- Days a device stays remembered after its person agreed; 0: never remember.
ALTER TABLE wifi_sites ADD COLUMN remember_days BIGINT NOT NULL DEFAULT 30
    CHECK (remember_days >= 0);
-- CoovaChilli's UAM secret and openNDS's FAS key, for signing hand-offs.
ALTER TABLE wifi_sites ADD COLUMN uam_secret TEXT;
ALTER TABLE wifi_sites ADD COLUMN fas_key TEXT;
-- A UniFi controller that authorises guests of this site; unifi_site is the
-- controller's own site name, which its external portal puts in the path.
ALTER TABLE wifi_sites ADD COLUMN unifi_url TEXT;
ALTER TABLE wifi_sites ADD COLUMN unifi_site TEXT;
ALTER TABLE wifi_sites ADD COLUMN unifi_username TEXT;
ALTER TABLE wifi_sites ADD COLUMN unifi_password TEXT;
-- Comma-separated extra host names a hand-off may send a person to.
ALTER TABLE wifi_sites ADD COLUMN handoff_hosts TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX wifi_sites_unifi_site ON wifi_sites (unifi_site);

-- Each published edit of a site's captive page is a new version; the row with the
-- highest version is current. Version 0 is the built-in default and never stored.
CREATE TABLE site_branding (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES wifi_sites (id) ON DELETE CASCADE,
    version BIGINT NOT NULL CHECK (version > 0),
    display_name TEXT NOT NULL,
    colour_primary TEXT NOT NULL,
    colour_background TEXT NOT NULL,
    terms TEXT NOT NULL,
    privacy TEXT NOT NULL,
    logo_mime TEXT,
    logo BLOB,
    created_at BIGINT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    UNIQUE (site_id, version)
);

-- What a person agreed to when signing up: the branding version holds the terms and
-- privacy notice they were shown.
CREATE TABLE guest_consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES wifi_sites (id) ON DELETE CASCADE,
    guest_id BIGINT REFERENCES guest_accounts (id) ON DELETE SET NULL,
    mac TEXT,
    email TEXT,
    mode TEXT NOT NULL CHECK (mode IN ('terms', 'email', 'voucher')),
    branding_version BIGINT NOT NULL,
    remember_device BOOLEAN NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX guest_consents_site_at ON guest_consents (site_id, at);
CREATE INDEX guest_consents_email ON guest_consents (email);
CREATE INDEX guest_consents_guest ON guest_consents (guest_id);

-- Codes sent to confirm an email address; only a digest of each code is kept.
CREATE TABLE wifi_email_codes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    site_id BIGINT NOT NULL REFERENCES wifi_sites (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    mac TEXT,
    code_digest TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX wifi_email_codes_site_email ON wifi_email_codes (site_id, email);

-- Erasing a person finds their remembered devices through the guest account.
CREATE INDEX devices_guest ON devices (guest_id);
-- The captive page shows a person their session, found by the address they come from.
CREATE INDEX accounting_sessions_site_ip ON accounting_sessions (site_id, framed_ip);
