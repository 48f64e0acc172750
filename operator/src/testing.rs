//! A mock Kubernetes API for tests, over kube's mock service: a scenario lists the exact
//! requests some work must make, in order, and the reply each gets.

use std::{future::Future, time::Duration};

use http::{Request, Response, header::CONTENT_TYPE};
use kube::{Client, client::Body};
use serde_json::{Value, json};

/// Longest a scenario may take before the test fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(30);

/// As a step's status: reply 200 with the request body itself, as an apply or create
/// does.
pub const ECHO: u16 = 0;

/// One expected request, `"METHOD /path?query"`, and the reply it gets.
#[derive(Debug)]
pub struct Step {
    /// The request line expected.
    pub request: String,
    /// The reply's status, or [`ECHO`].
    pub status: u16,
    /// The reply's body, unless the status is [`ECHO`].
    pub reply: Value,
}

/// A [`Step`].
pub fn step(request: impl Into<String>, status: u16, reply: Value) -> Step {
    Step {
        request: request.into(),
        status,
        reply,
    }
}

/// A Kubernetes `Status` failure with `code`, `reason` and `message`.
pub fn api_status(code: u16, reason: &str, message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "reason": reason, "code": code, "message": message})
}

/// A request as the mock API saw it.
#[derive(Debug)]
pub struct Seen {
    /// Its `Content-Type`, if any.
    pub content_type: Option<String>,
    /// Its body as JSON; `Null` when empty or not JSON.
    pub body: Value,
}

/// Runs `work` with a client of a mock API that expects exactly `steps`, in order;
/// returns its result and the requests seen.
///
/// # Panics
///
/// When a request differs from its step, a listed request never comes, or the work or
/// the mock takes longer than 30 seconds. A request beyond the list fails in `work`.
pub async fn scenario<T, F>(steps: Vec<Step>, work: impl FnOnce(Client) -> F) -> (T, Vec<Seen>)
where
    F: Future<Output = T>,
{
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let server = tokio::spawn(async move {
        let mut seen = Vec::new();
        for step in steps {
            let Some((request, reply)) = handle.next_request().await else {
                panic!("expected `{}`, but no request came", step.request);
            };
            let line = format!("{} {}", request.method(), request.uri());
            assert_eq!(line, step.request, "requests diverged from the scenario");
            let content_type = request
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let bytes = request
                .into_body()
                .collect_bytes()
                .await
                .expect("body readable");
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let (status, out) = match step.status {
                ECHO => (200, &body),
                status => (status, &step.reply),
            };
            let response = Response::builder()
                .status(status)
                .body(Body::from(serde_json::to_vec(out).expect("reply encodes")))
                .expect("response builds");
            reply.send_response(response);
            seen.push(Seen { content_type, body });
        }
        // Dropping the handle here makes any further request fail, which the work sees.
        seen
    });
    let result = tokio::time::timeout(PATIENCE, work(Client::new(service, "default")))
        .await
        .expect("the work finishes");
    let seen = tokio::time::timeout(PATIENCE, server)
        .await
        .expect("the mock API finishes")
        .expect("every listed request came");
    (result, seen)
}
