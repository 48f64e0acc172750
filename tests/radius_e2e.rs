//! The real `commons` binary on loopback: seeded through its own CLI, asked by Debian's
//! `radclient` (package freeradius-utils) and by a raw UDP socket for malformed packets.

#![expect(clippy::unwrap_used, reason = "helpers of a test fail it on any error")]

use std::{
    io::Write,
    net::{SocketAddr, UdpSocket},
    path::Path,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use commons_radius::codec::{Attribute, Code, Packet, dictionary as attr, hide_password};

const SECRET: &str = "loopback-test-secret-0123456789";
const BIN: &str = env!("CARGO_BIN_EXE_commons");

/// A `commons radius` process on free loopback ports, killed on drop.
struct Server {
    child: Child,
    auth: SocketAddr,
    acct: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs a `commons` subcommand on the data directory and returns its standard output.
#[track_caller]
fn commons(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "commons {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Seeds a site and a NAS client at `nas_address`, then starts the server.
fn start(nas_address: &str, seed: impl FnOnce(&Path)) -> Server {
    let dir = tempfile::tempdir().unwrap();
    commons(dir.path(), &["site", "add", "Test Library"]);
    commons(
        dir.path(),
        &[
            "nas",
            "add",
            "--site",
            "test-library",
            "--address",
            nas_address,
            "--secret",
            SECRET,
            "--vendor",
            "coovachilli",
        ],
    );
    seed(dir.path());
    // A port found free may be taken by another test before the server binds it; the
    // server then exits, and is started again on other ports.
    let mut dir = Some(dir);
    for _ in 0..3 {
        let auth: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();
        let acct: SocketAddr = format!("127.0.0.1:{}", free_udp_port()).parse().unwrap();
        let data_dir = dir.take().unwrap();
        let child = Command::new(BIN)
            .arg("--data-dir")
            .arg(data_dir.path())
            .args(["--radius-auth-listen", &auth.to_string()])
            .args(["--radius-acct-listen", &acct.to_string()])
            .args(["--ops-listen", &format!("127.0.0.1:{}", free_tcp_port())])
            .arg("radius")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut server = Server {
            child,
            auth,
            acct,
            _dir: data_dir,
        };
        match wait_until_listening(&mut server, nas_address) {
            Listening::Yes => return server,
            Listening::Exited => dir = Some(server.into_dir()),
        }
    }
    panic!("commons radius exited three times on start");
}

/// Whether a started server answers.
enum Listening {
    Yes,
    /// It exited before answering, as when its port was taken.
    Exited,
}

impl Server {
    /// Stops the server (on drop) and gives its data directory back.
    fn into_dir(mut self) -> tempfile::TempDir {
        std::mem::replace(&mut self._dir, tempfile::tempdir().unwrap())
    }
}

/// Polls with Status-Server from the NAS client's own address until answered, or until
/// the server has exited.
fn wait_until_listening(server: &mut Server, nas_address: &str) -> Listening {
    let socket = UdpSocket::bind((nas_address, 0)).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let status = Packet {
        code: Code::StatusServer,
        identifier: 1,
        authenticator: [9; 16],
        attributes: vec![],
    };
    let bytes = status.encode_request(SECRET.as_bytes(), true).unwrap();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        if exchange(&socket, server.auth, &bytes).is_some() {
            return Listening::Yes;
        }
        if server.child.try_wait().unwrap().is_some() {
            return Listening::Exited;
        }
    }
    panic!("commons radius did not answer Status-Server within 15 s");
}

fn client() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(400)))
        .unwrap();
    socket
}

/// Sends a datagram and returns the reply, if one comes within the timeout.
fn exchange(socket: &UdpSocket, to: SocketAddr, bytes: &[u8]) -> Option<Vec<u8>> {
    socket.send_to(bytes, to).unwrap();
    let mut buffer = [0u8; 4096];
    let (len, _) = socket.recv_from(&mut buffer).ok()?;
    Some(buffer[..len].to_vec())
}

