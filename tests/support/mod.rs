//! Helpers for tests that run the real `commons` binary on loopback.

#![allow(dead_code, reason = "each test file uses a different subset")]
#![allow(
    clippy::disallowed_methods,
    reason = "these helpers block on purpose: no async runtime"
)]
#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failure here is the test failing"
)]

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream, UdpSocket},
    path::Path,
    process::{Child, Command, ExitStatus, Output, Stdio},
    time::{Duration, Instant},
};

/// The binary under test.
pub(crate) fn commons() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_commons"));
    // Keep the child's configuration to what the test passes.
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("COMMONS_") {
            command.env_remove(key);
        }
    }
    command.env("RUST_LOG", "info");
    command
}

/// A loopback TCP port free at the time of asking.
pub(crate) fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A loopback UDP port free at the time of asking.
pub(crate) fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Loopback addresses for one `commons` process.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ports {
    pub(crate) portal: u16,
    pub(crate) auth: u16,
    pub(crate) acct: u16,
    pub(crate) ops: u16,
}

impl Ports {
    pub(crate) fn new() -> Self {
        Self {
            portal: free_tcp_port(),
            auth: free_udp_port(),
            acct: free_udp_port(),
            ops: free_tcp_port(),
        }
    }

    /// The flags that put a process on these ports.
    pub(crate) fn args(&self) -> Vec<String> {
        vec![
            format!("--portal-listen=127.0.0.1:{}", self.portal),
            format!("--radius-auth-listen=127.0.0.1:{}", self.auth),
            format!("--radius-acct-listen=127.0.0.1:{}", self.acct),
            format!("--ops-listen=127.0.0.1:{}", self.ops),
        ]
    }
}

/// A running child, killed by PID when dropped.
pub(crate) struct Running {
    pub(crate) child: Child,
}

impl Running {
    pub(crate) fn spawn(command: &mut Command) -> Self {
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the commons binary starts");
        Self { child }
    }

    /// Sends SIGTERM and waits for the exit, bounded.
    pub(crate) fn terminate(mut self, within: Duration) -> (ExitStatus, String, String) {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        let status = wait_bounded(&mut self.child, within).expect("process exits after SIGTERM");
        let (stdout, stderr) = drain(&mut self.child);
        (status, stdout, stderr)
    }

    /// Waits for the process to exit on its own, bounded.
    pub(crate) fn wait(mut self, within: Duration) -> (ExitStatus, String, String) {
        let status = wait_bounded(&mut self.child, within).expect("process exits in time");
        let (stdout, stderr) = drain(&mut self.child);
        (status, stdout, stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn drain(child: &mut Child) -> (String, String) {
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    (stdout, stderr)
}

fn wait_bounded(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("wait on child") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    None
}

/// Runs a command to completion, bounded.
pub(crate) fn run_bounded(command: &mut Command, within: Duration) -> Output {
    let running = Running::spawn(command);
    let (status, stdout, stderr) = running.wait(within);
    Output {
        status,
        stdout: stdout.into_bytes(),
        stderr: stderr.into_bytes(),
    }
}

/// A minimal HTTP/1.1 exchange: returns status, headers and body.
pub(crate) fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    form: Option<&str>,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let body = form.unwrap_or("");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if form.is_some() {
        request.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
    }
    request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

/// Polls `GET path` until it answers 200, for at most `within`.
pub(crate) fn wait_for_http_ok(addr: SocketAddr, path: &str, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
            && http(addr, "GET", path, None).0 == 200
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A fresh data directory for one process.
pub(crate) fn data_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// `--data-dir=…` for `dir`.
pub(crate) fn data_dir_arg(dir: &Path) -> String {
    format!("--data-dir={}", dir.display())
}

pub(crate) fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}
