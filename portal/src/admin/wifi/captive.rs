//! The captive-portal settings of a site: how long accepting the terms grants, how long
//! devices are remembered, the secrets that sign hand-offs, a UniFi controller and the
//! extra hosts a hand-off may go to. Secrets are write-only: pages, the API and the
//! audit log only say whether each is set.

use axum::{
    Form, Router,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
    routing::post,
};
use commons_store::{CaptiveSettings, SiteId, UnifiController, User};
use serde::{Deserialize, Serialize};

use super::{
    Outcome, change_entry, fields_of_store_error, site_path,
    sites::{SiteForms, show_page},
};
use crate::{AppState, Error, forms::FieldErrors, page::CouncilAdmin};

/// Longest access accepting the terms may grant: a week, as for site sessions.
const MAX_TERMS_SESSION_SECS: i64 = 7 * 86_400;
/// Longest a device may be remembered: a year.
const MAX_REMEMBER_DAYS: i64 = 365;
/// Longest secret accepted.
const MAX_SECRET_CHARS: usize = 200;

/// The store's names for the fields it checks, and the form's.
const STORE_FIELDS: [(&str, &str); 6] = [
    ("terms session", "terms_session_secs"),
    ("remember days", "remember_days"),
    ("UniFi controller URL", "unifi_url"),
    ("UniFi site name", "unifi_site"),
    ("UniFi account", "unifi_username"),
    ("hand-off host", "handoff_hosts"),
];

/// The routes of this module.
pub(super) fn router() -> Router<AppState> {
    Router::new().route("/admin/wifi/{site}/captive", post(captive_update))
}

/// The fields of the captive settings form, as typed. An empty secret keeps the one set;
/// a ticked `clear_*` box removes it. Secrets are never written back into the form.
#[derive(Clone, Default, Deserialize, Serialize)]
pub(crate) struct CaptiveForm {
    #[serde(default)]
    pub(crate) terms_session_secs: String,
    #[serde(default)]
    pub(crate) remember_days: String,
    #[serde(default, skip_serializing)]
    pub(crate) uam_secret: String,
    pub(crate) clear_uam_secret: Option<String>,
    #[serde(default, skip_serializing)]
    pub(crate) fas_key: String,
    pub(crate) clear_fas_key: Option<String>,
    #[serde(default)]
    pub(crate) unifi_url: String,
    #[serde(default)]
    pub(crate) unifi_site: String,
    #[serde(default)]
    pub(crate) unifi_username: String,
    #[serde(default, skip_serializing)]
    pub(crate) unifi_password: String,
    /// Host names separated by commas or spaces.
    #[serde(default)]
    pub(crate) handoff_hosts: String,
}

impl From<&CaptiveSettings> for CaptiveForm {
    fn from(settings: &CaptiveSettings) -> Self {
        let unifi = settings.unifi.as_ref();
        let part = |get: fn(&UnifiController) -> &String| unifi.map(get).cloned();
        Self {
            terms_session_secs: settings.terms_session_secs.to_string(),
            remember_days: settings.remember_days.to_string(),
            unifi_url: part(|u| &u.url).unwrap_or_default(),
            unifi_site: part(|u| &u.site).unwrap_or_default(),
            unifi_username: part(|u| &u.username).unwrap_or_default(),
            handoff_hosts: settings.handoff_hosts.join(", "),
            ..Self::default()
        }
    }
}

/// `"set"` or `"not set"`: all that is ever shown of a secret.
fn secret_state<T>(secret: Option<&T>) -> &'static str {
    if secret.is_some() { "set" } else { "not set" }
}

/// Captive settings as JSON, for the pages and the audit log: secrets only as set or not.
pub(crate) fn captive_json(settings: &CaptiveSettings) -> serde_json::Value {
    let unifi = settings.unifi.as_ref().map(|unifi| {
        serde_json::json!({
            "url": unifi.url, "site": unifi.site, "username": unifi.username,
            "password": "set",
        })
    });
    serde_json::json!({
        "terms_session_secs": settings.terms_session_secs,
        "remember_days": settings.remember_days,
        "uam_secret": secret_state(settings.uam_secret.as_ref()),
        "fas_key": secret_state(settings.fas_key.as_ref()),
        "unifi": unifi,
        "handoff_hosts": settings.handoff_hosts,
    })
}