/// Runs radclient with `attributes` on standard input. Fails the test with a clear
/// message when radclient is not installed.
fn radclient(server: &Server, kind: &str, attributes: &str) -> Output {
    let to = if kind == "acct" {
        server.acct
    } else {
        server.auth
    };
    let spawned = Command::new("radclient")
        .args(["-r", "1", "-t", "1", "-x", &to.to_string(), kind, SECRET])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(err) => panic!(
            "cannot run radclient ({err}); these tests need it: apt-get install freeradius-utils"
        ),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(attributes.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// What radclient received: the reply code's name, or `None` for no reply.
fn outcome(output: &Output) -> Option<&'static str> {
    let text = String::from_utf8_lossy(&output.stdout);
    ["Access-Accept", "Access-Reject"]
        .into_iter()
        .find(|code| text.contains(&format!("Received {code}")))
}

fn pap(username: &str, password: &str) -> String {
    format!(
        "User-Name = \"{username}\"\nUser-Password = \"{password}\"\nMessage-Authenticator = 0x00\n"
    )
}

fn with_guest(dir: &Path) {
    commons(
        dir,
        &[
            "guest",
            "add",
            "--site",
            "test-library",
            "--username",
            "ann",
            "--password",
            "sunshine",
            "--expires",
            "1h",
        ],
    );
}

#[test]
fn pap_is_accepted_and_a_wrong_password_rejected() {
    let server = start("127.0.0.1", with_guest);
    let accepted = radclient(&server, "auth", &pap("ann", "sunshine"));
    assert_eq!(outcome(&accepted), Some("Access-Accept"), "{accepted:?}");
    assert!(accepted.status.success());
    let rejected = radclient(&server, "auth", &pap("ann", "moonlight"));
    assert_eq!(outcome(&rejected), Some("Access-Reject"), "{rejected:?}");
    assert!(String::from_utf8_lossy(&rejected.stdout).contains("Reply-Message = \"Sign-in failed"));
}

#[test]
fn chap_is_accepted() {
    let server = start("127.0.0.1", with_guest);
    let chap = "User-Name = \"ann\"\nCHAP-Password = \"sunshine\"\nMessage-Authenticator = 0x00\n";
    let output = radclient(&server, "auth", chap);
    assert_eq!(outcome(&output), Some("Access-Accept"), "{output:?}");
}

#[test]
fn a_remembered_device_is_accepted_by_its_mac() {
    let server = start("127.0.0.1", |dir| {
        commons(
            dir,
            &[
                "device",
                "remember",
                "--site",
                "test-library",
                "--mac",
                "aabb.ccdd.eeff",
            ],
        );
    });
    let request = "User-Name = \"AA-BB-CC-DD-EE-FF\"\nUser-Password = \"AA-BB-CC-DD-EE-FF\"\n\
                   Calling-Station-Id = \"AA-BB-CC-DD-EE-FF\"\nMessage-Authenticator = 0x00\n";
    let output = radclient(&server, "auth", request);
    assert_eq!(outcome(&output), Some("Access-Accept"), "{output:?}");
    let stranger = request.replace("FF", "00");
    assert_eq!(
        outcome(&radclient(&server, "auth", &stranger)),
        Some("Access-Reject")
    );
}

#[test]
fn a_voucher_is_accepted_then_exhausted() {
    let mut code = String::new();
    let server = start("127.0.0.1", |dir| {
        let printed = commons(
            dir,
            &[
                "voucher",
                "issue",
                "--site",
                "test-library",
                "--count",
                "1",
                "--uses",
                "1",
                "--duration",
                "1h",
                "--data",
                "50",
            ],
        );
        code = printed.lines().last().unwrap().trim().to_owned();
    });
    let first = format!(
        "{}Calling-Station-Id = \"02-00-00-00-00-01\"\n",
        pap(&code, &code)
    );
    let accepted = radclient(&server, "auth", &first);
    assert_eq!(outcome(&accepted), Some("Access-Accept"), "{accepted:?}");
    // CoovaChilli gets its own data allowance attribute.
    assert!(
        String::from_utf8_lossy(&accepted.stdout)
            .contains("ChilliSpot-Max-Total-Octets = 50000000")
    );
    let second = format!(
        "{}Calling-Station-Id = \"02-00-00-00-00-02\"\n",
        pap(&code, &code)
    );
    let exhausted = radclient(&server, "auth", &second);
    assert_eq!(outcome(&exhausted), Some("Access-Reject"), "{exhausted:?}");
    assert!(String::from_utf8_lossy(&exhausted.stdout).contains("used up"));
}

#[test]
fn a_request_without_message_authenticator_gets_no_answer() {
    let server = start("127.0.0.1", with_guest);
    let output = radclient(
        &server,
        "auth",
        "User-Name = \"ann\"\nUser-Password = \"sunshine\"\n",
    );
    assert_eq!(outcome(&output), None, "{output:?}");
    assert!(!output.status.success());
    let answered = radclient(&server, "auth", &pap("ann", "sunshine"));
    assert_eq!(outcome(&answered), Some("Access-Accept"));
}

#[test]
fn an_unknown_nas_gets_no_answer() {
    let server = start("127.0.0.9", with_guest);
    let output = radclient(&server, "auth", &pap("ann", "sunshine"));
    assert_eq!(outcome(&output), None, "{output:?}");
}

#[test]
fn status_server_is_answered_on_the_auth_port() {
    let server = start("127.0.0.1", |_| {});
    let output = radclient(&server, "status", "Message-Authenticator = 0x00\n");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("Received Access-Accept"),
        "{output:?}"
    );
}

