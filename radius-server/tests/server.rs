//! The server on real loopback sockets, with the store (SQLite) behind it, driven by
//! requests built with our own codec.

#![expect(clippy::unwrap_used, reason = "helpers of a test fail it on any error")]

use std::{future::Future, net::SocketAddr, time::Duration};

use commons_radius::{
    Backend, Tuning,
    codec::{
        Attribute, Code, Packet, accounting_request_authenticator, dictionary as attr,
        hide_password,
    },
    server::{Sockets, serve},
};
use commons_store::{
    AccountingRecord, Device, Error, GuestAccount, MacAddress, NasClient, NewAuthLogEntry,
    NewNasClient, NewVouchers, Redemption, SharedSecret, SiteId, SitePolicy, Store, Voucher,
    WifiSite,
    testing::{TestStore, fresh},
};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

const SECRET: &str = "an-example-secret-of-some-length";

/// The store, except that looking up the guest `boom` panics.
struct Panicky(Store);

impl Backend for Panicky {
    fn nas_clients(&self) -> impl Future<Output = Result<Vec<NasClient>, Error>> + Send {
        self.0.nas_clients()
    }
    fn site_policies(&self) -> impl Future<Output = Result<Vec<SitePolicy>, Error>> + Send {
        self.0.site_policies()
    }
    async fn guest(&self, site: SiteId, username: &str) -> Result<Option<GuestAccount>, Error> {
        assert_ne!(username, "boom", "a handler bug");
        self.0.guest(site, username).await
    }
    fn device(
        &self,
        site: SiteId,
        mac: MacAddress,
    ) -> impl Future<Output = Result<Option<Device>, Error>> + Send {
        self.0.device(site, mac)
    }
    fn voucher(&self, code: &str) -> impl Future<Output = Result<Option<Voucher>, Error>> + Send {
        self.0.voucher(code)
    }
    fn redeem_voucher(
        &self,
        id: i64,
        device: Option<MacAddress>,
    ) -> impl Future<Output = Result<Redemption, Error>> + Send {
        self.0.redeem_voucher(id, device)
    }
    fn record_auth(
        &self,
        entries: &[NewAuthLogEntry],
    ) -> impl Future<Output = Result<(), Error>> + Send {
        self.0.record_auth(entries)
    }
    fn purge_auth_log(&self, at: i64) -> impl Future<Output = Result<u64, Error>> + Send {
        self.0.purge_auth_log(at)
    }
    fn record_accounting(
        &self,
        record: &AccountingRecord,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        self.0.record_accounting(record)
    }
}

struct Running {
    store: TestStore,
    site: WifiSite,
    server: SocketAddr,
    accounting: SocketAddr,
    client: UdpSocket,
    shutdown: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn nas(site: &WifiSite, legacy: bool) -> NewNasClient {
    NewNasClient {
        site_id: site.id,
        name: "test-ap".into(),
        address: "127.0.0.1".parse().unwrap(),
        secret: SharedSecret::new(SECRET).unwrap(),
        vendor: "wispr".into(),
        require_message_authenticator: !legacy,
    }
}

async fn start(register: Option<bool>) -> Running {
    let store = fresh(commons_store::Backend::Sqlite).await;
    let site = store.create_site("Test Site").await.unwrap();
    if let Some(legacy) = register {
        store.create_nas_client(&nas(&site, legacy)).await.unwrap();
    }
    let any = ["127.0.0.1:0".parse().unwrap()];
    let sockets = Sockets::bind(&any, &any).await.unwrap();
    let server = sockets.auth_addrs()[0];
    let accounting = sockets.acct_addrs()[0];
    let shutdown = CancellationToken::new();
    let backend = Panicky((*store).clone());
    tokio::spawn(serve(backend, sockets, Tuning::default(), shutdown.clone()));
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    Running {
        store,
        site,
        server,
        accounting,
        client,
        shutdown,
    }
}

fn access_request(id: u8, username: &str, password: &str, extra: Vec<Attribute>) -> Packet {
    let authenticator: [u8; 16] =
        std::array::from_fn(|i| id.wrapping_mul(31).wrapping_add(i as u8));
    let hidden = hide_password(password.as_bytes(), SECRET.as_bytes(), &authenticator).unwrap();
    let mut attributes = vec![
        Attribute::text(attr::USER_NAME, username),
        Attribute::new(attr::USER_PASSWORD, hidden),
    ];
    attributes.extend(extra);
    Packet {
        code: Code::AccessRequest,
        identifier: id,
        authenticator,
        attributes,
    }
}

impl Running {
    async fn send(&self, bytes: &[u8]) -> Option<Vec<u8>> {
        self.send_to(self.server, bytes).await
    }

