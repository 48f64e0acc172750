-- Which devices have redeemed a voucher, so a device that signs in again with
-- the same code does not spend a second use. The SQLite migration of the
-- same number keeps the same table.
CREATE TABLE voucher_redemptions (
    voucher_id BIGINT NOT NULL REFERENCES vouchers (id) ON DELETE CASCADE,
    mac TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (voucher_id, mac)
);

CREATE INDEX auth_log_site_at ON auth_log (site_id, at);
CREATE INDEX nas_clients_site ON nas_clients (site_id);
