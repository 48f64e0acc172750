//! The `commons` binary as a new user meets it: start-up, health, first administrator,
//! shutdown, and the errors a bad setup gets.

mod support;

use std::{net::TcpListener, time::Duration};

use commons_store::Backend;
use support::{Ports, Running, commons, data_dir, data_dir_arg, http, loopback, run_bounded};

const START: Duration = Duration::from_secs(20);
const STOP: Duration = Duration::from_secs(15);

/// Starts `commons up` on `database_args`, checks health, readiness, metrics, the RADIUS
/// sockets and the first-administrator link, then stops it with SIGTERM.
fn up_serves_portal_and_radius(database_args: &[String]) {
    let ports = Ports::new();
    let running = Running::spawn(commons().arg("up").args(ports.args()).args(database_args));
    let portal = loopback(ports.portal);
    assert!(
        support::wait_for_http_ok(portal, "/healthz", START),
        "portal never became healthy"
    );

    let (status, _, body) = http(portal, "GET", "/readyz", None);
    assert_eq!((status, body.as_str()), (200, "ready\n"));
    let (status, head, body) = http(portal, "GET", "/metrics", None);
    assert_eq!(status, 200);
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    assert!(body.contains("http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"}"));
    for port in [ports.auth, ports.acct] {
        let taken = std::net::UdpSocket::bind(loopback(port));
        assert!(taken.is_err(), "RADIUS is not listening on UDP {port}");
    }

    let (status, stdout, stderr) = running.terminate(STOP);
    assert!(
        status.success(),
        "exit {status:?} after SIGTERM; stderr: {stderr}"
    );
    assert!(stderr.contains("shutting down"), "{stderr}");
    let announced: Vec<_> = stdout
        .lines()
        .filter(|l| l.contains("No administrator yet"))
        .collect();
    assert_eq!(announced.len(), 1, "stdout: {stdout}");
    assert!(announced[0].contains(&format!("http://127.0.0.1:{}/setup/", ports.portal)));
}

#[test]
fn up_on_sqlite_serves_portal_and_radius() {
    let dir = data_dir();
    up_serves_portal_and_radius(&[data_dir_arg(dir.path())]);
    assert!(dir.path().join("commons.db").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn up_on_postgres_serves_portal_and_radius() {
    let store = commons_store::testing::fresh(Backend::Postgres).await;
    let url = format!("--database-url={}", store.url_for_child_process());
    tokio::task::spawn_blocking(move || up_serves_portal_and_radius(&[url]))
        .await
        .unwrap();
}

#[test]
fn first_admin_link_creates_an_administrator_once() {
    let dir = data_dir();
    let ports = Ports::new();
    let mut running = Running::spawn(
        commons()
            .arg("up")
            .args(ports.args())
            .arg(data_dir_arg(dir.path())),
    );
    let portal = loopback(ports.portal);
    assert!(support::wait_for_http_ok(portal, "/healthz", START));
    let stdout = running.child.stdout.take().unwrap();
    let line = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .map_while(Result::ok)
        .find(|line| line.contains("No administrator yet"))
        .expect("first-administrator line");
    let link = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap();
    let path = link.trim_start_matches(&format!("http://127.0.0.1:{}", ports.portal));

    let (status, _, page) = http(portal, "GET", path, None);
    assert_eq!(status, 200);
    assert!(page.contains("Create the first administrator"));
    let (status, _, page) = http(
        portal,
        "POST",
        path,
        Some("email=root%40council.example&password=short&confirm=short"),
    );
    assert_eq!(status, 422);
    assert!(page.contains("Use at least 12 characters."), "{page}");
    let form = "email=root%40council.example&password=a+long+passphrase&confirm=a+long+passphrase";
    let (status, _, page) = http(portal, "POST", path, Some(form));
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("root@council.example can now sign in"),
        "{page}"
    );
    let (status, _, _) = http(portal, "POST", path, Some(form));
    assert_eq!(status, 404, "a spent link must not work twice");

    // With an administrator in place, a restart announces nothing.
    let (status, _, _) = running.terminate(STOP);
    assert!(status.success());
    let again = Running::spawn(
        commons()
            .arg("up")
            .args(ports.args())
            .arg(data_dir_arg(dir.path())),
    );
    assert!(support::wait_for_http_ok(portal, "/healthz", START));
    let (_, stdout, _) = again.terminate(STOP);
    assert!(!stdout.contains("No administrator yet"), "{stdout}");
}

#[test]
fn admin_create_prints_a_working_sign_in_link() {
    let dir = data_dir();
    let ports = Ports::new();
    let output = run_bounded(
        commons()
            .args(["admin", "create", "--email", "clerk@council.example"])
            .args(ports.args())
            .arg(data_dir_arg(dir.path())),
        START,
    );
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("council administrator clerk@council.example created"),
        "{stdout}"
    );
    let link = stdout
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap();
    let path = link
        .trim_start_matches(&format!("http://127.0.0.1:{}", ports.portal))
        .to_owned();

    let running = Running::spawn(
        commons()
            .arg("portal")
            .args(ports.args())
            .arg(data_dir_arg(dir.path())),
    );
    let portal = loopback(ports.portal);
    assert!(support::wait_for_http_ok(portal, "/healthz", START));
    let (status, _, page) = http(portal, "GET", &path, None);
    assert_eq!(status, 200);
    assert!(
        page.contains("Choose a password for clerk@council.example"),
        "{page}"
    );
    let form = "password=a+long+passphrase&confirm=a+long+passphrase";
    assert_eq!(http(portal, "POST", &path, Some(form)).0, 200);
    let (_, stdout, _) = running.terminate(STOP);
    assert!(
        !stdout.contains("No administrator yet"),
        "an administrator exists: {stdout}"
    );
}

#[test]
fn admin_create_refuses_what_the_account_form_would_refuse() {
    let dir = data_dir();
    for email in ["@", "clerk@localhost", "clerk@council.example."] {
        let output = run_bounded(
            commons()
                .args(["admin", "create", "--email", email])
                .arg(data_dir_arg(dir.path())),
            START,
        );
        assert_startup_error(&output, "is not an email address");
    }
}

#[test]
fn portal_and_radius_processes_share_one_sqlite_file() {
    let dir = data_dir();
    let ports = Ports::new();
    // Started together on a fresh directory, so they also race to migrate.
    let portal = Running::spawn(
        commons()
            .arg("portal")
            .args(ports.args())
            .arg(data_dir_arg(dir.path())),
    );
    let radius = Running::spawn(
        commons()
            .arg("radius")
            .args(ports.args())
            .arg(data_dir_arg(dir.path())),
    );
    assert!(
        support::wait_for_http_ok(loopback(ports.portal), "/readyz", START),
        "portal not ready"
    );
    assert!(
        support::wait_for_http_ok(loopback(ports.ops), "/readyz", START),
        "radius not ready"
    );
    assert!(
        std::net::UdpSocket::bind(loopback(ports.auth)).is_err(),
        "radius not listening"
    );
    let (radius_status, _, radius_err) = radius.terminate(STOP);
    let (portal_status, _, portal_err) = portal.terminate(STOP);
    assert!(radius_status.success(), "{radius_err}");
    assert!(portal_status.success(), "{portal_err}");
}

#[track_caller]
fn assert_startup_error(output: &std::process::Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    let errors: Vec<_> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(errors.len(), 1, "one error line expected: {stderr}");
    assert!(
        errors[0].contains(expected),
        "{:?} lacks {expected:?}",
        errors[0]
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unreachable_database_is_named_and_fails_fast() {
    let ports = Ports::new();
    let output = run_bounded(
        commons()
            .arg("up")
            .args(ports.args())
            .arg("--database-url=postgres://nobody@127.0.0.1:1/x"),
        Duration::from_secs(10),
    );
    assert_startup_error(
        &output,
        "cannot connect to database postgres://nobody@127.0.0.1:1/x",
    );
}

#[test]
fn a_database_password_is_never_printed() {
    let ports = Ports::new();
    let output = run_bounded(
        commons()
            .arg("up")
            .args(ports.args())
            .arg("--database-url=postgres://u:hunter2@127.0.0.1:1/x"),
        Duration::from_secs(10),
    );
    assert_startup_error(&output, "postgres://u:***@127.0.0.1:1/x");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("hunter2"));
    let output = run_bounded(
        commons()
            .arg("up")
            .args(ports.args())
            .arg("--database-url=postgres://u@127.0.0.1:1/x?password=hunter2"),
        Duration::from_secs(10),
    );
    assert_startup_error(&output, "postgres://u@127.0.0.1:1/x?password=***");
    assert!(!String::from_utf8_lossy(&output.stderr).contains("hunter2"));
    let help = run_bounded(
        commons()
            .arg("--help")
            .env("COMMONS_DATABASE_URL", "postgres://u:hunter2@h/x"),
        Duration::from_secs(10),
    );
    assert!(!String::from_utf8_lossy(&help.stdout).contains("hunter2"));
}

#[test]
fn an_unusable_data_dir_is_named() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let inside_a_file = file.path().join("data");
    let ports = Ports::new();
    let output = run_bounded(
        commons()
            .arg("up")
            .args(ports.args())
            .arg(data_dir_arg(&inside_a_file)),
        Duration::from_secs(10),
    );
    assert_startup_error(
        &output,
        &format!("data directory {} is not usable", inside_a_file.display()),
    );
}

#[test]
fn a_malformed_config_file_is_named() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, b"[portal\nlisten = 1\n").unwrap();
    let output = run_bounded(
        commons()
            .arg("up")
            .arg(format!("--config={}", file.path().display())),
        Duration::from_secs(10),
    );
    assert_startup_error(&output, "TOML parse error at line 1");
}

