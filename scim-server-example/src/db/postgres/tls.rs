//! TLS for PostgreSQL connections, chosen as libpq does by the connection
//! string's `sslmode`:
//!
//! | `sslmode` | encrypted | certificate checked |
//! | --- | --- | --- |
//! | `disable` | no | — |
//! | `prefer` (the default) | if the server offers TLS | no |
//! | `require` | yes | no (chain, if `sslrootcert` names a file) |
//! | `verify-ca` | yes | chain to a trusted root |
//! | `verify-full` | yes | chain, and the host name |
//!
//! The trusted roots are the file `sslrootcert` names (PEM, one or more
//! certificates), else (or with `sslrootcert=system`) the operating
//! system's CA store. tokio-postgres knows neither `verify-*` nor
//! `sslrootcert`, so [`split`] takes them out of the string it is given.

use std::path::PathBuf;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::{
    CryptoProvider, verify_tls12_signature, verify_tls13_signature,
};
use tokio_rustls::rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme,
};

/// What `sslmode` asks for.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum SslMode {
    /// No TLS.
    Disable,
    /// TLS if the server offers it, unchecked.
    Prefer,
    /// TLS, unchecked.
    Require,
    /// TLS with a certificate chain to a trusted root.
    VerifyCa,
    /// TLS with a trusted chain for the host name connected to.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self, String> {
        Ok(match value {
            "disable" => Self::Disable,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode={other:?} is not one of disable, prefer, require, verify-ca, verify-full"
                ));
            }
        })
    }

    /// The mode tokio-postgres is given: it negotiates TLS, the connector
    /// checks the certificate.
    fn for_driver(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Prefer => "prefer",
            Self::Require | Self::VerifyCa | Self::VerifyFull => "require",
        }
    }
}

/// The trusted roots.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) enum Roots {
    /// The operating system's CA store.
    System,
    /// The certificates of this PEM file.
    File(PathBuf),
}

/// The TLS part of a connection string.
#[derive(Clone, Debug, Eq, PartialEq)]
pub(crate) struct TlsSettings {
    /// `sslmode`.
    pub(crate) mode: SslMode,
    /// `sslrootcert`.
    pub(crate) roots: Roots,
}

/// Takes `sslmode` and `sslrootcert` out of a connection string (a
/// `postgres://` URL or `key=value` words) and returns the string for
/// tokio-postgres, with the mode it understands, and the settings.
pub(crate) fn split(conninfo: &str) -> Result<(String, TlsSettings), String> {
    let mut mode = None;
    let mut root_cert = None;
    let mut take = |key: &str, value: String| -> Result<bool, String> {
        match key {
            "sslmode" => mode = Some(SslMode::parse(&value)?),
            "sslrootcert" => root_cert = Some(value),
            _ => return Ok(false),
        }
        Ok(true)
    };
    let url = conninfo.starts_with("postgres://") || conninfo.starts_with("postgresql://");
    // What tokio-postgres gets: the URL's base and kept query pairs, or the
    // kept words.
    let (base, mut kept) = if url {
        let (base, query) = conninfo.split_once('?').unwrap_or((conninfo, ""));
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !take(key, percent_decode(value))? {
                kept.push(pair.to_owned());
            }
        }
        (Some(base), kept)
    } else {
        let mut kept = Vec::new();
        for word in conninfo.split_whitespace() {
            let (key, value) = word.split_once('=').unwrap_or((word, ""));
            if value.starts_with('\'') && (key == "sslmode" || key == "sslrootcert") {
                return Err(format!(
                    "write {key} unquoted in a key=value connection string, or use a postgres:// URL"
                ));
            }
            if !take(key, value.to_owned())? {
                kept.push(word.to_owned());
            }
        }
        (None, kept)
    };
    let roots = match root_cert.as_deref() {
        None | Some("system") => Roots::System,
        Some("") => {
            return Err(
                "sslrootcert is empty: name a PEM file of CA certificates, or system".to_owned(),
            );
        }
        Some(path) => Roots::File(PathBuf::from(path)),
    };
    // An explicit root file makes `require` check the chain, as libpq does.
    let mode = match (mode, &roots) {
        (Some(SslMode::Require), Roots::File(_)) => SslMode::VerifyCa,
        (Some(mode), _) => mode,
        (None, _) => SslMode::Prefer,
    };
    kept.push(format!("sslmode={}", mode.for_driver()));
    let conninfo = match base {
        Some(base) => format!("{base}?{}", kept.join("&")),
        None => kept.join(" "),
    };
    Ok((conninfo, TlsSettings { mode, roots }))
}