    async fn send_to(&self, to: SocketAddr, bytes: &[u8]) -> Option<Vec<u8>> {
        self.client.send_to(bytes, to).await.unwrap();
        let mut buffer = vec![0u8; 4096];
        let received =
            tokio::time::timeout(Duration::from_millis(500), self.client.recv(&mut buffer)).await;
        let len = received.ok()?.unwrap();
        buffer.truncate(len);
        Some(buffer)
    }

    async fn ask(&self, request: &Packet) -> Option<Packet> {
        let bytes = request.encode_request(SECRET.as_bytes(), true).unwrap();
        self.send(&bytes)
            .await
            .map(|reply| Packet::decode(&reply).unwrap())
    }
}

#[track_caller]
fn assert_code(reply: &Option<Packet>, code: Code) {
    assert_eq!(reply.as_ref().map(|p| p.code), Some(code), "{reply:?}");
}

#[tokio::test]
async fn a_duplicate_request_gets_the_cached_reply_not_a_second_decision() {
    let running = start(Some(false)).await;
    let batch = NewVouchers {
        count: 1,
        max_uses: 1,
        duration: None,
        data_limit_bytes: None,
        valid_for: None,
    };
    let code = running
        .store
        .issue_vouchers(running.site.id, &batch)
        .await
        .unwrap()[0]
        .code
        .clone();
    let request = access_request(1, &code, &code, vec![]);
    let bytes = request.encode_request(SECRET.as_bytes(), true).unwrap();
    let first = running.send(&bytes).await.unwrap();
    let again = running.send(&bytes).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(Packet::decode(&first).unwrap().code, Code::AccessAccept);

    // A new request with the same code is a second use, which the voucher lacks.
    let fresh_request = access_request(2, &code, &code, vec![]);
    assert_code(&running.ask(&fresh_request).await, Code::AccessReject);
}

#[tokio::test]
async fn a_panicking_handler_wedges_neither_the_request_nor_the_server() {
    let running = start(Some(false)).await;
    running
        .store
        .add_guest(running.site.id, "ann", "sunshine", None, None)
        .await
        .unwrap();
    let boom = access_request(7, "boom", "x", vec![]);
    assert!(running.ask(&boom).await.is_none());
    // The retransmission is decided afresh (and panics again), not ignored for good.
    assert!(running.ask(&boom).await.is_none());
    assert_code(
        &running
            .ask(&access_request(7, "ann", "sunshine", vec![]))
            .await,
        Code::AccessAccept,
    );
    assert_code(
        &running
            .ask(&access_request(8, "ann", "sunshine", vec![]))
            .await,
        Code::AccessAccept,
    );
}

#[tokio::test]
async fn a_new_nas_client_is_served_within_five_seconds_without_restart() {
    let running = start(None).await;
    running
        .store
        .add_guest(running.site.id, "ann", "sunshine", None, None)
        .await
        .unwrap();
    let request = access_request(3, "ann", "sunshine", vec![]);
    assert!(
        running.ask(&request).await.is_none(),
        "unknown sources get no answer"
    );
    running
        .store
        .create_nas_client(&nas(&running.site, false))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut id = 10;
    let reply = loop {
        id += 1;
        if let Some(reply) = running
            .ask(&access_request(id, "ann", "sunshine", vec![]))
            .await
        {
            break reply;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "not served after 5 s"
        );
    };
    assert_eq!(reply.code, Code::AccessAccept);
}

#[tokio::test]
async fn a_legacy_nas_may_omit_message_authenticator_but_not_with_proxy_state() {
    let running = start(Some(true)).await;
    running
        .store
        .add_guest(running.site.id, "ann", "sunshine", None, None)
        .await
        .unwrap();
    let plain = access_request(4, "ann", "sunshine", vec![]);
    let reply = running
        .send(&plain.encode().unwrap())
        .await
        .map(|r| Packet::decode(&r).unwrap());
    assert_code(&reply, Code::AccessAccept);
    let reply = reply.unwrap();
    assert_eq!(reply.attributes[0].typ, attr::MESSAGE_AUTHENTICATOR);

    let proxied = access_request(
        5,
        "ann",
        "sunshine",
        vec![Attribute::new(attr::PROXY_STATE, *b"hop1")],
    );
    assert!(running.send(&proxied.encode().unwrap()).await.is_none());
    let signed = running.ask(&proxied).await.unwrap();
    assert_eq!(signed.first(attr::PROXY_STATE), Some(&b"hop1"[..]));
}

#[tokio::test]
async fn rejects_explain_themselves_without_revealing_user_names() {
    let running = start(Some(false)).await;
    let store = &running.store;
    store
        .add_guest(
            running.site.id,
            "ann",
            "sunshine",
            Some(commons_store::now() - 1),
            None,
        )
        .await
        .unwrap();
    store
        .add_guest(running.site.id, "bob", "moonlight", None, None)
        .await
        .unwrap();
    let blocked = MacAddress::parse("02:00:00:00:00:09").unwrap();
    store
        .remember_device(running.site.id, blocked, Duration::from_secs(600))
        .await
        .unwrap();
    store
        .set_device_blocked(running.site.id, blocked, true)
        .await
        .unwrap();

    let message = |reply: Option<Packet>| {
        let reply = reply.unwrap();
        assert_eq!(reply.code, Code::AccessReject);
        reply.text(attr::REPLY_MESSAGE).unwrap().to_owned()
    };
    let unknown = message(
        running
            .ask(&access_request(20, "nobody", "sunshine", vec![]))
            .await,
    );
    let wrong = message(
        running
            .ask(&access_request(21, "bob", "sunshine", vec![]))
            .await,
    );
    assert_eq!(unknown, wrong);
    let expired = message(
        running
            .ask(&access_request(22, "ann", "sunshine", vec![]))
            .await,
    );
    assert!(expired.contains("expired"), "{expired}");
    let from_blocked = vec![Attribute::text(
        attr::CALLING_STATION_ID,
        "02-00-00-00-00-09",
    )];
    let refused = message(
        running
            .ask(&access_request(23, "bob", "moonlight", from_blocked))
            .await,
    );
    assert!(refused.contains("not allowed"), "{refused}");
}

#[tokio::test]
async fn status_server_needs_a_valid_message_authenticator() {
    let running = start(Some(false)).await;
    let status = Packet {
        code: Code::StatusServer,
        identifier: 9,
        authenticator: [3; 16],
        attributes: vec![],
    };
    assert!(running.send(&status.encode().unwrap()).await.is_none());
    assert_code(&running.ask(&status).await, Code::AccessAccept);
}

fn accounting_request(id: u8, status: u32, octets: u32) -> Vec<u8> {
    let mut request = Packet {
        code: Code::AccountingRequest,
        identifier: id,
        authenticator: [0; 16],
        attributes: vec![
            Attribute::integer(attr::ACCT_STATUS_TYPE, status),
            Attribute::text(attr::ACCT_SESSION_ID, "session-1"),
            Attribute::text(attr::USER_NAME, "ann"),
            Attribute::integer(attr::ACCT_INPUT_OCTETS, octets),
        ],
    };
    let unsigned = request.encode().unwrap();
    request.authenticator = accounting_request_authenticator(&unsigned, SECRET.as_bytes());
    request.encode().unwrap()
}

#[tokio::test]
async fn accounting_is_acknowledged_only_once_recorded() {
    let running = start(Some(false)).await;
    let nas_id = running.store.nas_clients().await.unwrap()[0].id;
    let start_bytes = accounting_request(1, 1, 0);
    let reply = running
        .send_to(running.accounting, &start_bytes)
        .await
        .expect("acknowledged");
    let response = Packet::decode(&reply).unwrap();
    assert_eq!(response.code, Code::AccountingResponse);
    // The Response Authenticator covers the request's authenticator and our secret.
    let mut expected = Packet::decode(&start_bytes)
        .unwrap()
        .reply(Code::AccountingResponse);
    expected.attributes.clear();
    assert_eq!(
        expected.encode_reply(SECRET.as_bytes(), false).unwrap(),
        reply
    );
    assert_eq!(running.store.open_sessions(nas_id).await.unwrap(), 1);

    let mut forged = accounting_request(2, 2, 10);
    forged[4] ^= 1;
    assert!(running.send_to(running.accounting, &forged).await.is_none());
    assert_eq!(running.store.open_sessions(nas_id).await.unwrap(), 1);
    let stop = accounting_request(3, 2, 10);
    assert!(running.send_to(running.accounting, &stop).await.is_some());

    // Proxy-State comes back in the Accounting-Response.
    let mut proxied = Packet::decode(&accounting_request(4, 3, 20)).unwrap();
    proxied
        .attributes
        .push(Attribute::new(attr::PROXY_STATE, *b"hop"));
    proxied.authenticator = [0; 16];
    let unsigned = proxied.encode().unwrap();
    proxied.authenticator = accounting_request_authenticator(&unsigned, SECRET.as_bytes());
    let reply = running
        .send_to(running.accounting, &proxied.encode().unwrap())
        .await
        .unwrap();
    assert_eq!(
        Packet::decode(&reply).unwrap().first(attr::PROXY_STATE),
        Some(&b"hop"[..])
    );
    assert_eq!(running.store.open_sessions(nas_id).await.unwrap(), 0);
}

#[tokio::test]
async fn ipv6_clients_are_served_on_an_ipv6_listener() {
    let store = fresh(commons_store::Backend::Sqlite).await;
    let site = store.create_site("Six").await.unwrap();
    let mut client = nas(&site, false);
    client.address = "::1".parse().unwrap();
    store.create_nas_client(&client).await.unwrap();
    store
        .add_guest(site.id, "ann", "sunshine", None, None)
        .await
        .unwrap();
    let sockets = Sockets::bind(&["[::1]:0".parse().unwrap()], &[])
        .await
        .unwrap();
    let server = sockets.auth_addrs()[0];
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(
        (*store).clone(),
        sockets,
        Tuning::default(),
        shutdown.clone(),
    ));

    let socket = UdpSocket::bind("[::1]:0").await.unwrap();
    let request = access_request(1, "ann", "sunshine", vec![]);
    socket
        .send_to(
            &request.encode_request(SECRET.as_bytes(), true).unwrap(),
            server,
        )
        .await
        .unwrap();
    let mut buffer = [0u8; 4096];
    let len = tokio::time::timeout(Duration::from_secs(2), socket.recv(&mut buffer))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        Packet::decode(&buffer[..len]).unwrap().code,
        Code::AccessAccept
    );

    // The decision reaches the auth log, written in the background.
    let mut logged = Vec::new();
    for _ in 0..50 {
        logged = store.recent_auth_log(5).await.unwrap();
        if !logged.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(logged.len(), 1);
    assert_eq!(
        (logged[0].username.as_str(), logged[0].result.as_str()),
        ("ann", "accept")
    );
    shutdown.cancel();
}
