//! Invitations by email to join an organisation, and accepting them with an existing
//! account or a new one.

use std::time::Duration;

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use commons_store::{MemberRole, OrgId, TokenPurpose, TokenSecret};
use minijinja::context;
use serde::Deserialize;

use crate::{
    AppState, Error,
    audit::{self, Change},
    forms::{self, FieldErrors},
    mail,
    members::members_page,
    orgs::{org_for, require_manager},
    page::{SignedIn, Visitor, message},
    password,
};

/// How long an invitation works.
const INVITATION_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/invitations", post(invitations_create))
        .route("/orgs/{org}/invitations/revoke", post(invitations_revoke))
        .route(
            "/invitations/{token}",
            get(invitations_show).post(invitations_accept),
        )
}

/// The fields of the invitation form.
#[derive(Deserialize)]
pub(crate) struct InviteForm {
    #[serde(default)]
    pub(crate) email: String,
    #[serde(default)]
    pub(crate) role: String,
}

/// Checks an invitation by someone holding `inviter` role.
pub(crate) fn validate_invite(
    form: &InviteForm,
    inviter: MemberRole,
) -> Result<MemberRole, FieldErrors> {
    let mut errors = FieldErrors::new();
    forms::email(&mut errors, "email", &form.email);
    let role = form.role.parse::<MemberRole>().ok();
    match role {
        None => {
            errors.insert("role", "Choose a role.".into());
        }
        Some(MemberRole::Owner) if inviter != MemberRole::Owner => {
            errors.insert("role", "Only an owner can invite another owner.".into());
        }
        Some(_) => {}
    }
    match role {
        Some(role) if errors.is_empty() => Ok(role),
        _ => Err(errors),
    }
}

/// Issues an invitation to `email` for `org` and emails its link.
pub(crate) async fn invite(
    state: &AppState,
    me: &commons_store::User,
    org: &commons_store::Organisation,
    email: &str,
    role: MemberRole,
) -> Result<(), Error> {
    let change = Change {
        action: "invitation.create",
        object_type: "invitation",
        object_id: email.to_owned(),
        org_id: Some(org.id),
        before: None,
        after: Some(serde_json::json!({ "email": email, "role": role.as_str() })),
    };
    let entry = audit::entry(me, change);
    let token = state
        .store
        .issue_invitation(org.id, email, role, INVITATION_TTL, &entry)
        .await?;
    let link = state.link(&format!("invitations/{}", token.reveal()))?;
    let body = format!(
        "{} invites you to join {} on Commons as {}.\n\nAccept here (the link works once, for \
         seven days):\n{link}\n",
        me.email,
        org.name,
        role.as_str()
    );
    mail::send(state, email, &format!("Join {} on Commons", org.name), body).await
}

/// Withdraws the open invitations of `org` sent to `email`, as `me`.
///
/// # Errors
///
/// Not found when there is no open invitation for that address.
pub(crate) async fn revoke(
    state: &AppState,
    me: &commons_store::User,
    org: &commons_store::Organisation,
    email: &str,
) -> Result<(), Error> {
    let change = Change {
        action: "invitation.revoke",
        object_type: "invitation",
        object_id: email.trim().to_lowercase(),
        org_id: Some(org.id),
        before: None,
        after: None,
    };
    let entry = audit::entry(me, change);
    let revoked = state
        .store
        .revoke_invitations(org.id, email, &entry)
        .await?;
    if revoked == 0 {
        return Err(commons_store::Error::NotFound { what: "invitation" }.into());
    }
    Ok(())
}