/// A URL query value with its `%XX` escapes decoded (`+` stays `+`, as
/// in libpq's URIs).
fn percent_decode(value: &str) -> String {
    percent_encoding::percent_decode_str(value)
        .decode_utf8_lossy()
        .into_owned()
}

/// The rustls client configuration for `settings`; `None` for
/// `sslmode=disable`.
pub(crate) fn client_config(settings: &TlsSettings) -> Result<Option<ClientConfig>, String> {
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = match settings.mode {
        SslMode::Disable => return Ok(None),
        SslMode::Prefer | SslMode::Require => Arc::new(Unchecked(provider)),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = Arc::new(roots(&settings.roots)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| format!("TLS configuration: {e}"))?;
            if settings.mode == SslMode::VerifyCa {
                Arc::new(ChainOnly(webpki))
            } else {
                webpki
            }
        }
    };
    Ok(Some(
        builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth(),
    ))
}

/// The trusted roots.
fn roots(roots: &Roots) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    match roots {
        Roots::File(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            let (added, _) = store.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!(
                    "sslrootcert {} holds no CA certificate in PEM",
                    path.display()
                ));
            }
        }
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                let errors: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
                return Err(format!(
                    "no CA certificates in the system store ({}); name a PEM file with sslrootcert=",
                    errors.join("; ")
                ));
            }
        }
    }
    Ok(store)
}

/// `prefer` and `require`: encryption against a passive listener only;
/// any certificate is accepted, but the handshake's signatures are still
/// checked.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
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
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
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

