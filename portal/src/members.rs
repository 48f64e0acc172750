//! Members of an organisation: the list, role changes, removal and leaving. An
//! organisation always keeps at least one owner (the store enforces it).

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use commons_store::{MemberChange, MemberRole, OrgId, Organisation, User, UserId};
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

fn change_text(change: MemberChange) -> Result<(), Error> {
    match change {
        MemberChange::Done => Ok(()),
        MemberChange::NotMember => Err(commons_store::Error::NotFound { what: "member" }.into()),
        MemberChange::LastOwner => Err(Error::Conflict(
            "an organisation must keep at least one owner; make someone else an owner first",
        )),
    }
}

/// Gives member `user_id` of `org` a new role, as `me` holding `my_role` there.
///
/// # Errors
///
/// [`Error::NotAllowed`] unless `me` is an owner; not found when `user_id` is not a
/// member of `org`; [`Error::Conflict`] when it would leave no owner.
pub(crate) async fn set_role(
    state: &AppState,
    me: &User,
    org: &Organisation,
    my_role: MemberRole,
    user_id: UserId,
    new_role: MemberRole,
) -> Result<(), Error> {
    if my_role != MemberRole::Owner {
        return Err(Error::NotAllowed);
    }
    let Some(before) = state.store.membership(org.id, user_id).await? else {
        return Err(commons_store::Error::NotFound { what: "member" }.into());
    };
    let change = Change {
        action: "member.set_role",
        object_type: "membership",
        object_id: format!("{}/{}", org.id, user_id),
        org_id: Some(org.id),
        before: Some(serde_json::json!({ "role": before.as_str() })),
        after: Some(serde_json::json!({ "role": new_role.as_str() })),
    };
    let entry = audit::entry(me, change);
    change_text(
        state
            .store
            .set_member_role(org.id, user_id, new_role, &entry)
            .await?,
    )
}

/// Removes member `user_id` from `org`, as `me` holding `my_role` there (which may be
/// `me` leaving).
///
/// # Errors
///
/// [`Error::NotAllowed`] for a member removing someone else, or an admin removing an
/// owner; not found for a non-member; [`Error::Conflict`] for the last owner.
pub(crate) async fn remove(
    state: &AppState,
    me: &User,
    org: &Organisation,
    my_role: MemberRole,
    user_id: UserId,
) -> Result<(), Error> {
    let leaving = user_id == me.id;
    if !leaving {
        require_manager(my_role)?;
    }
    let Some(their_role) = state.store.membership(org.id, user_id).await? else {
        return Err(commons_store::Error::NotFound { what: "member" }.into());
    };
    // Admins manage members and other admins; only owners remove owners.
    if !leaving && their_role == MemberRole::Owner && my_role != MemberRole::Owner {
        return Err(Error::NotAllowed);
    }
    let change = Change {
        action: if leaving {
            "member.leave"
        } else {
            "member.remove"
        },
        object_type: "membership",
        object_id: format!("{}/{}", org.id, user_id),
        org_id: Some(org.id),
        before: Some(serde_json::json!({ "role": their_role.as_str() })),
        after: None,
    };
    let entry = audit::entry(me, change);
    change_text(state.store.remove_member(org.id, user_id, &entry).await?)
}

async fn members_set_role(
    State(state): State<AppState>,
    me: SignedIn,
    Path((org_id, user_id)): Path<(OrgId, UserId)>,
    Form(form): Form<RoleForm>,
) -> Result<Response, Error> {
    let (org, role) = org_for(&state, &me.user, org_id).await?;
    let new_role: MemberRole = form.role.parse().map_err(Error::Invalid)?;
    set_role(&state, &me.user, &org, role, user_id, new_role).await?;
    Ok(me.redirect_with(&format!("/orgs/{}/members", org.id), "Role changed."))
}

async fn members_remove(
    State(state): State<AppState>,
    me: SignedIn,
    Path((org_id, user_id)): Path<(OrgId, UserId)>,
) -> Result<Response, Error> {
    let (org, role) = org_for(&state, &me.user, org_id).await?;
    remove(&state, &me.user, &org, role, user_id).await?;
    let to = if user_id == me.user.id {
        "/orgs".to_owned()
    } else {
        format!("/orgs/{}/members", org.id)
    };
    Ok(me.redirect_with(&to, "Member removed."))
}

async fn members_leave(
    State(state): State<AppState>,
    me: SignedIn,
    Path(org_id): Path<OrgId>,
) -> Result<Response, Error> {
    let (org, role) = org_for(&state, &me.user, org_id).await?;
    remove(&state, &me.user, &org, role, me.user.id).await?;
    Ok(me.redirect_with("/orgs", format!("You have left {}.", org.name)))
}
