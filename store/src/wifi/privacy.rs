//! A Wi-Fi guest's personal data, found by their email address: a copy for them, or
//! its erasure.
//!
//! A person's data are their guest accounts (those with their address), the consents
//! and email codes with their address or accounts, the devices remembered for their
//! accounts, and the authentication log entries and accounting sessions of those
//! accounts and devices, and the emails sent to their address (the outbox holds codes
//! and other messages to the person). Sign-ups without an email address cannot be found
//! this way.

use serde::Serialize;

use crate::{
    BeginWrite, Error, NewAuditEntry, Store, audit::insert_audit, now, trusted,
    users::normalise_email, with_pool,
};

/// Guest accounts with the address `$1`.
const GUESTS: &str = "guest_accounts.email = $1";
/// Consents given with the address or under one of its accounts.
const CONSENTS: &str = "guest_consents.email = $1 OR guest_consents.guest_id IN \
                        (SELECT id FROM guest_accounts WHERE email = $1)";
/// Codes sent to the address.
const CODES: &str = "wifi_email_codes.email = $1";
/// Emails to the address, however its letters were cased when it was queued.
const EMAILS: &str = "LOWER(TRIM(outbox.to_addr)) = $1";
/// Devices remembered for one of the address's accounts.
const DEVICES: &str = "devices.guest_id IN (SELECT id FROM guest_accounts WHERE email = $1)";
/// The devices an erasure deletes: blocked ones stay, so that a block stays in force;
/// deleting the accounts unlinks them from the person.
const UNBLOCKED_DEVICES: &str = "devices.blocked = FALSE AND devices.guest_id IN \
                                 (SELECT id FROM guest_accounts WHERE email = $1)";
/// Decisions on one of the accounts, or on one of the devices.
const AUTH_LOG: &str = "EXISTS (SELECT 1 FROM guest_accounts g WHERE g.email = $1 \
                        AND g.site_id = auth_log.site_id AND g.username = auth_log.username) \
                        OR EXISTS (SELECT 1 FROM devices d JOIN guest_accounts g \
                        ON g.id = d.guest_id WHERE g.email = $1 \
                        AND d.site_id = auth_log.site_id AND d.mac = auth_log.mac)";
/// Sessions of one of the accounts, by user name or by the Class of the Access-Accept,
/// or of one of the devices, by Class.
const SESSIONS: &str = "EXISTS (SELECT 1 FROM guest_accounts g WHERE g.email = $1 \
                        AND g.site_id = accounting_sessions.site_id \
                        AND (g.username = accounting_sessions.username \
                        OR accounting_sessions.class = 'commons:site=' || g.site_id || ':guest=' || g.id)) \
                        OR EXISTS (SELECT 1 FROM devices d JOIN guest_accounts g \
                        ON g.id = d.guest_id WHERE g.email = $1 \
                        AND d.site_id = accounting_sessions.site_id \
                        AND accounting_sessions.class = 'commons:site=' || d.site_id || ':device=' || d.id)";

/// Everything the store holds about one guest, for handing to them. Passwords and code
/// digests are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GuestExport {
    /// The address the data were found by.
    pub email: String,
    /// When the copy was made, Unix seconds.
    pub exported_at: i64,
    /// Their Wi-Fi credentials.
    pub guest_accounts: Vec<ExportedGuestAccount>,
    /// What they agreed to, and when.
    pub consents: Vec<ExportedConsent>,
    /// Devices remembered for them.
    pub devices: Vec<ExportedDevice>,
    /// Codes sent to their address.
    pub email_codes: Vec<ExportedEmailCode>,
    /// Sign-in decisions on their credentials and devices.
    pub auth_log: Vec<ExportedAuthEntry>,
    /// Their Wi-Fi sessions.
    pub accounting_sessions: Vec<ExportedSession>,
    /// Emails sent (or waiting to be sent) to their address.
    pub emails: Vec<ExportedEmail>,
}

/// An email to the person, as queued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ExportedEmail {
    /// The address as written on the message.
    pub to_addr: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// When it was queued, Unix seconds.
    pub created_at: i64,
    /// When it was handed to the mail server, Unix seconds.
    pub sent_at: Option<i64>,
}