async fn invitations_create(
    State(state): State<AppState>,
    me: SignedIn,
    Path(org_id): Path<OrgId>,
    Form(form): Form<InviteForm>,
) -> Result<Response, Error> {
    let (org, role) = org_for(&state, &me.user, org_id).await?;
    require_manager(role)?;
    let new_role = match validate_invite(&form, role) {
        Ok(role) => role,
        Err(errors) => {
            return members_page(
                &state,
                &me,
                org.id,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let email = form.email.trim().to_lowercase();
    invite(&state, &me.user, &org, &email, new_role).await?;
    Ok(me.redirect_with(
        &format!("/orgs/{}/members", org.id),
        format!("Invitation sent to {email}."),
    ))
}

/// The field of the revoke form.
#[derive(Deserialize)]
struct RevokeForm {
    #[serde(default)]
    email: String,
}

async fn invitations_revoke(
    State(state): State<AppState>,
    me: SignedIn,
    Path(org_id): Path<OrgId>,
    Form(form): Form<RevokeForm>,
) -> Result<Response, Error> {
    let (org, role) = org_for(&state, &me.user, org_id).await?;
    require_manager(role)?;
    revoke(&state, &me.user, &org, &form.email).await?;
    Ok(me.redirect_with(
        &format!("/orgs/{}/members", org.id),
        "Invitation withdrawn.",
    ))
}

fn invitation_gone(state: &AppState, visitor: &Visitor) -> Result<Response, Error> {
    let ctx = message(
        "This invitation no longer works",
        "It has been used, withdrawn or has expired. Ask the organisation for a new one.",
    );
    visitor.page_with(state, StatusCode::NOT_FOUND, "message.html", ctx)
}

/// Renders the acceptance page for the invitation `token`.
async fn show(
    state: &AppState,
    visitor: &Visitor,
    token: &str,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    let secret = TokenSecret::from_link(token);
    let invitation = match state
        .store
        .peek_token(&secret, TokenPurpose::Invitation)
        .await
    {
        Err(commons_store::Error::NotFound { .. }) => return invitation_gone(state, visitor),
        other => other?,
    };
    let (Some(org_id), Some(email)) = (invitation.org_id, invitation.email) else {
        return invitation_gone(state, visitor);
    };
    let org = state.store.organisation(org_id).await?;
    let has_account = state.store.user_by_email(&email).await?.is_some();
    let signed_in_as = visitor.user.as_ref().map(|u| u.email.clone());
    let ctx = context! {
        org_name => org.name, email, role => invitation.role, has_account, signed_in_as, errors,
    };
    visitor.page_with(state, status, "invitation.html", ctx)
}

async fn invitations_show(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response, Error> {
    show(&state, &visitor, &token, FieldErrors::new(), StatusCode::OK).await
}

/// The fields of the acceptance form; the name and passwords only for a new account.
#[derive(Deserialize)]
struct AcceptForm {
    #[serde(default)]
    your_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

async fn invitations_accept(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Form(form): Form<AcceptForm>,
) -> Result<Response, Error> {
    let secret = TokenSecret::from_link(&token);
    let accepted = if let Some(user) = &visitor.user {
        state.store.accept_invitation(&secret, user).await
    } else {
        let mut errors = FieldErrors::new();
        forms::text(&mut errors, "your_name", &form.your_name, "your name", 100);
        forms::new_password(&mut errors, &form.password, &form.confirm);
        if !errors.is_empty() {
            return show(
                &state,
                &visitor,
                &token,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        let hash = password::hash(form.password).await?;
        state
            .store
            .accept_invitation_as_new_user(&secret, form.your_name.trim(), &hash)
            .await
    };
    let accepted = match accepted {
        Err(commons_store::Error::NotFound { .. }) => return invitation_gone(&state, &visitor),
        Err(commons_store::Error::AlreadyExists { .. }) => {
            let errors = FieldErrors::from([(
                "form",
                "This address already has an account. Sign in first, then open the link again."
                    .to_owned(),
            )]);
            return show(&state, &visitor, &token, errors, StatusCode::CONFLICT).await;
        }
        other => other?,
    };

    tracing::info!(org = %accepted.org_id, user = %accepted.user.id, "invitation accepted");
    if visitor.user.is_none() {
        visitor.session.sign_in(accepted.user.id);
    }
    visitor
        .session
        .flash("Welcome: you have joined the organisation.");
    Ok(Redirect::to(&format!("/orgs/{}", accepted.org_id)).into_response())
}
