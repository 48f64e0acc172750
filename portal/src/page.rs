//! Who is asking, and rendering a page for them: the extractors every page handler
//! starts from, and the layout context (navigation, anti-forgery token, messages).

use axum::{
    extract::FromRequestParts,
    http::{StatusCode, request::Parts},
    response::{Html, IntoResponse, Redirect, Response},
};
use commons_store::User;
use minijinja::context;
use serde::Serialize;

use crate::{AppState, Error, session::Session};

/// Anyone, signed in or not.
pub(crate) struct Visitor {
    /// Their session.
    pub(crate) session: Session,
    /// The signed-in user, if any.
    pub(crate) user: Option<User>,
}

/// A signed-in person; pages that need one send others to the sign-in page.
pub(crate) struct SignedIn {
    /// Their session.
    pub(crate) session: Session,
    /// Who they are.
    pub(crate) user: User,
}

/// A signed-in council administrator; others get 403.
pub(crate) struct CouncilAdmin(pub(crate) SignedIn);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let session = parts
            .extensions
            .get::<Session>()
            .cloned()
            .unwrap_or_default();
        let user = match session.user_id() {
            Some(id) => match state.store.user(id).await {
                Ok(user) if !user.disabled => Some(user),
                Ok(_) | Err(commons_store::Error::NotFound { .. }) => None,
                Err(err) => return Err(err.into()),
            },
            None => None,
        };
        Ok(Self { session, user })
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        let user = visitor.user.ok_or(Error::SignInRequired)?;
        Ok(Self {
            session: visitor.session,
            user,
        })
    }
}

impl FromRequestParts<AppState> for CouncilAdmin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if !signed_in.user.council_admin {
            return Err(Error::NotAllowed);
        }
        Ok(Self(signed_in))
    }
}

/// The signed-in person as the layout shows them.
#[derive(Serialize)]
struct Me<'a> {
    email: &'a str,
    council_admin: bool,
}

/// Renders `name` for a visitor with `context`, adding what the layout needs.
pub(crate) fn render(
    state: &AppState,
    session: &Session,
    user: Option<&User>,
    name: &str,
    status: StatusCode,
    context: minijinja::Value,
) -> Result<Response, Error> {
    let me = user.map(|user| Me {
        email: &user.email,
        council_admin: user.council_admin,
    });
    // Anonymous visitors get a session (a database row) only on pages with a form.
    let csrf = (user.is_some() || state.templates.has_form(name)).then(|| session.csrf_token());
    let full = context! {
        csrf,
        me => me,
        flash => session.take_flash(),
        hosting_connected => state.hosting.is_connected(),
        ..context
    };
    let page = state.templates.render(name, full)?;
    Ok((status, Html(page)).into_response())
}

impl Visitor {
    /// Renders `name` with status 200.
    pub(crate) fn page(
        &self,
        state: &AppState,
        name: &str,
        ctx: minijinja::Value,
    ) -> Result<Response, Error> {
        render(
            state,
            &self.session,
            self.user.as_ref(),
            name,
            StatusCode::OK,
            ctx,
        )
    }

    /// Renders `name` with `status`, as a form with errors is (422).
    pub(crate) fn page_with(
        &self,
        state: &AppState,
        status: StatusCode,
        name: &str,
        ctx: minijinja::Value,
    ) -> Result<Response, Error> {
        render(state, &self.session, self.user.as_ref(), name, status, ctx)
    }
}

impl SignedIn {
    /// Renders `name` with status 200.
    pub(crate) fn page(
        &self,
        state: &AppState,
        name: &str,
        ctx: minijinja::Value,
    ) -> Result<Response, Error> {
        render(
            state,
            &self.session,
            Some(&self.user),
            name,
            StatusCode::OK,
            ctx,
        )
    }

    /// Renders `name` with `status`.
    pub(crate) fn page_with(
        &self,
        state: &AppState,
        status: StatusCode,
        name: &str,
        ctx: minijinja::Value,
    ) -> Result<Response, Error> {
        render(state, &self.session, Some(&self.user), name, status, ctx)
    }

    /// Leaves `message` for the next page and redirects there (post/redirect/get).
    pub(crate) fn redirect_with(&self, to: &str, message: impl Into<String>) -> Response {
        self.session.flash(message);
        Redirect::to(to).into_response()
    }
}

/// A short message page.
pub(crate) fn message(title: &str, message: &str) -> minijinja::Value {
    context! { title, message }
}
