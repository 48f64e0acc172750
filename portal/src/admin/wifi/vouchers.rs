//! Voucher batches of a site: issued from a form, listed, and printed on an A4 sheet.

use std::time::Duration;

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::get,
};
use commons_store::{NewVouchers, SiteId, User, Voucher};
use minijinja::context;
use serde::{Deserialize, Serialize};

use super::{Outcome, change_entry, site_json, site_path};
use crate::{
    AppState, Error,
    forms::FieldErrors,
    page::{CouncilAdmin, SignedIn},
};

/// Most codes in one batch: ten A4 sheets.
const MAX_COUNT: u32 = 400;

/// The routes of this module.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/wifi/{site}/vouchers",
            get(vouchers_list).post(vouchers_create),
        )
        .route("/admin/wifi/{site}/vouchers/{batch}", get(vouchers_sheet))
}

/// The fields of the voucher form, as typed. Empty allowances mean none.
#[derive(Clone, Deserialize, Serialize)]
pub(crate) struct VoucherForm {
    #[serde(default)]
    pub(crate) count: String,
    #[serde(default)]
    pub(crate) duration_minutes: String,
    #[serde(default)]
    pub(crate) data_mb: String,
    #[serde(default)]
    pub(crate) uses: String,
}

impl Default for VoucherForm {
    fn default() -> Self {
        Self {
            count: "20".into(),
            duration_minutes: "120".into(),
            data_mb: String::new(),
            uses: "1".into(),
        }
    }
}

fn number(errors: &mut FieldErrors, field: &'static str, value: &str, max: u32) -> u32 {
    match value.trim().parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => n,
        _ => {
            errors.insert(field, format!("Enter a whole number from 1 to {max}."));
            1
        }
    }
}

fn optional(errors: &mut FieldErrors, field: &'static str, value: &str, max: u32) -> Option<u64> {
    (!value.trim().is_empty()).then(|| u64::from(number(errors, field, value, max)))
}

fn validate(form: &VoucherForm) -> Result<NewVouchers, FieldErrors> {
    let mut errors = FieldErrors::new();
    let batch = NewVouchers {
        count: number(&mut errors, "count", &form.count, MAX_COUNT),
        duration: optional(
            &mut errors,
            "duration_minutes",
            &form.duration_minutes,
            525_600,
        )
        .map(|minutes| Duration::from_secs(minutes * 60)),
        data_limit_bytes: optional(&mut errors, "data_mb", &form.data_mb, 1_000_000)
            .map(|mb| mb * 1_000_000),
        max_uses: number(&mut errors, "uses", &form.uses, 100),
        valid_for: None,
    };
    if errors.is_empty() {
        Ok(batch)
    } else {
        Err(errors)
    }
}

async fn list_page(
    state: &AppState,
    me: &SignedIn,
    site: SiteId,
    form: VoucherForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    let site = state.store.wifi_site(site).await?;
    let batches: Vec<_> = state
        .store
        .voucher_batches(site.id)
        .await?
        .into_iter()
        .map(|b| {
            context! {
                batch => b.batch, created_at => b.created_at, count => b.count, used => b.used,
                uses => b.max_uses, duration_minutes => b.duration_secs.map(|s| s / 60),
                data_mb => b.data_limit_bytes.map(|bytes| bytes / 1_000_000),
            }
        })
        .collect();
    let ctx = context! { site => site_json(&site), batches, form, errors };
    me.page_with(state, status, "admin_wifi_vouchers.html", ctx)
}

