//! Load generator: PAP Access-Requests with Message-Authenticator at a set concurrency,
//! optionally paced to a total rate, reporting requests per second and latency
//! percentiles. Bounded by a request count and a time limit, whichever comes first.
//!
//! ```text
//! radius-bench --server 127.0.0.1:21812 --secret S --users 100000 \
//!     [--user-prefix user] [--password-prefix pass] [--concurrency 32] \
//!     [--requests 200000] [--seconds 20] [--rate 0]
//! ```
//!
//! User `i` (0 ≤ i < users) is `{user-prefix}{i}` with password `{password-prefix}{i}`.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use commons_radius::codec::{Attribute, Code, Packet, dictionary as attr, hide_password};
use tokio::net::UdpSocket;

/// How long one request may take before it counts as lost.
const REPLY_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
struct Options {
    server: SocketAddr,
    secret: String,
    users: u64,
    user_prefix: String,
    password_prefix: String,
    concurrency: u64,
    requests: u64,
    seconds: u64,
    rate: u64,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        server: "127.0.0.1:21812".parse().map_err(|_| "default server")?,
        secret: String::new(),
        users: 1,
        user_prefix: "user".into(),
        password_prefix: "pass".into(),
        concurrency: 32,
        requests: 100_000,
        seconds: 20,
        rate: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag}: {value:?} is not a number"))
        };
        match flag.as_str() {
            "--server" => {
                options.server = value.parse().map_err(|_| format!("--server: {value:?}"))?
            }
            "--secret" => options.secret = value.clone(),
            "--users" => options.users = number()?.max(1),
            "--user-prefix" => options.user_prefix = value.clone(),
            "--password-prefix" => options.password_prefix = value.clone(),
            "--concurrency" => options.concurrency = number()?.max(1),
            "--requests" => options.requests = number()?,
            "--seconds" => options.seconds = number()?.clamp(1, 600),
            "--rate" => options.rate = number()?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if options.secret.is_empty() {
        return Err("--secret is required".into());
    }
    Ok(options)
}

struct Totals {
    issued: AtomicU64,
    accepted: AtomicU64,
    rejected: AtomicU64,
    lost: AtomicU64,
}

fn request(options: &Options, identifier: u8, user: u64) -> Vec<u8> {
    let authenticator: [u8; 16] = rand::random();
    let password = format!("{}{user}", options.password_prefix);
    let hidden = hide_password(
        password.as_bytes(),
        options.secret.as_bytes(),
        &authenticator,
    )
    .unwrap_or_default();
    let packet = Packet {
        code: Code::AccessRequest,
        identifier,
        authenticator,
        attributes: vec![
            Attribute::text(attr::USER_NAME, &format!("{}{user}", options.user_prefix)),
            Attribute::new(attr::USER_PASSWORD, hidden),
            Attribute::new(attr::NAS_IP_ADDRESS, [127, 0, 0, 1]),
        ],
    };
    packet
        .encode_request(options.secret.as_bytes(), true)
        .unwrap_or_default()
}

async fn worker(
    options: Arc<Options>,
    totals: Arc<Totals>,
    deadline: Instant,
    seed: u64,
) -> std::io::Result<Vec<u32>> {
    let socket = UdpSocket::bind("127.0.0.1:0").await?;
    socket.connect(options.server).await?;
    let mut latencies = Vec::new();
    let mut buffer = vec![0u8; 4096];
    // Workers are spread evenly over one period, so a paced run is a steady stream
    // rather than bursts of every worker at once.
    let mut pace = (options.rate > 0).then(|| {
        let per_worker = (options.rate as f64 / options.concurrency as f64).max(0.001);
        let period = Duration::from_secs_f64(1.0 / per_worker);
        let offset = period.mul_f64(seed as f64 / options.concurrency as f64);
        tokio::time::interval_at(tokio::time::Instant::now() + offset, period)
    });
    let mut identifier: u8 = 0;
    let mut user = seed;
    while Instant::now() < deadline {
        if totals.issued.fetch_add(1, Ordering::Relaxed) >= options.requests {
            break;
        }
        if let Some(pace) = pace.as_mut() {
            pace.tick().await;
        }
        identifier = identifier.wrapping_add(1);
        user = (user + options.concurrency) % options.users;
        let bytes = request(&options, identifier, user);
        let sent = Instant::now();
        socket.send(&bytes).await?;
        // Wait for the reply to this identifier; stale replies are skipped.
        let answer = tokio::time::timeout(REPLY_TIMEOUT, async {
            loop {
                let len = socket.recv(&mut buffer).await?;
                if len >= 20 && buffer[1] == identifier {
                    return Ok::<u8, std::io::Error>(buffer[0]);
                }
            }
        })
        .await;
        match answer {
            Ok(Ok(code)) => {
                let micros = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
                latencies.push(micros);
                let counter = if code == 2 {
                    &totals.accepted
                } else {
                    &totals.rejected
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Err(err)) => return Err(err),
            Err(_) => {
                totals.lost.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    Ok(latencies)
}

fn percentile(sorted: &[u32], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    f64::from(sorted[rank.min(sorted.len() - 1)]) / 1000.0
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let options = match parse_options() {
        Ok(options) => Arc::new(options),
        Err(err) => {
            eprintln!("radius-bench: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    let totals = Arc::new(Totals {
        issued: AtomicU64::new(0),
        accepted: AtomicU64::new(0),
        rejected: AtomicU64::new(0),
        lost: AtomicU64::new(0),
    });
    let started = Instant::now();
    let deadline = started + Duration::from_secs(options.seconds);
    let workers: Vec<_> = (0..options.concurrency)
        .map(|seed| {
            tokio::spawn(worker(
                Arc::clone(&options),
                Arc::clone(&totals),
                deadline,
                seed,
            ))
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        match worker.await {
            Ok(Ok(mut part)) => latencies.append(&mut part),
            Ok(Err(err)) => eprintln!("radius-bench: worker failed: {err}"),
            Err(err) => eprintln!("radius-bench: worker panicked: {err}"),
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let answered = latencies.len() as f64;
    println!(
        "RESULT rps={:.0} p50_ms={:.3} p99_ms={:.3} max_ms={:.3} accepted={} rejected={} lost={} seconds={:.1} concurrency={} rate={}",
        answered / elapsed,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
        totals.accepted.load(Ordering::Relaxed),
        totals.rejected.load(Ordering::Relaxed),
        totals.lost.load(Ordering::Relaxed),
        elapsed,
        options.concurrency,
        options.rate,
    );
    std::process::ExitCode::SUCCESS
}