/// `verify-ca`: the chain must lead to a trusted root; the name in the
/// certificate may differ from the host connected to. (rustls checks the
/// chain before the name, so a name error means the chain was good.)
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// One connection made as [`super::open`]'s pool makes them (the string
/// split, the client configuration, the connector), its driver task
/// spawned; errors carry the driver's cause.
#[cfg(test)]
pub(super) async fn connect(conninfo: &str) -> Result<tokio_postgres::Client, String> {
    let (conninfo, settings) = split(conninfo)?;
    let config: tokio_postgres::Config = conninfo.parse().map_err(|e| format!("{e}"))?;
    let client = match client_config(&settings)? {
        Some(tls) => {
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
            let (client, connection) = config
                .connect(tls)
                .await
                .map_err(|e| super::with_causes(&e))?;
            tokio::spawn(connection);
            client
        }
        None => {
            let (client, connection) = config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| super::with_causes(&e))?;
            tokio::spawn(connection);
            client
        }
    };
    Ok(client)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;
    use tokio_rustls::TlsAcceptor;
    use tokio_rustls::rustls::ServerConfig;

    use super::*;

    fn settings(mode: SslMode, roots: Roots) -> TlsSettings {
        TlsSettings { mode, roots }
    }

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_of_urls() {
        let (url, s) = split("postgres://u@db:5432/scim").unwrap();
        assert_eq!(url, "postgres://u@db:5432/scim?sslmode=prefer");
        assert_eq!(s, settings(SslMode::Prefer, Roots::System));

        let (url, s) =
            split("postgres://u@db/scim?options=-csearch_path%3Dx&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem")
                .unwrap();
        assert_eq!(
            url,
            "postgres://u@db/scim?options=-csearch_path%3Dx&sslmode=require"
        );
        assert_eq!(
            s,
            settings(SslMode::VerifyFull, Roots::File("/etc/ca.pem".into()))
        );

        let (url, s) = split("postgresql://db/scim?sslmode=disable").unwrap();
        assert_eq!(url, "postgresql://db/scim?sslmode=disable");
        assert_eq!(s.mode, SslMode::Disable);
        assert_eq!(
            split("postgres://db/scim?sslmode=verify-ca&sslrootcert=system")
                .unwrap()
                .1,
            settings(SslMode::VerifyCa, Roots::System)
        );
        // A root file makes require check the chain, as in libpq.
        assert_eq!(
            split("postgres://db/x?sslmode=require&sslrootcert=ca.pem")
                .unwrap()
                .1,
            settings(SslMode::VerifyCa, Roots::File("ca.pem".into()))
        );
        assert_eq!(
            split("postgres://db/x?sslmode=require").unwrap().1.mode,
            SslMode::Require
        );
    }

    #[test]
    fn key_value_strings_work_too_and_bad_values_are_named() {
        let (conninfo, s) =
            split("host=db user=u sslmode=verify-full sslrootcert=/ca.pem").unwrap();
        assert_eq!(conninfo, "host=db user=u sslmode=require");
        assert_eq!(
            s,
            settings(SslMode::VerifyFull, Roots::File("/ca.pem".into()))
        );
        let e = split("postgres://db/x?sslmode=allow").unwrap_err();
        assert!(e.contains("verify-full"), "{e}");
        let e = split("host=db sslrootcert='/a b.pem'").unwrap_err();
        assert!(e.contains("unquoted"), "{e}");
        assert!(split("postgres://db/x?sslrootcert=").is_err());
    }

    #[test]
    fn the_connector_follows_the_mode() {
        assert!(
            client_config(&settings(SslMode::Disable, Roots::System))
                .unwrap()
                .is_none()
        );
        assert!(
            client_config(&settings(SslMode::Require, Roots::System))
                .unwrap()
                .is_some()
        );
        let dir = crate::db::testing::TempDir::new("pg-tls");
        let ca = rcgen::generate_simple_self_signed(vec!["db.example".to_owned()]).unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, ca.cert.pem()).unwrap();
        let file = Roots::File(path.clone());
        assert!(
            client_config(&settings(SslMode::VerifyFull, file.clone()))
                .unwrap()
                .is_some()
        );
        assert!(
            client_config(&settings(SslMode::VerifyCa, file))
                .unwrap()
                .is_some()
        );

        let missing = Roots::File(dir.path().join("missing.pem"));
        let e = client_config(&settings(SslMode::VerifyFull, missing)).unwrap_err();
        assert!(e.contains("missing.pem"), "{e}");
        let not_pem = dir.path().join("key.pem");
        std::fs::write(&not_pem, ca.key_pair.serialize_pem()).unwrap();
        let e = client_config(&settings(SslMode::VerifyCa, Roots::File(not_pem))).unwrap_err();
        assert!(e.contains("no CA certificate"), "{e}");
    }

    /// What a fake PostgreSQL server saw of one client.
    #[derive(Debug, Eq, PartialEq)]
    enum Seen {
        /// A startup message in plain text; `asked_tls` if an `SSLRequest`
        /// (answered `N`) came first.
        Plain { asked_tls: bool },
        /// A startup message inside a completed TLS handshake.
        Tls,
        /// No startup message: the client gave up first.
        Nothing,
    }

    /// The `SSLRequest` message: length 8, code 80877103.
    const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

    /// Whether `message` (its first 8 bytes) begins a protocol 3.0
    /// startup message.
    fn is_startup(message: &[u8; 8]) -> bool {
        message[4..] == [0, 3, 0, 0]
    }

    /// Accepts one client on a loopback port, answers its `SSLRequest`
    /// with `S` and a TLS handshake under `tls`, or with `N` without, and
    /// says what came next.
    async fn fake_server(tls: Option<ServerConfig>) -> (u16, tokio::task::JoinHandle<Seen>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut first = [0u8; 8];
            if stream.read_exact(&mut first).await.is_err() {
                return Seen::Nothing;
            }
            if first != SSL_REQUEST {
                return if is_startup(&first) {
                    Seen::Plain { asked_tls: false }
                } else {
                    Seen::Nothing
                };
            }
            let mut next = [0u8; 8];
            match tls {
                None => {
                    stream.write_all(b"N").await.unwrap();
                    match stream.read_exact(&mut next).await {
                        Ok(_) if is_startup(&next) => Seen::Plain { asked_tls: true },
                        _ => Seen::Nothing,
                    }
                }
                Some(config) => {
                    stream.write_all(b"S").await.unwrap();
                    let Ok(mut tls) = TlsAcceptor::from(Arc::new(config)).accept(stream).await
                    else {
                        return Seen::Nothing;
                    };
                    match tls.read_exact(&mut next).await {
                        Ok(_) if is_startup(&next) => Seen::Tls,
                        _ => Seen::Nothing,
                    }
                }
            }
        });
        (port, seen)
    }

    /// Runs one client with `query` against a fake server at `host`, and
    /// returns what the server saw and how the client ended. The fake
    /// closes after the startup message, so the client always fails; the
    /// point is what it sent, and the error it gave when it refused.
    async fn against(tls: Option<ServerConfig>, host: &str, query: &str) -> (Seen, String) {
        let (port, seen) = fake_server(tls).await;
        let conninfo = format!("postgres://scim@{host}:{port}/scim?{query}");
        let client = tokio::time::timeout(Duration::from_secs(20), connect(&conninfo))
            .await
            .expect("the client ends within 20 s")
            .map(drop);
        let seen = tokio::time::timeout(Duration::from_secs(20), seen)
            .await
            .expect("the fake server ends within 20 s")
            .unwrap();
        (
            seen,
            client.expect_err("the fake server never completes a startup"),
        )
    }

    /// A CA and a server certificate it signed for `names`, as a server
    /// configuration and the CA's PEM.
    fn signed_server(names: &[&str]) -> (ServerConfig, String) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let leaf = rcgen::CertificateParams::new(names)
            .unwrap()
            .signed_by(&key, &ca, &ca_key)
            .unwrap();
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone(), ca.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .unwrap();
        (config, ca.pem())
    }

    #[tokio::test]
    async fn without_tls_on_the_server_only_disable_and_prefer_send_a_startup() {
        assert_eq!(
            against(None, "127.0.0.1", "sslmode=disable").await.0,
            Seen::Plain { asked_tls: false }
        );
        assert_eq!(
            against(None, "127.0.0.1", "sslmode=prefer").await.0,
            Seen::Plain { asked_tls: true }
        );
        // The default is prefer, as in libpq.
        assert_eq!(
            against(None, "127.0.0.1", "").await.0,
            Seen::Plain { asked_tls: true }
        );
        for mode in ["require", "verify-ca", "verify-full"] {
            let (seen, error) = against(None, "127.0.0.1", &format!("sslmode={mode}")).await;
            assert_eq!(seen, Seen::Nothing, "{mode} never falls back to plain text");
            assert!(
                error.contains("server does not support TLS"),
                "{mode}: {error}"
            );
        }
        // The server's own open says why it cannot connect.
        let (port, seen) = fake_server(None).await;
        let url = format!("postgres://scim@127.0.0.1:{port}/scim?sslmode=require");
        let error = super::super::open(&url, crate::db::Options::default())
            .await
            .map(drop)
            .unwrap_err()
            .to_string();
        assert!(error.contains("server does not support TLS"), "{error}");
        assert_eq!(seen.await.unwrap(), Seen::Nothing);
    }

    #[tokio::test]
    async fn verify_modes_check_the_chain_and_verify_full_the_name() {
        let dir = crate::db::testing::TempDir::new("pg-tls-fake");
        let (_, other_ca) = signed_server(&["localhost"]);
        let other = dir.path().join("other-ca.pem");
        std::fs::write(&other, other_ca).unwrap();
        let (server, ca_pem) = signed_server(&["localhost"]);
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, ca_pem).unwrap();
        let root = |path: &std::path::Path| {
            percent_encoding::utf8_percent_encode(
                &path.display().to_string(),
                percent_encoding::NON_ALPHANUMERIC,
            )
            .to_string()
        };
        let (ca, other) = (root(&ca), root(&other));

        // prefer and require encrypt without checking the certificate.
        for mode in ["prefer", "require"] {
            let (seen, _) = against(
                Some(server.clone()),
                "127.0.0.1",
                &format!("sslmode={mode}"),
            )
            .await;
            assert_eq!(seen, Seen::Tls, "{mode}");
        }
        // verify-ca: the chain, not the name (127.0.0.1 is not in it).
        let (seen, _) = against(
            Some(server.clone()),
            "127.0.0.1",
            &format!("sslmode=verify-ca&sslrootcert={ca}"),
        )
        .await;
        assert_eq!(seen, Seen::Tls);
        // verify-full: the chain and the name.
        let (seen, _) = against(
            Some(server.clone()),
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        )
        .await;
        assert_eq!(seen, Seen::Tls);
        let (seen, error) = against(
            Some(server.clone()),
            "127.0.0.1",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        )
        .await;
        assert_eq!(seen, Seen::Nothing);
        assert!(error.contains("certificate"), "{error}");
        // Another CA: refused by every checking mode, require included
        // once it names a root file.
        for mode in ["verify-ca", "verify-full", "require"] {
            let (seen, error) = against(
                Some(server.clone()),
                "localhost",
                &format!("sslmode={mode}&sslrootcert={other}"),
            )
            .await;
            assert_eq!(seen, Seen::Nothing, "{mode}");
            assert!(error.contains("certificate"), "{mode}: {error}");
        }
    }
}
