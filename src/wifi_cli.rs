//! Wi-Fi administration from the command line: `commons site|nas|guest|device|voucher`.
//! Each command prints what it created and records the change in the audit log.

use std::time::Duration;

use anyhow::anyhow;
use clap::{Args, Subcommand};
use commons_store::{
    Cidr, MacAddress, NewAuditEntry, NewNasClient, NewVouchers, SharedSecret, SignUpMode,
    SiteFields, Store, WifiSite,
};
use serde_json::json;

use crate::{admin::open_store, config::Config, failure::Failure};

/// The Wi-Fi subcommands, flattened into the top level of `commons`.
#[derive(Debug, Subcommand)]
pub enum WifiCommand {
    /// Manage Wi-Fi sites.
    Site(SiteArgs),
    /// Manage NAS clients (access points and controllers that talk RADIUS to us).
    Nas(NasArgs),
    /// Manage guest credentials.
    Guest(GuestArgs),
    /// Manage remembered devices.
    Device(DeviceArgs),
    /// Manage vouchers.
    Voucher(VoucherArgs),
}

/// `commons site …`.
#[derive(Debug, Args)]
pub struct SiteArgs {
    #[command(subcommand)]
    action: SiteAction,
}

#[derive(Debug, Subcommand)]
enum SiteAction {
    /// Create a site with the default policy.
    Add {
        /// Its name, such as "Central Library".
        name: String,
    },
    /// Choose how people sign up on the site's captive portal.
    Modes {
        /// The site (slug or name).
        site: String,
        /// One or more of `terms`, `email`, `voucher`, separated by commas.
        #[arg(value_delimiter = ',', required = true)]
        modes: Vec<SignUpMode>,
    },
}

/// `commons nas …`.
#[derive(Debug, Args)]
pub struct NasArgs {
    #[command(subcommand)]
    action: NasAction,
}

#[derive(Debug, Subcommand)]
enum NasAction {
    /// Register a NAS client for a site.
    Add {
        /// The site it serves (slug or name).
        #[arg(long)]
        site: String,
        /// Its source address or network, such as 192.0.2.10 or 192.0.2.0/24.
        #[arg(long)]
        address: Cidr,
        /// Shared secret, at least 16 characters; generated (32 characters) when absent.
        #[arg(long)]
        secret: Option<String>,
        /// Make: generic, wispr, coovachilli, mikrotik, ubiquiti, meraki, aruba, ruckus.
        #[arg(long, default_value = "generic")]
        vendor: commons_radius::Vendor,
        /// Accept Access-Requests without Message-Authenticator (only for old equipment).
        #[arg(long)]
        legacy: bool,
        /// A name for logs and metrics [default: the address].
        #[arg(long, default_value = "")]
        name: String,
    },
}

/// `commons guest …`.
#[derive(Debug, Args)]
pub struct GuestArgs {
    #[command(subcommand)]
    action: GuestAction,
}

#[derive(Debug, Subcommand)]
enum GuestAction {
    /// Add a guest credential.
    Add {
        /// The site it is valid at.
        #[arg(long)]
        site: String,
        /// User name.
        #[arg(long)]
        username: String,
        /// Password, at most 128 bytes.
        #[arg(long)]
        password: String,
        /// How long it works, such as 8h or 7days [default: no expiry].
        #[arg(long)]
        expires: Option<humantime::Duration>,
    },
    /// Print, as JSON, everything held about the guest with an email address: accounts
    /// (without passwords), consents, remembered devices, email codes, sign-in log and
    /// sessions.
    Export {
        /// The address the guest signed up with.
        #[arg(long)]
        email: String,
    },
    /// Delete everything held about the guest with an email address, and print how many
    /// records went.
    Erase {
        /// The address the guest signed up with.
        #[arg(long)]
        email: String,
    },
}

/// `commons device …`.
#[derive(Debug, Args)]
pub struct DeviceArgs {
    #[command(subcommand)]
    action: DeviceAction,
}

