//! `commons operator crds` and `commons operator render`, run as the real binary.

use std::{path::PathBuf, process::Command};

fn root(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn commons(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_commons"))
        .args(args)
        .env_remove("COMMONS_CONFIG")
        .output()
        .expect("commons runs")
}

#[test]
fn the_chart_holds_exactly_the_crds_the_binary_prints() {
    let printed = commons(&["operator", "crds"]);
    assert!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    let chart_path = root("charts/commons/crds/commons.dev.yaml");
    let committed = std::fs::read_to_string(&chart_path).expect("chart CRDs readable");
    assert!(
        String::from_utf8_lossy(&printed.stdout) == committed,
        "{} is out of date: run `commons operator crds > {}`",
        chart_path.display(),
        chart_path.display()
    );
}

#[test]
fn the_crds_name_the_three_kinds_with_short_names() {
    let printed = String::from_utf8(commons(&["operator", "crds"]).stdout).unwrap();
    for (kind, short, scope) in [
        ("Tenant", "tnt", "Cluster"),
        ("Application", "capp", "Cluster"),
        ("AppInstance", "ai", "Namespaced"),
    ] {
        let doc = printed
            .split("\n---\n")
            .find(|doc| doc.contains(&format!("kind: {kind}\n")))
            .unwrap_or_else(|| panic!("no CRD for {kind}"));
        assert!(
            doc.contains(&format!("- {short}\n")),
            "{kind} lacks short name {short}"
        );
        assert!(
            doc.contains(&format!("scope: {scope}\n")),
            "{kind} is not {scope}"
        );
        assert!(
            doc.contains("additionalPrinterColumns"),
            "{kind} has no printer columns"
        );
    }
}

#[test]
fn render_prints_the_golden_objects_of_a_fixture() {
    let fixture = root("operator/tests/fixtures/render/app-with-hostname.yaml");
    let output = commons(&["operator", "render", "-f", fixture.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let golden =
        std::fs::read_to_string(root("operator/tests/golden/app-with-hostname.yaml")).unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), golden);
}

#[test]
fn render_of_a_bad_file_fails_with_the_reason_and_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    )
    .unwrap();
    let output = commons(&["operator", "render", "-f", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("kind \"ConfigMap\" is not Tenant"),
        "{stderr}"
    );
}

#[test]
fn render_honours_the_ingress_class_flag() {
    let fixture = root("operator/tests/fixtures/render/app-with-hostname.yaml");
    let args = [
        "operator",
        "--ingress-class",
        "traefik",
        "render",
        "-f",
        fixture.to_str().unwrap(),
    ];
    let output = commons(&args);
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("ingressClassName: traefik\n"));
}
