//! The portal inside the real `commons up`: its configuration keys, forged forms over a
//! real socket, and the API document.

mod support;

use std::{io::Write, time::Duration};

use support::{Ports, Running, commons, data_dir, data_dir_arg, http, loopback, run_bounded};

const START: Duration = Duration::from_secs(20);
const STOP: Duration = Duration::from_secs(15);

fn config_file(toml: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temporary file");
    file.write_all(toml.as_bytes()).expect("config written");
    file
}

#[test]
fn an_unusable_smtp_url_stops_the_start_naming_the_key() {
    let dir = data_dir();
    let config = config_file("[portal]\nsmtp_url = \"http://mail.example\"\n");
    let output = run_bounded(
        commons()
            .arg("--config")
            .arg(config.path())
            .arg("up")
            .args(Ports::new().args())
            .arg(data_dir_arg(dir.path())),
        START,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("portal.smtp_url"), "{stderr}");
}

#[test]
fn up_with_a_hosting_journal_serves_pages_and_refuses_forged_forms() {
    let dir = data_dir();
    let journal = dir.path().join("hosting.jsonl");
    let config = config_file(&format!(
        "[portal]\nhosting_journal = \"{}\"\n",
        journal.display()
    ));
    let ports = Ports::new();
    let running = Running::spawn(
        commons()
            .arg("--config")
            .arg(config.path())
            .arg("up")
            .args(ports.args())
            .arg(data_dir_arg(dir.path())),
    );
    let portal = loopback(ports.portal);
    assert!(support::wait_for_http_ok(portal, "/healthz", START));

    let (status, head, body) = http(portal, "GET", "/sign-up", None);
    assert_eq!(status, 200);
    assert!(head.contains("HttpOnly; SameSite=Lax"), "{head}");
    assert!(body.contains("name=\"csrf\""), "{body}");
    let forged = "org_name=X&kind=voluntary&your_name=E&email=e%40example.org\
                  &password=long+enough+pass&confirm=long+enough+pass";
    let (status, _, _) = http(portal, "POST", "/sign-up", Some(forged));
    assert_eq!(status, 403);
    let (status, _, body) = http(portal, "GET", "/api/v1/openapi.json", None);
    assert_eq!(status, 200);
    assert!(body.contains("\"/api/v1/orgs/{org}/apps\""), "{body}");

    let (status, _, stderr) = running.terminate(STOP);
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("hosting runs in memory"), "{stderr}");
    assert!(!journal.exists(), "no hosting change was asked for");
}