async fn vouchers_list(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(site): Path<SiteId>,
) -> Result<Response, Error> {
    list_page(
        &state,
        &me,
        site,
        VoucherForm::default(),
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// Issues a batch of vouchers at `site` from `form` as `me`, with its audit entry (which
/// records the batch, never its codes) in the same transaction.
///
/// # Errors
///
/// The form's problems by field; [`Error::StoreFailed`] with `NotFound` for an unknown
/// site.
pub(crate) async fn issue_vouchers(
    state: &AppState,
    me: &User,
    site: SiteId,
    form: &VoucherForm,
) -> Outcome<Vec<Voucher>> {
    state.store.wifi_site(site).await?;
    let batch = match validate(form) {
        Ok(batch) => batch,
        Err(errors) => return Ok(Err(errors)),
    };

    let after = serde_json::json!({
        "site_id": site.0, "count": batch.count, "uses": batch.max_uses,
        "duration_secs": batch.duration.map(|d| d.as_secs()),
        "data_limit_bytes": batch.data_limit_bytes,
    });
    let id = site.to_string();
    let entry = change_entry(me, "vouchers.issue", "wifi_site", id, None, Some(after));
    Ok(Ok(state
        .store
        .issue_vouchers_audited(site, &batch, &entry)
        .await?))
}

async fn vouchers_create(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(site): Path<SiteId>,
    Form(form): Form<VoucherForm>,
) -> Result<Response, Error> {
    let issued = match issue_vouchers(&state, &me.user, site, &form).await? {
        Ok(issued) => issued,
        Err(errors) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return list_page(&state, &me, site, form, errors, status).await;
        }
    };
    let name = issued.first().map(|v| v.batch.clone()).unwrap_or_default();
    Ok(me.redirect_with(
        &format!("{}/vouchers/{name}", site_path(site)),
        format!("{} vouchers issued.", issued.len()),
    ))
}

/// A code as printed: two groups of five, which people read more easily.
pub(crate) fn printed(code: &str) -> String {
    match code.split_at_checked(code.len() / 2) {
        Some((first, second)) if code.len() >= 8 => format!("{first}-{second}"),
        _ => code.to_owned(),
    }
}

/// The vouchers of batch `batch` of `site`, in the order they were issued.
///
/// # Errors
///
/// [`Error::StoreFailed`] with `NotFound` for an unknown site or batch, a name that no
/// batch can have included.
pub(crate) async fn batch_vouchers(
    state: &AppState,
    site: SiteId,
    batch: &str,
) -> Result<Vec<Voucher>, Error> {
    // Batch names are digits, lower-case letters and dashes; nothing else is looked up.
    let plausible = batch
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !plausible || batch.is_empty() {
        let missing = commons_store::Error::NotFound {
            what: "voucher batch",
        };
        return Err(missing.into());
    }
    Ok(state.store.batch_vouchers(site, batch).await?)
}

async fn vouchers_sheet(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path((site, batch)): Path<(SiteId, String)>,
) -> Result<Response, Error> {
    let site = state.store.wifi_site(site).await?;
    let vouchers = batch_vouchers(&state, site.id, &batch).await?;
    let first = &vouchers[0];
    let codes: Vec<_> = vouchers.iter().map(|v| printed(&v.code)).collect();
    let ctx = context! {
        site => site_json(&site), batch, codes,
        duration_minutes => first.duration_secs.map(|s| s / 60),
        data_mb => first.data_limit_bytes.map(|bytes| bytes / 1_000_000),
        uses => first.max_uses,
    };
    me.page(&state, "admin_wifi_voucher_sheet.html", ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_print_in_two_groups() {
        assert_eq!(printed("ABCDEFGHJK"), "ABCDE-FGHJK");
        assert_eq!(printed("ABC"), "ABC");
    }

    #[test]
    fn empty_allowances_mean_none_and_bad_numbers_are_named() {
        let form = VoucherForm {
            data_mb: String::new(),
            ..VoucherForm::default()
        };
        let batch = validate(&form).unwrap();
        assert_eq!(batch.data_limit_bytes, None);
        assert_eq!(batch.duration, Some(Duration::from_secs(7200)));
        let bad = VoucherForm {
            count: "0".into(),
            uses: "x".into(),
            ..VoucherForm::default()
        };
        let errors = validate(&bad).err().unwrap();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["count", "uses"]
        );
    }
}
