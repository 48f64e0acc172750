//! Golden files: what `render` prints for each fixture under `fixtures/render`.
//!
//! Set `UPDATE_GOLDEN=1` to rewrite the golden files after an intended change, then review
//! the diff.

use std::path::PathBuf;

use commons_operator::{desired::Settings, render::render};

fn dir(part: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(part)
}

#[track_caller]
fn assert_golden(case: &str) {
    let input = std::fs::read_to_string(dir("fixtures/render").join(format!("{case}.yaml")))
        .expect("fixture readable");
    let rendered = render(&input, &Settings::default()).expect("fixture renders");
    let golden_path = dir("golden").join(format!("{case}.yaml"));
    #[expect(
        clippy::disallowed_methods,
        reason = "a test switch, not library configuration"
    )]
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden_path, &rendered).expect("golden writable");
        return;
    }
    let golden = std::fs::read_to_string(&golden_path).expect("golden file exists");
    assert!(
        rendered == golden,
        "{case}: rendered objects differ from {}; rerun with UPDATE_GOLDEN=1 and review the \
         diff\n--- rendered ---\n{rendered}",
        golden_path.display()
    );
}

#[test]
fn a_new_tenant_gets_its_namespace_quota_limits_policies_and_role() {
    assert_golden("tenant-new");
}

#[test]
fn a_plan_change_changes_only_the_quota_and_limits() {
    assert_golden("tenant-plan-change");
}

#[test]
fn a_suspended_tenant_allows_no_pods() {
    assert_golden("tenant-suspended");
}

#[test]
fn an_app_with_a_hostname_gets_an_ingress_with_tls() {
    assert_golden("app-with-hostname");
}

#[test]
fn an_app_without_a_hostname_gets_no_ingress() {
    assert_golden("app-without-hostname");
}

#[test]
fn a_suspended_app_keeps_its_volume_and_secret_with_zero_replicas() {
    assert_golden("app-suspended");
}

#[test]
fn an_app_of_a_suspended_tenant_has_zero_replicas() {
    assert_golden("app-tenant-suspended");
}

#[test]
fn an_app_without_ports_is_refused_not_rendered() {
    let input = std::fs::read_to_string(dir("fixtures/invalid").join("app-without-ports.yaml"))
        .expect("fixture readable");
    let err = render(&input, &Settings::default()).expect_err("no port to serve on");
    let problem = std::error::Error::source(&err).map(ToString::to_string);
    assert_eq!(
        problem.as_deref(),
        Some("application portless declares no port")
    );
}

#[test]
fn a_hostname_outside_the_tenants_domain_is_refused() {
    let input = std::fs::read_to_string(dir("fixtures/invalid").join("app-foreign-hostname.yaml"))
        .expect("fixture readable");
    let err = render(&input, &Settings::default()).expect_err("a foreign hostname");
    let problem = std::error::Error::source(&err).map(ToString::to_string);
    assert_eq!(
        problem.as_deref(),
        Some(
            "hostname commons.council.example is not allowed; use \
             riverside-foodbank.apps.council.example or a name ending in \
             .riverside-foodbank.apps.council.example"
        )
    );
}
