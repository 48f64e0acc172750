//! Delivering the email outbox by SMTP, when a mail server is configured.

use std::time::Duration;

use commons_store::{OutboxEmail, Store};
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

use crate::Error;

/// How often the outbox is looked at for messages to send.
const POLL_EVERY: Duration = Duration::from_secs(5);

/// Messages sent per look.
const BATCH: i64 = 20;

/// Delivery attempts before a message is left for a person to look at.
const MAX_ATTEMPTS: i64 = 8;

/// The mail server and the sender address.
#[derive(Clone, Debug)]
pub struct Smtp {
    /// `smtp://host:port` (STARTTLS when offered), `smtp://host:port?tls=required` or
    /// `smtps://user:password@host:465`. It may hold a password.
    pub url: SecretString,
    /// The `From` address, such as `Commons <commons@council.example>`.
    pub from: String,
}

/// A ready SMTP client and sender.
pub(crate) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// Checks the settings and makes the client; nothing is connected yet.
    ///
    /// # Errors
    ///
    /// [`Error::MailSetupFailed`] naming what is wrong with the URL or the address.
    pub(crate) fn new(smtp: &Smtp) -> Result<Self, Error> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp.url.expose_secret())
            .map_err(|err| Error::MailSetupFailed(format!("SMTP URL: {err}")))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = smtp
            .from
            .parse()
            .map_err(|err| Error::MailSetupFailed(format!("sender address: {err}")))?;
        Ok(Self { transport, from })
    }

    async fn send(&self, email: &OutboxEmail) -> Result<(), String> {
        let to: Mailbox = email
            .to_addr
            .parse()
            .map_err(|err| format!("recipient: {err}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(email.body.clone())
            .map_err(|err| format!("message: {err}"))?;
        self.transport
            .send(message)
            .await
            .map_err(|err| err.to_string())?;
        Ok(())
    }

    /// Sends what the outbox holds, once; returns how many went.
    ///
    /// # Guarantees
    ///
    /// A message is marked sent only after the server accepted it; a failure is
    /// counted and retried on a later pass, up to a bound. A crash between acceptance
    /// and marking can send a message twice, never lose one.
    ///
    /// # Errors
    ///
    /// [`Error::StoreFailed`] when the outbox cannot be read or updated.
    pub(crate) async fn deliver_once(&self, store: &Store) -> Result<usize, Error> {
        let mut sent = 0;
        for email in store.unsent_emails(BATCH, MAX_ATTEMPTS).await? {
            match self.send(&email).await {
                Ok(()) => {
                    store.mark_email_sent(email.id).await?;
                    sent += 1;
                }
                Err(reason) => {
                    tracing::warn!(id = email.id, attempts = email.attempts + 1, error = %reason, "email not delivered");
                    store.record_email_failure(email.id, &reason).await?;
                }
            }
        }
        Ok(sent)
    }

    /// Delivers the outbox every few seconds until `shutdown`.
    pub(crate) async fn run(self, store: Store, shutdown: CancellationToken) {
        let mut every = tokio::time::interval(POLL_EVERY);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = every.tick() => {}
            }
            match self.deliver_once(&store).await {
                Ok(0) => {}
                Ok(sent) => tracing::debug!(sent, "emails delivered"),
                Err(err) => tracing::warn!(error = %err, "outbox unreadable"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::{
        io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
        net::TcpListener,
    };

    use super::*;

    /// A one-connection SMTP server on loopback that refuses recipients in `refuse` and
    /// returns the message data it accepted.
    async fn smtp_server(refuse: &'static str) -> (u16, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let (read, mut write) = socket.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 test ESMTP\r\n").await.unwrap();
            let mut data = String::new();
            let mut in_data = false;
            while let Ok(Some(line)) = lines.next_line().await {
                if in_data {
                    if line == "." {
                        in_data = false;
                        write.write_all(b"250 queued\r\n").await.unwrap();
                    } else {
                        data.push_str(&line);
                        data.push('\n');
                    }
                    continue;
                }
                let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 test\r\n",
                    "RCPT" if line.contains(refuse) => b"550 no such user\r\n",
                    "DATA" => {
                        in_data = true;
                        b"354 go on\r\n"
                    }
                    "QUIT" => {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    }
                    _ => b"250 ok\r\n",
                };
                write.write_all(reply).await.unwrap();
            }
            data
        });
        (port, server)
    }

    fn mailer(port: u16) -> Mailer {
        Mailer::new(&Smtp {
            url: format!("smtp://127.0.0.1:{port}").into(),
            from: "Commons <commons@council.example>".into(),
        })
        .unwrap()
    }

    fn email(to: &str) -> commons_store::NewEmail {
        commons_store::NewEmail {
            to: to.into(),
            subject: "Confirm your email address".into(),
            body: "Open this link".into(),
        }
    }

    #[tokio::test]
    async fn accepted_messages_are_marked_sent_and_refused_ones_counted() {
        let store = commons_store::testing::fresh(commons_store::Backend::Sqlite).await;
        let ok = store
            .enqueue_email(&email("ann@example.org"))
            .await
            .unwrap();
        let refused = store
            .enqueue_email(&email("ghost@example.org"))
            .await
            .unwrap();
        let (port, server) = smtp_server("ghost@").await;

        let sent = mailer(port).deliver_once(&store).await.unwrap();

        assert_eq!(sent, 1);
        let emails = store.recent_emails(10).await.unwrap();
        let by_id = |id| emails.iter().find(|e| e.id == id).unwrap();
        assert!(by_id(ok).sent_at.is_some());
        assert_eq!((by_id(refused).sent_at, by_id(refused).attempts), (None, 1));
        drop(store);
        let data = server.await.unwrap();
        assert!(
            data.contains("Subject: Confirm your email address"),
            "{data}"
        );
        assert!(data.contains("Open this link"), "{data}");
        assert!(data.contains("To: ann@example.org"), "{data}");
    }

    #[test]
    fn bad_settings_are_refused_before_start() {
        let bad_url = Smtp {
            url: "gopher://x".to_owned().into(),
            from: "a@b.example".into(),
        };
        assert!(matches!(
            Mailer::new(&bad_url),
            Err(Error::MailSetupFailed(_))
        ));
        let bad_from = Smtp {
            url: "smtp://127.0.0.1:25".to_owned().into(),
            from: "nobody".into(),
        };
        assert!(matches!(
            Mailer::new(&bad_from),
            Err(Error::MailSetupFailed(_))
        ));
    }
}
