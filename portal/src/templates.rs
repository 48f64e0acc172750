//! Server-rendered pages: templates compiled into the binary, HTML-escaped by default.

use minijinja::Environment;
use serde::Serialize;

use crate::Error;

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("setup.html", include_str!("../templates/setup.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("sign_in.html", include_str!("../templates/sign_in.html")),
    (
        "reset_request.html",
        include_str!("../templates/reset_request.html"),
    ),
    (
        "reset_password.html",
        include_str!("../templates/reset_password.html"),
    ),
    ("sign_up.html", include_str!("../templates/sign_up.html")),
    ("orgs.html", include_str!("../templates/orgs.html")),
    ("_tenant.html", include_str!("../templates/_tenant.html")),
    ("org.html", include_str!("../templates/org.html")),
    ("members.html", include_str!("../templates/members.html")),
    (
        "invitation.html",
        include_str!("../templates/invitation.html"),
    ),
    ("apps.html", include_str!("../templates/apps.html")),
    ("app.html", include_str!("../templates/app.html")),
    (
        "app_remove.html",
        include_str!("../templates/app_remove.html"),
    ),
    ("tokens.html", include_str!("../templates/tokens.html")),
    (
        "admin_home.html",
        include_str!("../templates/admin_home.html"),
    ),
    (
        "admin_orgs.html",
        include_str!("../templates/admin_orgs.html"),
    ),
    (
        "admin_org.html",
        include_str!("../templates/admin_org.html"),
    ),
    (
        "_plan_fields.html",
        include_str!("../templates/_plan_fields.html"),
    ),
    (
        "admin_plans.html",
        include_str!("../templates/admin_plans.html"),
    ),
    (
        "admin_plan.html",
        include_str!("../templates/admin_plan.html"),
    ),
    (
        "admin_audit.html",
        include_str!("../templates/admin_audit.html"),
    ),
    (
        "admin_reports.html",
        include_str!("../templates/admin_reports.html"),
    ),
    (
        "_wifi_site_fields.html",
        include_str!("../templates/_wifi_site_fields.html"),
    ),
    (
        "_wifi_nav.html",
        include_str!("../templates/_wifi_nav.html"),
    ),
    (
        "admin_wifi_sites.html",
        include_str!("../templates/admin_wifi_sites.html"),
    ),
    (
        "admin_wifi_site.html",
        include_str!("../templates/admin_wifi_site.html"),
    ),
    (
        "admin_wifi_nas.html",
        include_str!("../templates/admin_wifi_nas.html"),
    ),
    (
        "admin_wifi_vouchers.html",
        include_str!("../templates/admin_wifi_vouchers.html"),
    ),
    (
        "admin_wifi_voucher_sheet.html",
        include_str!("../templates/admin_wifi_voucher_sheet.html"),
    ),
    (
        "admin_wifi_people.html",
        include_str!("../templates/admin_wifi_people.html"),
    ),
    (
        "captive_base.html",
        include_str!("../templates/captive_base.html"),
    ),
    (
        "captive_macros.html",
        include_str!("../templates/captive_macros.html"),
    ),
    (
        "captive_landing.html",
        include_str!("../templates/captive_landing.html"),
    ),
    (
        "captive_code.html",
        include_str!("../templates/captive_code.html"),
    ),
    (
        "captive_handoff.html",
        include_str!("../templates/captive_handoff.html"),
    ),
    (
        "captive_credentials.html",
        include_str!("../templates/captive_credentials.html"),
    ),
    (
        "captive_text.html",
        include_str!("../templates/captive_text.html"),
    ),
    (
        "captive_message.html",
        include_str!("../templates/captive_message.html"),
    ),
];

/// The portal's templates.
pub(crate) struct Templates {
    env: Environment<'static>,
    /// Templates with a form of their own, which needs the session's anti-forgery token.
    with_forms: std::collections::HashSet<&'static str>,
}

impl Templates {
    pub(crate) fn new() -> Self {
        let mut env = Environment::new();
        env.add_filter("datetime", |secs: i64| {
            let (date, time) = civil(secs);
            format!("{date} {time} UTC")
        });
        env.add_filter("date", |secs: i64| civil(secs).0);
        for (name, source) in TEMPLATES {
            // The sources are part of the binary; a syntax error is a build defect that
            // the template tests catch.
            if let Err(err) = env.add_template(name, source) {
                tracing::error!(template = name, error = %err, "template does not compile");
            }
        }
        let with_forms = TEMPLATES
            .iter()
            .filter(|(_, source)| source.contains("csrf_field("))
            .map(|(name, _)| *name)
            .collect();
        Self { env, with_forms }
    }

    /// Whether page `name` has a form of its own (the layout's sign-out form aside).
    pub(crate) fn has_form(&self, name: &str) -> bool {
        self.with_forms.contains(name)
    }

    /// Renders `name` with `context`.
    pub(crate) fn render(&self, name: &str, context: impl Serialize) -> Result<String, Error> {
        Ok(self.env.get_template(name)?.render(context)?)
    }
}

/// Unix seconds as a UTC date (`2026-12-04`) and time (`16:40`), by the proleptic
/// Gregorian calendar.
fn civil(secs: i64) -> (String, String) {
    let days = secs.div_euclid(86_400);
    let minutes = secs.rem_euclid(86_400) / 60;
    // Days since 0000-03-01, in 400-year eras of 146 097 days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02}", minutes / 60, minutes % 60),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles() {
        let templates = Templates::new();
        for (name, _) in TEMPLATES {
            templates.env.get_template(name).unwrap();
        }
    }

    #[test]
    fn pages_with_forms_are_known() {
        let templates = Templates::new();
        assert!(templates.has_form("sign_in.html"));
        assert!(templates.has_form("admin_plans.html"));
        assert!(!templates.has_form("home.html"));
        assert!(!templates.has_form("message.html"));
    }

    #[test]
    fn pages_escape_html() {
        let templates = Templates::new();
        let page = templates
            .render(
                "message.html",
                minijinja::context! { title => "<b>x</b>", message => "m" },
            )
            .unwrap();
        assert!(
            page.contains("&lt;b&gt;x") && !page.contains("<b>"),
            "{page}"
        );
    }

    #[test]
    fn unix_seconds_become_utc_dates() {
        assert_eq!(civil(0), ("1970-01-01".into(), "00:00".into()));
        assert_eq!(civil(951_782_400), ("2000-02-29".into(), "00:00".into()));
        assert_eq!(civil(1_796_402_445), ("2026-12-04".into(), "16:40".into()));
    }
}