fn good_request(identifier: u8) -> Vec<u8> {
    let authenticator = [identifier; 16];
    let hidden = hide_password(b"sunshine", SECRET.as_bytes(), &authenticator).unwrap();
    let request = Packet {
        code: Code::AccessRequest,
        identifier,
        authenticator,
        attributes: vec![
            Attribute::text(attr::USER_NAME, "ann"),
            Attribute::new(attr::USER_PASSWORD, hidden),
        ],
    };
    request.encode_request(SECRET.as_bytes(), true).unwrap()
}

#[test]
fn malformed_packets_get_no_answer_and_the_next_good_request_does() {
    let server = start("127.0.0.1", with_guest);
    let socket = client();
    let good = good_request(40);
    let mut oversized = good_request(41);
    oversized.resize(5000, 0);
    oversized[2..4].copy_from_slice(&5000u16.to_be_bytes());
    let mut length_past_datagram = good_request(42);
    length_past_datagram[3] = length_past_datagram[3].wrapping_add(10);
    let with_attribute = |typ_len: [u8; 2]| {
        let mut bytes = good_request(43);
        bytes.extend_from_slice(&typ_len);
        let length = u16::try_from(bytes.len()).unwrap();
        bytes[2..4].copy_from_slice(&length.to_be_bytes());
        bytes
    };
    let malformed: Vec<(&str, Vec<u8>)> = vec![
        ("truncated header", good[..12].to_vec()),
        ("truncated attributes", good[..good.len() - 5].to_vec()),
        ("length larger than the datagram", length_past_datagram),
        ("attribute of length 0", with_attribute([1, 0])),
        ("attribute of length 1", with_attribute([1, 1])),
        ("over 4096 octets", oversized),
    ];
    for (what, bytes) in &malformed {
        assert_eq!(
            exchange(&socket, server.auth, bytes),
            None,
            "{what} was answered"
        );
    }
    let reply = exchange(&socket, server.auth, &good).expect("the next good request is answered");
    assert_eq!(Packet::decode(&reply).unwrap().code, Code::AccessAccept);
}

#[test]
fn a_good_request_with_padding_after_its_length_is_answered() {
    let server = start("127.0.0.1", with_guest);
    let socket = client();
    let mut padded = good_request(50);
    padded.extend_from_slice(&[0u8; 100]);
    let reply = exchange(&socket, server.auth, &padded).expect("padded request answered");
    assert_eq!(Packet::decode(&reply).unwrap().code, Code::AccessAccept);
}

#[test]
fn accounting_requests_are_acknowledged() {
    let server = start("127.0.0.1", with_guest);
    let start_request =
        "Acct-Status-Type = Start\nAcct-Session-Id = \"s-1\"\nUser-Name = \"ann\"\n";
    let output = radclient(&server, "acct", start_request);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("Received Accounting-Response"),
        "{output:?}"
    );
    let stop = "Acct-Status-Type = Stop\nAcct-Session-Id = \"s-1\"\nUser-Name = \"ann\"\nAcct-Input-Octets = 100\n";
    let output = radclient(&server, "acct", stop);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("Received Accounting-Response"),
        "{output:?}"
    );
}

#[tokio::test]
async fn nas_secrets_are_generated_once_or_checked_and_changes_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    commons(dir.path(), &["site", "add", "Park Cafe"]);
    let printed = commons(
        dir.path(),
        &[
            "nas",
            "add",
            "--site",
            "park-cafe",
            "--address",
            "192.0.2.0/24",
        ],
    );
    let secret = printed
        .lines()
        .find_map(|line| line.strip_prefix("shared secret (shown once): "))
        .expect("a generated secret is printed");
    assert_eq!(secret.len(), 32);
    assert!(secret.chars().all(|ch| ch.is_ascii_alphanumeric()));

    let short = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "nas",
            "add",
            "--site",
            "park-cafe",
            "--address",
            "192.0.2.7",
            "--secret",
            "too-short",
        ])
        .output()
        .unwrap();
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 16 characters"));
    let weak = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "nas",
            "add",
            "--site",
            "park-cafe",
            "--address",
            "192.0.2.8",
            "--secret",
            "twenty-characters-ok",
        ])
        .output()
        .unwrap();
    assert!(weak.status.success());
    assert!(
        String::from_utf8_lossy(&weak.stderr)
            .contains("warning: the shared secret is shorter than 24")
    );

    let url = commons_store::DatabaseUrl::sqlite_in(dir.path()).unwrap();
    let store = commons_store::Store::connect(&commons_store::StoreOptions::new(url))
        .await
        .unwrap();
    let audit = store.recent_audit(10).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(actions, ["nas.create", "nas.create", "site.create"]);
    assert!(audit.iter().all(|entry| {
        !entry
            .after_json
            .clone()
            .unwrap_or_default()
            .contains(secret)
    }));
    store.close().await;
}