/// A guest account, without its password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ExportedGuestAccount {
    /// The site's name.
    pub site: String,
    /// The user name.
    pub username: String,
    /// The device it was issued for.
    pub mac: Option<String>,
    /// When it stops working, Unix seconds.
    pub expires_at: Option<i64>,
    /// When it was made, Unix seconds.
    pub created_at: i64,
}

/// A consent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ExportedConsent {
    /// The site's name.
    pub site: String,
    /// How they signed up: `terms`, `email` or `voucher`.
    pub mode: String,
    /// The branding version whose terms and privacy notice they were shown.
    pub branding_version: i64,
    /// Whether they asked for their device to be remembered.
    pub remember_device: bool,
    /// The device.
    pub mac: Option<String>,
    /// The address given.
    pub email: Option<String>,
    /// When, Unix seconds.
    pub at: i64,
}

/// A remembered device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ExportedDevice {
    /// The site's name.
    pub site: String,
    /// Its MAC address.
    pub mac: String,
    /// Whether the site refuses it.
    pub blocked: bool,
    /// When the site forgets it, Unix seconds.
    pub expires_at: i64,
    /// When it was first remembered, Unix seconds.
    pub created_at: i64,
}

/// A code sent to the address, without the code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ExportedEmailCode {
    /// The site's name.
    pub site: String,
    /// The device that asked for it.
    pub mac: Option<String>,
    /// Attempts made with it.
    pub attempts: i64,
    /// When it was sent, Unix seconds.
    pub created_at: i64,
    /// When it stopped working, Unix seconds.
    pub expires_at: i64,
    /// When it was used, Unix seconds.
    pub used_at: Option<i64>,
}

/// A sign-in decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ExportedAuthEntry {
    /// The site's name, when known.
    pub site: Option<String>,
    /// When, Unix seconds.
    pub at: i64,
    /// The user name offered.
    pub username: String,
    /// The device.
    pub mac: Option<String>,
    /// `accept` or `reject`.
    pub result: String,
    /// Why.
    pub reason: String,
}

/// A Wi-Fi session as the access point reported it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ExportedSession {
    /// The site's name.
    pub site: String,
    /// The user name.
    pub username: String,
    /// The device, as the access point wrote it.
    pub calling_station_id: Option<String>,
    /// The address the device had.
    pub framed_ip: Option<String>,
    /// When it began, Unix seconds.
    pub started_at: i64,
    /// When it ended, Unix seconds.
    pub stopped_at: Option<i64>,
    /// Its length, seconds.
    pub session_secs: i64,
    /// Octets the device sent.
    pub input_octets: i64,
    /// Octets the device received.
    pub output_octets: i64,
}

/// How many rows of each kind an erasure deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ErasedGuest {
    /// Guest accounts.
    pub guest_accounts: u64,
    /// Consents.
    pub consents: u64,
    /// Remembered devices.
    pub devices: u64,
    /// Email codes.
    pub email_codes: u64,
    /// Authentication log entries.
    pub auth_log: u64,
    /// Accounting sessions.
    pub accounting_sessions: u64,
    /// Emails in the outbox.
    pub emails: u64,
}

impl ErasedGuest {
    /// Rows deleted in all.
    pub fn total(&self) -> u64 {
        self.guest_accounts
            + self.consents
            + self.devices
            + self.email_codes
            + self.auth_log
            + self.accounting_sessions
            + self.emails
    }
}

fn checked_email(email: &str) -> Result<String, Error> {
    let email = normalise_email(email);
    if email.is_empty() {
        return Err(Error::Invalid {
            what: "email address",
            reason: "it is empty; give the address the guest signed up with".into(),
        });
    }
    Ok(email)
}

/// `SELECT s.name, <table>.<column>, … FROM <table> JOIN wifi_sites s … WHERE
/// <condition>`, for a comma-separated list of `columns`.
fn select(columns: &str, table: &str, condition: &str) -> String {
    let columns: Vec<String> = columns
        .split(',')
        .map(|column| format!("{table}.{}", column.trim()))
        .collect();
    format!(
        "SELECT s.name AS site, {} FROM {table} LEFT JOIN wifi_sites s \
         ON s.id = {table}.site_id WHERE {condition} ORDER BY {table}.id",
        columns.join(", ")
    )
}