#[test]
fn a_port_in_use_is_named() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = data_dir();
    let mut ports = Ports::new();
    ports.portal = port;
    let output = run_bounded(
        commons()
            .arg("up")
            .args(ports.args())
            .arg(data_dir_arg(dir.path())),
        Duration::from_secs(10),
    );
    assert_startup_error(
        &output,
        &format!("cannot listen for HTTP on 127.0.0.1:{port}"),
    );
}

#[test]
fn a_radius_port_in_use_is_named() {
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = data_dir();
    let mut ports = Ports::new();
    ports.auth = port;
    let output = run_bounded(
        commons()
            .arg("up")
            .args(ports.args())
            .arg(data_dir_arg(dir.path())),
        Duration::from_secs(10),
    );
    assert_startup_error(
        &output,
        &format!("cannot listen for RADIUS on UDP 127.0.0.1:{port}"),
    );
}

#[test]
fn version_prints_the_package_version() {
    let output = run_bounded(commons().arg("version"), Duration::from_secs(10));
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!("commons {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_data_dir_with_url_characters_in_its_name_works() {
    let parent = data_dir();
    let dir = parent.path().join("odd?mode=ro%41#x");
    let ports = Ports::new();
    let output = run_bounded(
        commons()
            .arg("migrate")
            .args(ports.args())
            .arg(data_dir_arg(&dir)),
        Duration::from_secs(20),
    );
    assert!(output.status.success(), "{output:?}");
    assert!(
        dir.join("commons.db").exists(),
        "the database lives in the named directory"
    );
}