fn number(errors: &mut FieldErrors, field: &'static str, value: &str, min: i64, max: i64) -> i64 {
    match value.trim().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => n,
        _ => {
            errors.insert(field, format!("Enter a whole number from {min} to {max}."));
            min
        }
    }
}

/// The secret after the form: kept when empty, removed when cleared, else replaced.
fn secret(
    errors: &mut FieldErrors,
    field: &'static str,
    (typed, clear): (&str, bool),
    current: Option<&String>,
) -> Option<String> {
    let typed = typed.trim();
    if typed.chars().count() > MAX_SECRET_CHARS || typed.chars().any(char::is_control) {
        let text = format!("Use at most {MAX_SECRET_CHARS} printable characters.");
        errors.insert(field, text);
    }
    match (clear, typed.is_empty()) {
        (true, _) => None,
        (false, true) => current.cloned(),
        (false, false) => Some(typed.to_owned()),
    }
}

/// The UniFi controller after the form: none when its address, site and user name are
/// all empty; its password kept when none is typed.
fn unifi(
    errors: &mut FieldErrors,
    form: &CaptiveForm,
    current: Option<&UnifiController>,
) -> Option<UnifiController> {
    let parts = [
        (
            "unifi_url",
            form.unifi_url.trim(),
            "the controller's address",
        ),
        (
            "unifi_site",
            form.unifi_site.trim(),
            "the controller's name for the site",
        ),
        (
            "unifi_username",
            form.unifi_username.trim(),
            "the user name",
        ),
    ];
    if parts.iter().all(|(_, value, _)| value.is_empty()) {
        return None;
    }
    let typed = [("unifi_password", form.unifi_password.as_str(), "")];
    for (field, value, what) in parts.into_iter().chain(typed) {
        if value.chars().any(char::is_control) {
            errors.insert(field, "Use only printable characters.".into());
        } else if value.is_empty() && !what.is_empty() {
            errors.insert(field, format!("Enter {what}, or empty every UniFi field."));
        }
    }
    let password = match (form.unifi_password.as_str(), current) {
        ("", Some(current)) => current.password.clone(),
        ("", None) => {
            let text = "Enter the password of the controller account.".to_owned();
            errors.insert("unifi_password", text);
            String::new()
        }
        (typed, _) => typed.to_owned(),
    };
    Some(UnifiController {
        url: form.unifi_url.trim().to_owned(),
        site: form.unifi_site.trim().to_owned(),
        username: form.unifi_username.trim().to_owned(),
        password,
    })
}