impl Store {
    /// Everything the store holds about the guest with this email address.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty address; [`Error::QueryFailed`] when the
    /// database cannot be asked.
    pub async fn export_guest(&self, email: &str) -> Result<GuestExport, Error> {
        let email = checked_email(email)?;
        let guests = select(
            "username, mac, expires_at, created_at",
            "guest_accounts",
            GUESTS,
        );
        let consents = select(
            "mode, branding_version, remember_device, mac, email, at",
            "guest_consents",
            CONSENTS,
        );
        let devices = select("mac, blocked, expires_at, created_at", "devices", DEVICES);
        let codes = select(
            "mac, attempts, created_at, expires_at, used_at",
            "wifi_email_codes",
            CODES,
        );
        let auth_log = select("at, username, mac, result, reason", "auth_log", AUTH_LOG);
        let sessions = select(
            "username, calling_station_id, framed_ip, started_at, stopped_at, session_secs, \
             input_octets, output_octets",
            "accounting_sessions",
            SESSIONS,
        );
        let emails = format!(
            "SELECT to_addr, subject, body, created_at, sent_at FROM outbox \
             WHERE {EMAILS} ORDER BY id"
        );
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            macro_rules! rows {
                ($sql:expr) => {
                    sqlx::query_as(trusted($sql)).bind(&email).fetch_all(&mut *tx).await?
                };
            }
            let export = GuestExport {
                exported_at: now(),
                guest_accounts: rows!(guests),
                consents: rows!(consents),
                devices: rows!(devices),
                email_codes: rows!(codes),
                auth_log: rows!(auth_log),
                accounting_sessions: rows!(sessions),
                emails: rows!(&emails),
                email,
            };
            tx.commit().await?;
            Ok(export)
        })
    }

    /// Deletes everything the store holds about the guest with this email address, and
    /// returns how many rows went. A device an administrator blocked is kept, no longer
    /// linked to the person, so that the block stays in force.
    ///
    /// # Guarantees
    ///
    /// One transaction; rows of other people are left alone. Idempotent.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for an empty address; [`Error::QueryFailed`] when the
    /// database cannot be changed.
    pub async fn erase_guest(&self, email: &str) -> Result<ErasedGuest, Error> {
        self.erase_guest_with(email, None::<fn(&ErasedGuest) -> NewAuditEntry>)
            .await
    }

    /// Erases a guest like [`Store::erase_guest`] and writes the audit entry `audit`
    /// makes from the counts, in the same transaction.
    ///
    /// # Errors
    ///
    /// As [`Store::erase_guest`].
    pub async fn erase_guest_audited(
        &self,
        email: &str,
        audit: impl FnOnce(&ErasedGuest) -> NewAuditEntry,
    ) -> Result<ErasedGuest, Error> {
        self.erase_guest_with(email, Some(audit)).await
    }

    async fn erase_guest_with(
        &self,
        email: &str,
        audit: Option<impl FnOnce(&ErasedGuest) -> NewAuditEntry>,
    ) -> Result<ErasedGuest, Error> {
        let email = checked_email(email)?;
        // Log entries and sessions are found through the accounts and devices, and
        // devices and consents through the accounts, so those go last.
        let steps = [
            ("auth_log", AUTH_LOG),
            ("accounting_sessions", SESSIONS),
            ("wifi_email_codes", CODES),
            ("guest_consents", CONSENTS),
            ("devices", UNBLOCKED_DEVICES),
            ("guest_accounts", GUESTS),
            ("outbox", EMAILS),
        ];
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut counts = [0u64; 7];
            for (count, (table, condition)) in counts.iter_mut().zip(steps) {
                let sql = format!("DELETE FROM {table} WHERE {condition}");
                *count = sqlx::query(trusted(sql)).bind(&email).execute(&mut *tx).await?.rows_affected();
            }
            let [auth_log, accounting_sessions, email_codes, consents, devices, guest_accounts, emails] = counts;
            let erased = ErasedGuest {
                guest_accounts,
                consents,
                devices,
                email_codes,
                auth_log,
                accounting_sessions,
                emails,
            };
            if let Some(audit) = audit {
                insert_audit!(&mut *tx, &audit(&erased))?;
            }
            tx.commit().await?;
            Ok(erased)
        })
    }
}
