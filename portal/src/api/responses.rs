//! Error responses many API routes share, named once for their OpenAPI descriptions:
//! list them after a route's success tuple, as in `responses((status = 200, …), NotFound)`.

#![expect(
    dead_code,
    reason = "these types only describe responses in the OpenAPI document; none is built"
)]

use utoipa::IntoResponses;

use super::ErrorBody;

/// 401: the request carried no valid API token.
#[derive(IntoResponses)]
#[response(status = 401, description = "No valid API token")]
pub(crate) struct Unauthorized(ErrorBody);

/// 403: the caller may not do this.
#[derive(IntoResponses)]
#[response(status = 403, description = "Not allowed for this caller")]
pub(crate) struct Forbidden(ErrorBody);

/// 404: not found, or not visible to the caller.
#[derive(IntoResponses)]
#[response(status = 404, description = "Not found, or not visible to the caller")]
pub(crate) struct NotFound(ErrorBody);

/// 409: the request conflicts with the current state.
#[derive(IntoResponses)]
#[response(status = 409, description = "Conflicts with the current state")]
pub(crate) struct Conflict(ErrorBody);

/// 422: the body or parameters are not acceptable.
#[derive(IntoResponses)]
#[response(
    status = 422,
    description = "The body or parameters are not acceptable"
)]
pub(crate) struct Unprocessable(ErrorBody);

/// 503: hosting is not connected to a cluster.
#[derive(IntoResponses)]
#[response(status = 503, description = "Hosting is not connected")]
pub(crate) struct NotConnected(ErrorBody);
