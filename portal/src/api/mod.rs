//! The JSON API under `/api/v1`, authenticated by personal API tokens, with its OpenAPI
//! document generated from the handlers at `/api/v1/openapi.json`.

mod admin;
mod apps;
mod members;
mod orgs;
mod responses;
mod wifi;

use std::collections::BTreeMap;

use axum::{
    Json, Router,
    extract::{FromRequest, FromRequestParts, Request, rejection::JsonRejection},
    http::{header, request::Parts},
    response::{IntoResponse, Response},
    routing::get,
};
use commons_store::User;
use serde::{Serialize, de::DeserializeOwned};
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::{AppState, Error, forms::FieldErrors};

/// The routes of the API.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .merge(orgs::router())
        .merge(members::router())
        .merge(apps::router())
        .merge(admin::router())
        .merge(wifi::router())
}

/// The OpenAPI document of the API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Commons portal API", version = "1", description = "What the portal's pages do, as JSON. Send a personal API token (made on the portal's API tokens page) as `Authorization: Bearer TOKEN`."),
    paths(
        orgs::me_show, orgs::orgs_list, orgs::orgs_create, orgs::orgs_show,
        members::members_list, members::members_set_role, members::members_remove,
        members::invitations_list, members::invitations_create, members::invitations_revoke,
        apps::catalogue_list, apps::apps_list, apps::apps_install, apps::apps_show,
        apps::apps_suspend, apps::apps_resume, apps::apps_remove,
        admin::admin_orgs_list, admin::admin_orgs_decide, admin::admin_plans_list,
        admin::admin_plans_create, admin::admin_plans_update, admin::admin_audit_list,
        admin::admin_reports_show,
        wifi::sites::wifi_sites_list, wifi::sites::wifi_sites_create,
        wifi::sites::wifi_sites_show, wifi::sites::wifi_sites_update,
        wifi::captive::wifi_captive_show, wifi::captive::wifi_captive_update,
        wifi::captive::wifi_branding_show, wifi::captive::wifi_branding_publish,
        wifi::captive::wifi_branding_versions,
        wifi::nas::wifi_nas_list, wifi::nas::wifi_nas_create, wifi::nas::wifi_nas_update,
        wifi::nas::wifi_nas_secret, wifi::nas::wifi_nas_delete,
        wifi::vouchers::wifi_vouchers_list, wifi::vouchers::wifi_vouchers_create,
        wifi::vouchers::wifi_vouchers_show,
        wifi::people::wifi_guests_list, wifi::people::wifi_guests_create,
        wifi::people::wifi_guests_delete, wifi::people::wifi_devices_list,
        wifi::people::wifi_devices_block, wifi::people::wifi_devices_unblock,
        wifi::people::wifi_devices_delete,
    ),
    // The shared error responses refer to this schema without naming it to utoipa.
    components(schemas(ErrorBody)),
    modifiers(&BearerToken),
    security(("token" = [])),
)]
pub(crate) struct ApiDoc;

/// Declares the bearer-token security scheme.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build();
        components.add_security_scheme("token", SecurityScheme::Http(scheme));
    }
}

async fn openapi_json() -> Response {
    Json(ApiDoc::openapi()).into_response()
}

/// The person a valid API token belongs to.
pub(crate) struct ApiUser(pub(crate) User);

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .ok_or(Error::TokenRequired)?;
        match state.store.user_for_api_token(token.trim()).await {
            Ok(user) => Ok(Self(user)),
            Err(commons_store::Error::NotFound { .. }) => Err(Error::TokenRequired.into()),
            Err(err) => Err(Error::from(err).into()),
        }
    }
}

/// An error as the API reports it.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// What went wrong, for a person to read.
    error: String,
    /// For a body with bad fields: each field's problem, by field name.
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<BTreeMap<String, String>>,
}

/// A portal error answered as JSON, with the same status the pages use.
pub(crate) struct ApiError {
    error: Error,
    fields: Option<BTreeMap<String, String>>,
}

impl<E: Into<Error>> From<E> for ApiError {
    fn from(err: E) -> Self {
        Self {
            error: err.into(),
            fields: None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.error.log();
        let body = ErrorBody {
            error: self.error.client_text(),
            fields: self.fields,
        };
        (self.error.status_code(), Json(body)).into_response()
    }
}

/// A JSON request body whose refusal (not JSON, malformed, a field of the wrong type or
/// unknown, too large) is answered like every other API error: an [`ErrorBody`] with
/// the status axum chose for it.
pub(crate) struct Body<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = BodyRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, BodyRejection> {
        let Json(value) = Json::<T>::from_request(request, state)
            .await
            .map_err(BodyRejection)?;
        Ok(Self(value))
    }
}

/// Why a request body was refused.
pub(crate) struct BodyRejection(JsonRejection);

impl IntoResponse for BodyRejection {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.0.body_text(),
            fields: None,
        };
        (self.0.status(), Json(body)).into_response()
    }
}

/// The caller, when they are a council administrator.
///
/// # Errors
///
/// [`Error::NotAllowed`] for anyone else.
pub(crate) fn council(user: User) -> Result<User, ApiError> {
    if user.council_admin {
        Ok(user)
    } else {
        Err(Error::NotAllowed.into())
    }
}

/// Field errors of a request body, as one [`Error::Invalid`] whose text names each field,
/// with the problems also by field.
pub(crate) fn invalid(errors: &FieldErrors) -> ApiError {
    let text = errors
        .iter()
        .map(|(field, message)| format!("{field}: {message}"))
        .collect::<Vec<_>>()
        .join(" ");
    let fields = errors
        .iter()
        .map(|(field, message)| ((*field).to_owned(), message.clone()))
        .collect();
    ApiError {
        error: Error::Invalid(text),
        fields: Some(fields),
    }
}
