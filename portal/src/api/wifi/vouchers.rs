//! Voucher batches of a site as JSON: listed, issued, and read back with their codes.

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};
use commons_store::{SiteId, Voucher, VoucherBatch};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::SitePath;
use crate::{
    AppState,
    admin::wifi::vouchers::{VoucherForm, batch_vouchers, issue_vouchers},
    api::{
        ApiError, ApiUser, Body, council, invalid,
        responses::{Forbidden, NotFound, Unprocessable},
    },
};

/// The routes of this module.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/wifi/sites/{site}/vouchers",
            get(wifi_vouchers_list).post(wifi_vouchers_create),
        )
        .route(
            "/api/v1/admin/wifi/sites/{site}/vouchers/{batch}",
            get(wifi_vouchers_show),
        )
}

/// One voucher batch of a site.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub(crate) struct BatchPath {
    /// Site id.
    #[param(value_type = i64)]
    site: SiteId,
    /// Batch name.
    batch: String,
}

/// A batch of vouchers to issue.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct VoucherBody {
    /// How many codes: 1 to 400.
    count: i64,
    /// Time allowance from first use, minutes: 1 to 525600; none when absent.
    #[serde(default)]
    duration_minutes: Option<i64>,
    /// Data allowance, MB: 1 to 1000000; none when absent.
    #[serde(default)]
    data_mb: Option<i64>,
    /// Devices per code: 1 to 100; 1 when absent.
    #[serde(default)]
    uses: Option<i64>,
}

impl From<&VoucherBody> for VoucherForm {
    fn from(body: &VoucherBody) -> Self {
        let text = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
        Self {
            count: body.count.to_string(),
            duration_minutes: text(body.duration_minutes),
            data_mb: text(body.data_mb),
            uses: body.uses.unwrap_or(1).to_string(),
        }
    }
}

/// A batch as listed.
#[derive(Serialize, ToSchema)]
pub(crate) struct BatchView {
    batch: String,
    /// Unix seconds.
    created_at: i64,
    count: i64,
    /// Codes used at least once.
    used: i64,
    /// Devices per code.
    uses: i64,
    duration_minutes: Option<i64>,
    data_mb: Option<i64>,
}

impl From<VoucherBatch> for BatchView {
    fn from(batch: VoucherBatch) -> Self {
        Self {
            batch: batch.batch,
            created_at: batch.created_at,
            count: batch.count,
            used: batch.used,
            uses: batch.max_uses,
            duration_minutes: batch.duration_secs.map(|secs| secs / 60),
            data_mb: batch.data_limit_bytes.map(|bytes| bytes / 1_000_000),
        }
    }
}

/// A batch with its codes, as printed on its sheet.
#[derive(Serialize, ToSchema)]
pub(crate) struct BatchCodes {
    batch: String,
    /// The codes; dashes and letter case do not matter when they are typed.
    codes: Vec<String>,
    /// Devices per code.
    uses: i64,
    duration_minutes: Option<i64>,
    data_mb: Option<i64>,
}

impl BatchCodes {
    /// The codes of one batch; `vouchers` is never empty.
    fn of(vouchers: &[Voucher]) -> Option<Self> {
        let first = vouchers.first()?;
        Some(Self {
            batch: first.batch.clone(),
            codes: vouchers.iter().map(|v| v.code.clone()).collect(),
            uses: first.max_uses,
            duration_minutes: first.duration_secs.map(|secs| secs / 60),
            data_mb: first.data_limit_bytes.map(|bytes| bytes / 1_000_000),
        })
    }
}

/// The voucher batches of a site, newest first.
#[utoipa::path(get, path = "/api/v1/admin/wifi/sites/{site}/vouchers", params(SitePath),
    responses((status = 200, body = Vec<BatchView>, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn wifi_vouchers_list(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
) -> Result<Json<Vec<BatchView>>, ApiError> {
    council(me)?;
    state.store.wifi_site(path.site).await?;
    let batches = state.store.voucher_batches(path.site).await?;
    Ok(Json(batches.into_iter().map(BatchView::from).collect()))
}

/// Issues a batch of vouchers and returns their codes.
#[utoipa::path(post, path = "/api/v1/admin/wifi/sites/{site}/vouchers", params(SitePath),
    request_body = VoucherBody,
    responses((status = 201, body = BatchCodes, description = "Created"), Forbidden, NotFound,
        Unprocessable))]
pub(crate) async fn wifi_vouchers_create(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<SitePath>,
    Body(body): Body<VoucherBody>,
) -> Result<(StatusCode, Json<BatchCodes>), ApiError> {
    let me = council(me)?;
    let form = VoucherForm::from(&body);
    let issued = issue_vouchers(&state, &me, path.site, &form)
        .await?
        .map_err(|errors| invalid(&errors))?;
    let codes = BatchCodes::of(&issued).ok_or(commons_store::Error::NotFound {
        what: "voucher batch",
    })?;
    Ok((StatusCode::CREATED, Json(codes)))
}

/// One voucher batch with its codes.
#[utoipa::path(get, path = "/api/v1/admin/wifi/sites/{site}/vouchers/{batch}",
    params(BatchPath),
    responses((status = 200, body = BatchCodes, description = "Done"), Forbidden, NotFound))]
pub(crate) async fn wifi_vouchers_show(
    State(state): State<AppState>,
    ApiUser(me): ApiUser,
    Path(path): Path<BatchPath>,
) -> Result<Json<BatchCodes>, ApiError> {
    council(me)?;
    let vouchers = batch_vouchers(&state, path.site, &path.batch).await?;
    let codes = BatchCodes::of(&vouchers).ok_or(commons_store::Error::NotFound {
        what: "voucher batch",
    })?;
    Ok(Json(codes))
}
