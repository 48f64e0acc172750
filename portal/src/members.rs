//! Members of an organisation: the list, role changes, removal and leaving. An
//! organisation always keeps at least one owner (the store enforces it).

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use commons_store::{MemberChange, MemberRole, OrgId, UserId};
use minijinja::context;
use serde::Deserialize;

use crate::{
    AppState, Error,
    audit::{self, Change},
    forms::FieldErrors,
    orgs::{OrgView, org_for, require_manager},
    page::SignedIn,
};

/// The routes of this module.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/orgs/{org}/members", get(members_list))
        .route("/orgs/{org}/members/{user}/role", post(members_set_role))
        .route("/orgs/{org}/members/{user}/remove", post(members_remove))
        .route("/orgs/{org}/leave", post(members_leave))
}

/// Renders the members page with `errors` (from the invitation form) and `status`.
pub(crate) async fn members_page(
    state: &AppState,
    me: &SignedIn,
    org_id: OrgId,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, Error> {
    let (org, role) = org_for(state, &me.user, org_id).await?;
    let members: Vec<_> = state
        .store
        .members(org.id)
        .await?
        .into_iter()
        .map(|m| {
            context! {
                user_id => m.user_id.0, email => m.email, name => m.display_name,
                role => m.role.as_str(), me => m.user_id == me.user.id,
            }
        })
        .collect();
    let invitations: Vec<_> = state
        .store
        .pending_invitations(org.id)
        .await?
        .into_iter()
        .map(|i| context! { email => i.email, role => i.role.as_str(), expires_at => i.expires_at })
        .collect();
    let ctx = context! {
        org => OrgView::from(&org), role => role.as_str(),
        manager => require_manager(role).is_ok(), owner => role == MemberRole::Owner,
        members, invitations, errors, roles => ["member", "admin", "owner"],
    };
    me.page_with(state, status, "members.html", ctx)
}

async fn members_list(
    State(state): State<AppState>,
    me: SignedIn,
    Path(org): Path<OrgId>,
) -> Result<Response, Error> {
    members_page(&state, &me, org, FieldErrors::new(), StatusCode::OK).await
}

/// The field of the role form.
#[derive(Deserialize)]
struct RoleForm {
    #[serde(default)]
    role: String,
}

fn change_text(change: MemberChange, done: &str) -> Result<String, Error> {
    match change {
        MemberChange::Done => Ok(done.to_owned()),
        MemberChange::NotMember => Err(commons_store::Error::NotFound { what: "member" }.into()),
        MemberChange::LastOwner => Err(Error::Conflict(
            "an organisation must keep at least one owner; make someone else an owner first",
        )),
    }
}

async fn members_set_role(
    State(state): State<AppState>,
    me: SignedIn,
    Path((org_id, user_id)): Path<(OrgId, UserId)>,
    Form(form): Form<RoleForm>,
) -> Result<Response, Error> {
    let (org, role) = org_for(&state, &me.user, org_id).await?;
    if role != MemberRole::Owner {
        return Err(Error::NotAllowed);
    }
    let new_role: MemberRole = form.role.parse().map_err(Error::Invalid)?;
    let before = state.store.membership(org.id, user_id).await?;
    let Some(before) = before else {
        return Err(commons_store::Error::NotFound { what: "member" }.into());
    };

    let change = state
        .store
        .set_member_role(org.id, user_id, new_role)
        .await?;
    let text = change_text(change, "Role changed.")?;
    let change = Change {
        action: "member.set_role",
        object_type: "membership",
        object_id: format!("{}/{}", org.id, user_id),
        org_id: Some(org.id),
        before: Some(serde_json::json!({ "role": before.as_str() })),
        after: Some(serde_json::json!({ "role": new_role.as_str() })),
    };
    audit::record(&state, &me.user, change).await?;
    Ok(me.redirect_with(&format!("/orgs/{}/members", org.id), text))
}

async fn members_remove(
    State(state): State<AppState>,
    me: SignedIn,
    Path((org_id, user_id)): Path<(OrgId, UserId)>,
) -> Result<Response, Error> {
    let (org, role) = org_for(&state, &me.user, org_id).await?;
    require_manager(role)?;
    let Some(their_role) = state.store.membership(org.id, user_id).await? else {
        return Err(commons_store::Error::NotFound { what: "member" }.into());
    };
    // Admins manage members and other admins; only owners remove owners.
    if their_role == MemberRole::Owner && role != MemberRole::Owner {
        return Err(Error::NotAllowed);
    }

    let change = state.store.remove_member(org.id, user_id).await?;
    let text = change_text(change, "Member removed.")?;
    let change = Change {
        action: "member.remove",
        object_type: "membership",
        object_id: format!("{}/{}", org.id, user_id),
        org_id: Some(org.id),
        before: Some(serde_json::json!({ "role": their_role.as_str() })),
        after: None,
    };
    audit::record(&state, &me.user, change).await?;
    let to = if user_id == me.user.id {
        "/orgs".to_owned()
    } else {
        format!("/orgs/{}/members", org.id)
    };
    Ok(me.redirect_with(&to, text))
}

async fn members_leave(
    State(state): State<AppState>,
    me: SignedIn,
    Path(org_id): Path<OrgId>,
) -> Result<Response, Error> {
    let (org, role) = org_for(&state, &me.user, org_id).await?;
    let change = state.store.remove_member(org.id, me.user.id).await?;
    let text = change_text(change, &format!("You have left {}.", org.name))?;
    let change = Change {
        action: "member.leave",
        object_type: "membership",
        object_id: format!("{}/{}", org.id, me.user.id),
        org_id: Some(org.id),
        before: Some(serde_json::json!({ "role": role.as_str() })),
        after: None,
    };
    audit::record(&state, &me.user, change).await?;
    Ok(me.redirect_with("/orgs", text))
}