#[derive(Debug, Subcommand)]
enum DeviceAction {
    /// Remember a device so it joins by its MAC address.
    Remember {
        /// The site that remembers it.
        #[arg(long)]
        site: String,
        /// Its MAC address, in any common spelling.
        #[arg(long)]
        mac: MacAddress,
        /// For how many days.
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
}

/// `commons voucher …`.
#[derive(Debug, Args)]
pub struct VoucherArgs {
    #[command(subcommand)]
    action: VoucherAction,
}

#[derive(Debug, Subcommand)]
enum VoucherAction {
    /// Issue vouchers and print their codes.
    Issue {
        /// The site they are valid at.
        #[arg(long)]
        site: String,
        /// How many.
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// Time allowance from first use, such as 1h.
        #[arg(long)]
        duration: Option<humantime::Duration>,
        /// Data allowance in megabytes (10^6 bytes).
        #[arg(long)]
        data: Option<u64>,
        /// How many devices may use each.
        #[arg(long, default_value_t = 1)]
        uses: u32,
        /// How long an unused voucher stays valid, such as 30days.
        #[arg(long)]
        valid_for: Option<humantime::Duration>,
    },
}

/// Runs one Wi-Fi subcommand against the configured database.
pub(crate) async fn run(config: &Config, command: WifiCommand) -> Result<(), Failure> {
    let store = open_store(config).await?;
    let result = match command {
        WifiCommand::Site(SiteArgs { action }) => site(&store, action).await,
        WifiCommand::Nas(NasArgs { action }) => nas(&store, action).await,
        WifiCommand::Guest(GuestArgs { action }) => guest(&store, action).await,
        WifiCommand::Device(DeviceArgs { action }) => device(&store, action).await,
        WifiCommand::Voucher(VoucherArgs { action }) => voucher(&store, action).await,
    };
    store.close().await;
    result
}

fn bad_input(err: impl std::fmt::Display) -> Failure {
    Failure::Startup(anyhow!("{err}"))
}

async fn audit(
    store: &Store,
    action: &str,
    object_type: &str,
    object_id: String,
    after: serde_json::Value,
) -> Result<(), Failure> {
    let entry = NewAuditEntry {
        actor_user_id: None,
        actor: "cli".into(),
        action: action.into(),
        object_type: object_type.into(),
        object_id,
        org_id: None,
        before: None,
        after: Some(after),
    };
    Ok(store.record_audit(&entry).await?)
}

async fn find_site(store: &Store, name: &str) -> Result<WifiSite, Failure> {
    store
        .site_named(name)
        .await
        .map_err(|err| bad_input(format!("--site {name:?}: {err}")))
}

async fn site(store: &Store, action: SiteAction) -> Result<(), Failure> {
    let name = match action {
        SiteAction::Add { name } => name,
        SiteAction::Modes { site, modes } => return site_modes(store, &site, &modes).await,
    };
    let site = store.create_site(&name).await.map_err(bad_input)?;
    audit(
        store,
        "site.create",
        "wifi_site",
        site.id.to_string(),
        json!({ "slug": site.slug, "name": site.name }),
    )
    .await?;
    println!(
        "site {} created (slug {}, id {})",
        site.name, site.slug, site.id
    );
    Ok(())
}

/// Sets the sign-up modes of `site`, keeping its other settings.
async fn site_modes(store: &Store, site: &str, modes: &[SignUpMode]) -> Result<(), Failure> {
    let site = find_site(store, site).await?;
    let mut chosen: Vec<&str> = Vec::new();
    for mode in modes {
        if !chosen.contains(&mode.as_str()) {
            chosen.push(mode.as_str());
        }
    }
    let fields = SiteFields {
        name: site.name.clone(),
        signup_modes: chosen.join(","),
        session_timeout_secs: site.session_timeout_secs,
        idle_timeout_secs: site.idle_timeout_secs,
        interim_interval_secs: site.interim_interval_secs,
        down_kbps: site.down_kbps,
        up_kbps: site.up_kbps,
        retention_days: site.retention_days,
    };
    let entry = NewAuditEntry {
        actor_user_id: None,
        actor: "cli".into(),
        action: "site.update".into(),
        object_type: "wifi_site".into(),
        object_id: site.id.to_string(),
        org_id: None,
        before: Some(json!({ "signup_modes": site.signup_modes })),
        after: Some(json!({ "signup_modes": fields.signup_modes })),
    };
    let site = store.update_site(site.id, &fields, &entry).await?;
    println!("site {} now offers: {}", site.slug, site.signup_modes);
    Ok(())
}

async fn nas(store: &Store, action: NasAction) -> Result<(), Failure> {
    let NasAction::Add {
        site,
        address,
        secret,
        vendor,
        legacy,
        name,
    } = action;
    let site = find_site(store, &site).await?;
    let generated = secret.is_none();
    let secret = match secret {
        Some(secret) => {
            SharedSecret::new(secret).map_err(|err| bad_input(format!("--secret: {err}")))?
        }
        None => SharedSecret::generate(),
    };
    if secret.is_weak() {
        eprintln!(
            "warning: the shared secret is shorter than {} characters; a longer one resists guessing better",
            commons_store::RECOMMENDED_SECRET_LEN
        );
    }
    let new = NewNasClient {
        site_id: site.id,
        name,
        address,
        secret,
        vendor: vendor.to_string(),
        require_message_authenticator: !legacy,
    };
    let client = store.create_nas_client(&new).await.map_err(bad_input)?;
    let after = json!({
        "site": site.slug, "address": client.address.to_string(), "name": client.name,
        "vendor": client.vendor, "require_message_authenticator": client.require_message_authenticator,
    });
    audit(
        store,
        "nas.create",
        "nas_client",
        client.id.to_string(),
        after,
    )
    .await?;
    println!(
        "NAS client {} created for site {} (address {}, vendor {}, Message-Authenticator {})",
        client.name,
        site.slug,
        client.address,
        client.vendor,
        if legacy {
            "optional (legacy)"
        } else {
            "required"
        }
    );
    if generated {
        println!("shared secret (shown once): {}", client.secret.expose());
    }
    Ok(())
}

async fn guest(store: &Store, action: GuestAction) -> Result<(), Failure> {
    match action {
        GuestAction::Add {
            site,
            username,
            password,
            expires,
        } => guest_add(store, &site, &username, &password, expires).await,
        GuestAction::Export { email } => guest_export(store, &email).await,
        GuestAction::Erase { email } => guest_erase(store, &email).await,
    }
}

async fn guest_add(
    store: &Store,
    site: &str,
    username: &str,
    password: &str,
    expires: Option<humantime::Duration>,
) -> Result<(), Failure> {
    let site = find_site(store, site).await?;
    let expires_at = expires.map(|ttl| after(ttl.into()));
    let guest = store
        .add_guest(site.id, username, password, expires_at, None)
        .await
        .map_err(bad_input)?;
    let after_json =
        json!({ "site": site.slug, "username": guest.username, "expires_at": guest.expires_at });
    audit(
        store,
        "guest.create",
        "guest_account",
        guest.id.to_string(),
        after_json,
    )
    .await?;
    match guest.expires_at {
        Some(at) => println!(
            "guest {} created at site {} (expires {})",
            guest.username,
            site.slug,
            unix_time(at)
        ),
        None => println!(
            "guest {} created at site {} (no expiry)",
            guest.username, site.slug
        ),
    }
    Ok(())
}

/// A refused address is bad input; anything else is the database's failure.
fn email_failure(err: commons_store::Error) -> Failure {
    match err {
        commons_store::Error::Invalid { .. } => bad_input(format!("--email: {err}")),
        other => other.into(),
    }
}

/// Prints the guest's data as JSON; reading personal data is audited too.
async fn guest_export(store: &Store, email: &str) -> Result<(), Failure> {
    let export = store.export_guest(email).await.map_err(email_failure)?;
    let counts = json!({
        "guest_accounts": export.guest_accounts.len(), "consents": export.consents.len(),
        "devices": export.devices.len(), "email_codes": export.email_codes.len(),
        "auth_log": export.auth_log.len(), "accounting_sessions": export.accounting_sessions.len(),
        "emails": export.emails.len(),
    });
    audit(store, "guest.export", "guest", export.email.clone(), counts).await?;
    let text = serde_json::to_string_pretty(&export)
        .map_err(|err| Failure::Runtime(anyhow!("cannot write the export as JSON: {err}")))?;
    println!("{text}");
    Ok(())
}

/// Erases the guest's data and writes the audit entry in the same transaction. The entry
/// keeps the address, as the record that the request was carried out.
async fn guest_erase(store: &Store, email: &str) -> Result<(), Failure> {
    let erased = store
        .erase_guest_audited(email, |erased| NewAuditEntry {
            actor_user_id: None,
            actor: "cli".into(),
            action: "guest.erase".into(),
            object_type: "guest".into(),
            object_id: email.trim().to_lowercase(),
            org_id: None,
            before: None,
            after: serde_json::to_value(erased).ok(),
        })
        .await
        .map_err(email_failure)?;
    println!(
        "erased {} record(s) about {}: {} guest account(s), {} consent(s), {} device(s), \
         {} email code(s), {} sign-in log entries, {} session(s), {} email(s) in the outbox",
        erased.total(),
        email.trim().to_lowercase(),
        erased.guest_accounts,
        erased.consents,
        erased.devices,
        erased.email_codes,
        erased.auth_log,
        erased.accounting_sessions,
        erased.emails
    );
    Ok(())
}

async fn device(store: &Store, action: DeviceAction) -> Result<(), Failure> {
    let DeviceAction::Remember { site, mac, days } = action;
    let site = find_site(store, &site).await?;
    let ttl = Duration::from_secs(u64::from(days) * 86_400);
    let device = store.remember_device(site.id, mac, ttl).await?;
    let after_json =
        json!({ "site": site.slug, "mac": device.mac, "expires_at": device.expires_at });
    audit(
        store,
        "device.remember",
        "device",
        device.id.to_string(),
        after_json,
    )
    .await?;
    println!(
        "device {} remembered at site {} for {days} days{}",
        device.mac,
        site.slug,
        if device.blocked { " (blocked)" } else { "" }
    );
    Ok(())
}

async fn voucher(store: &Store, action: VoucherAction) -> Result<(), Failure> {
    let VoucherAction::Issue {
        site,
        count,
        duration,
        data,
        uses,
        valid_for,
    } = action;
    let site = find_site(store, &site).await?;
    let batch = NewVouchers {
        count,
        max_uses: uses,
        duration: duration.map(Into::into),
        data_limit_bytes: data.map(|mb| mb.saturating_mul(1_000_000)),
        valid_for: valid_for.map(Into::into),
    };
    let vouchers = store
        .issue_vouchers(site.id, &batch)
        .await
        .map_err(bad_input)?;
    let ids: Vec<i64> = vouchers.iter().map(|v| v.id).collect();
    let after_json = json!({
        "site": site.slug, "ids": ids, "uses": uses,
        "duration_secs": batch.duration.map(|d| d.as_secs()), "data_limit_bytes": batch.data_limit_bytes,
    });
    audit(
        store,
        "voucher.issue",
        "voucher",
        format!("{}..{}", ids[0], ids[ids.len() - 1]),
        after_json,
    )
    .await?;
    println!(
        "{} voucher(s) issued for site {}:",
        vouchers.len(),
        site.slug
    );
    for voucher in &vouchers {
        println!("{}", voucher.code);
    }
    Ok(())
}

/// Unix seconds `ttl` from now.
fn after(ttl: Duration) -> i64 {
    commons_store::now().saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX))
}

/// A stored Unix time as an RFC 3339 UTC time, for people reading the CLI's output.
fn unix_time(seconds: i64) -> String {
    let at = std::time::UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).unwrap_or(0));
    humantime::format_rfc3339_seconds(at).to_string()
}