/// Checks a captive settings form against the settings it changes.
fn validate(form: &CaptiveForm, current: &CaptiveSettings) -> Result<CaptiveSettings, FieldErrors> {
    let mut errors = FieldErrors::new();
    let settings = CaptiveSettings {
        terms_session_secs: number(
            &mut errors,
            "terms_session_secs",
            &form.terms_session_secs,
            60,
            MAX_TERMS_SESSION_SECS,
        ),
        remember_days: number(
            &mut errors,
            "remember_days",
            &form.remember_days,
            0,
            MAX_REMEMBER_DAYS,
        ),
        uam_secret: secret(
            &mut errors,
            "uam_secret",
            (&form.uam_secret, form.clear_uam_secret.is_some()),
            current.uam_secret.as_ref(),
        ),
        fas_key: secret(
            &mut errors,
            "fas_key",
            (&form.fas_key, form.clear_fas_key.is_some()),
            current.fas_key.as_ref(),
        ),
        unifi: unifi(&mut errors, form, current.unifi.as_ref()),
        handoff_hosts: form
            .handoff_hosts
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|host| !host.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    if errors.is_empty() {
        Ok(settings)
    } else {
        Err(errors)
    }
}

/// Replaces the captive settings of `site` with `form` as `me`, with the audit entry
/// (secrets only as set or not) in the same transaction; returns the settings saved.
///
/// # Errors
///
/// The problems of the form by field, those the store finds (a bad controller address or
/// hand-off host, a UniFi site name another site uses) included; [`Error::StoreFailed`]
/// with `NotFound` for an unknown site.
pub(crate) async fn update_captive(
    state: &AppState,
    me: &User,
    site: SiteId,
    form: &CaptiveForm,
) -> Outcome<CaptiveSettings> {
    let current = state.store.captive_settings(site).await?;
    let settings = match validate(form, &current) {
        Ok(settings) => settings,
        Err(errors) => return Ok(Err(errors)),
    };

    let (before, after) = (captive_json(&current), captive_json(&settings));
    let entry = change_entry(
        me,
        "captive.update",
        "wifi_site",
        site.to_string(),
        Some(before),
        Some(after),
    );
    match state
        .store
        .set_captive_settings_audited(site, &settings, &entry)
        .await
    {
        Ok(()) => Ok(Ok(state.store.captive_settings(site).await?)),
        Err(commons_store::Error::AlreadyExists { .. }) => {
            let text = "Another site uses this UniFi site name.".to_owned();
            Ok(Err(FieldErrors::from([("unifi_site", text)])))
        }
        Err(err) => fields_of_store_error(err, &STORE_FIELDS).map(Err),
    }
}

async fn captive_update(
    State(state): State<AppState>,
    CouncilAdmin(me): CouncilAdmin,
    Path(site): Path<SiteId>,
    Form(form): Form<CaptiveForm>,
) -> Result<Response, Error> {
    match update_captive(&state, &me.user, site, &form).await? {
        Ok(_) => Ok(me.redirect_with(&site_path(site), "Captive portal settings saved.")),
        Err(errors) => {
            let forms = SiteForms {
                captive: Some((form, errors)),
                ..SiteForms::default()
            };
            show_page(&state, &me, site, forms, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn current() -> CaptiveSettings {
        CaptiveSettings {
            terms_session_secs: 1800,
            remember_days: 30,
            uam_secret: Some("old-uam".into()),
            fas_key: None,
            unifi: Some(UnifiController {
                url: "https://unifi.example:8443/".into(),
                site: "default".into(),
                username: "commons".into(),
                password: "old-password".into(),
            }),
            handoff_hosts: vec![],
        }
    }

    #[test]
    fn empty_secrets_keep_the_current_ones_and_cleared_ones_go() {
        let mut form = CaptiveForm::from(&current());
        form.fas_key = " new-key ".into();
        let kept = validate(&form, &current()).unwrap();
        assert_eq!(kept.uam_secret.as_deref(), Some("old-uam"));
        assert_eq!(kept.fas_key.as_deref(), Some("new-key"));
        assert_eq!(kept.unifi.unwrap().password, "old-password");

        form.clear_uam_secret = Some("on".into());
        form.handoff_hosts = "a.example, b.example c.example".into();
        let cleared = validate(&form, &current()).unwrap();
        assert_eq!(cleared.uam_secret, None);
        assert_eq!(
            cleared.handoff_hosts,
            ["a.example", "b.example", "c.example"]
        );
    }

    #[test]
    fn a_unifi_controller_needs_every_field_or_none() {
        let mut form = CaptiveForm::from(&current());
        form.unifi_site = String::new();
        let errors = validate(&form, &current()).unwrap_err();
        assert_eq!(errors.keys().copied().collect::<Vec<_>>(), ["unifi_site"]);

        form.unifi_url = String::new();
        form.unifi_username = String::new();
        assert_eq!(validate(&form, &current()).unwrap().unifi, None);

        let mut new = CaptiveForm::from(&current());
        let without = CaptiveSettings {
            unifi: None,
            ..current()
        };
        new.unifi_password = String::new();
        let errors = validate(&new, &without).unwrap_err();
        assert!(errors.contains_key("unifi_password"), "{errors:?}");
    }

    #[test]
    fn secrets_are_shown_only_as_set_or_not() {
        let text = captive_json(&current()).to_string();
        assert!(
            !text.contains("old-uam") && !text.contains("old-password"),
            "{text}"
        );
        assert!(text.contains(r#""uam_secret":"set""#), "{text}");
        assert!(text.contains(r#""fas_key":"not set""#), "{text}");
        let typed = CaptiveForm {
            uam_secret: "typed-uam".into(),
            unifi_password: "typed-password".into(),
            ..CaptiveForm::from(&current())
        };
        let echoed = serde_json::to_string(&typed).unwrap();
        assert!(
            !echoed.contains("typed-"),
            "a secret written back into the form: {echoed}"
        );
    }
}
