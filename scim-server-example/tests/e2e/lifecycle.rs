//! Data lifecycle and operations: a write slower than `--request-timeout`
//! is answered with its real result, certificates reload on `SIGHUP`, and
//! `tenant delete` leaves nothing behind while its token still works from
//! a cache.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Server, Storage, TOKEN, cleanup, patch_op};

/// A PATCH that waits longer than the timeout for SQLite's write lock (a
/// test connection holds it) is committed and answered with its result:
/// never `408` for a change that was made, which Entra ID would retry.
#[tokio::test]
async fn a_write_slower_than_the_request_timeout_gets_its_real_result() {
    let storage = Storage::sqlite();
    let Storage::Sqlite(dir) = &storage else {
        unreachable!()
    };
    let server = Server::start(&storage, &["--request-timeout", "1"]);
    let scim = server.client(TOKEN);
    let id = scim.create_host("slow@example.com").await;

    // Hold the write lock for 2.5 s, past the 1 s timeout.
    let (locked, is_locked) = std::sync::mpsc::channel();
    let db = dir.join("scim.db");
    let holder = std::thread::spawn(move || {
        let mut conn = rusqlite::Connection::open(db).unwrap();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        locked.send(()).unwrap();
        std::thread::sleep(Duration::from_millis(2500));
        tx.rollback().unwrap();
    });
    is_locked.recv().unwrap();

    let started = Instant::now();
    let reply = scim
        .patch(
            &format!("/Users/{id}"),
            patch_op(json!([{"op": "replace", "path": "name.givenName", "value": "Slow"}])),
        )
        .await;
    let took = started.elapsed();
    holder.join().unwrap();
    assert!(took >= Duration::from_secs(2), "the write waited: {took:?}");
    assert!(
        reply.status == 200 || reply.status == 204,
        "the committed change is answered as such, not {}: {:?}",
        reply.status,
        reply.body
    );
    let host = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(host.body["name"]["givenName"], "Slow");
    drop(server);
    cleanup(&storage);
}

/// The certificate a new TLS connection to `addr` is shown (any is
/// accepted: the test compares it).
async fn served_certificate(addr: &str) -> Vec<u8> {
    use std::sync::Arc;

    use tokio_rustls::TlsConnector;
    use tokio_rustls::rustls::client::danger::{
        HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
    };
    use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use tokio_rustls::rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

    #[derive(Debug)]
    struct AnyCertificate(Arc<tokio_rustls::rustls::crypto::CryptoProvider>);
    impl ServerCertVerifier for AnyCertificate {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, tokio_rustls::rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
            tokio_rustls::rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
            tokio_rustls::rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }
        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the TLS handshake succeeds");
    tls.get_ref().1.peer_certificates().unwrap()[0]
        .as_ref()
        .to_vec()
}

/// A renewed certificate is served after `SIGHUP`, without a restart; a
/// broken pair is logged and the previous certificate stays.
#[tokio::test]
async fn sighup_reloads_the_tls_certificate() {
    let storage = Storage::sqlite();
    let Storage::Sqlite(dir) = &storage else {
        unreachable!()
    };
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    let write = |c: &rcgen::CertifiedKey| {
        std::fs::write(&cert_path, c.cert.pem()).unwrap();
        std::fs::write(&key_path, c.key_pair.serialize_pem()).unwrap();
    };
    let a = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    write(&a);
    let server = Server::start_with_env(
        &storage,
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
        &[("SCIM_LOG", "info")],
    );
    let addr = server.origin.trim_start_matches("https://").to_owned();
    assert_eq!(served_certificate(&addr).await, a.cert.der().as_ref());

    let b = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    write(&b);
    server.signal("HUP");
    server.wait_for_log(&["reloaded the TLS certificate"]).await;
    assert_eq!(served_certificate(&addr).await, b.cert.der().as_ref());

    // A certificate without its key: refused, b stays.
    let c = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(&cert_path, c.cert.pem()).unwrap();
    server.signal("HUP");
    server
        .wait_for_log(&["kept the previous TLS certificate"])
        .await;
    assert_eq!(served_certificate(&addr).await, b.cert.der().as_ref());
    drop(server);
    cleanup(&storage);
}
