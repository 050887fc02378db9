//! HTTPS receivers: which certificate authorities Kith trusts, and the connection a delivery
//! is written to (plain TCP for `http://`, TLS over TCP for `https://`).
//!
//! A receiver's certificate must chain to one of: the Mozilla root programme's authorities
//! (built into Kith, so nothing is fetched at run time), the authorities installed on the
//! server, or those in `[webhooks] ca_file` (a company's own authority, for receivers on the
//! LAN). Certificates are always verified, including the host name.

use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `[webhooks]` in the configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WebhooksConfig {
    /// A PEM file of extra certificate authorities to trust for `https://` receivers, such as
    /// the company's own. Empty: the built-in and the server's authorities only.
    pub ca_file: PathBuf,
}

impl WebhooksConfig {
    /// Checks that `ca_file`, when set, holds at least one certificate.
    pub fn validate(&self) -> Result<(), String> {
        match self.ca_file.as_os_str().is_empty() {
            true => Ok(()),
            false => read_pem_file(&self.ca_file).map(|_| ()),
        }
    }
}

/// The certificate authorities receivers' certificates are checked against.
#[derive(Clone)]
pub struct Trust(Arc<ClientConfig>);

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Trust")
    }
}

impl Trust {
    /// The built-in authorities, the server's own and those of `config.ca_file`. The server's
    /// store is read once here (it can take a moment), so build this off the request path.
    pub fn load(config: &WebhooksConfig) -> Result<Trust, String> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        // Unreadable entries in the server's store are skipped, as other programs do.
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if !config.ca_file.as_os_str().is_empty() {
            roots.add_parsable_certificates(read_pem_file(&config.ca_file)?);
        }
        Self::with_roots(roots)
    }

    /// Only the authorities in `pem`.
    pub fn only(pem: &[u8]) -> Result<Trust, String> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("bad PEM: {e}"))?;
        let mut roots = RootCertStore::empty();
        let (added, _) = roots.add_parsable_certificates(certs);
        match added {
            0 => Err("no usable certificate in the PEM".into()),
            _ => Self::with_roots(roots),
        }
    }

    fn with_roots(roots: RootCertStore) -> Result<Trust, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS set-up: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Trust(Arc::new(config)))
    }
}

fn read_pem_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let shown = path.display();
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("webhooks.ca_file {shown}: {e}"))?;
    match certs.is_empty() {
        true => Err(format!(
            "webhooks.ca_file {shown}: no certificate in the file (expected PEM)"
        )),
        false => Ok(certs),
    }
}

/// An open connection to a receiver.
pub enum Conn {
    /// `http://`.
    Plain(TcpStream),
    /// `https://`; the handshake completes with the first write.
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Conn {
    /// Wraps `tcp` in TLS for `host` when `tls` is set.
    pub fn new(tcp: TcpStream, tls: Option<(&Trust, &str)>) -> Result<Conn, String> {
        let Some((trust, host)) = tls else {
            return Ok(Conn::Plain(tcp));
        };
        let name = ServerName::try_from(host.to_owned())
            .map_err(|_| format!("bad host name {host:?} for TLS"))?;
        let conn = ClientConnection::new(trust.0.clone(), name).map_err(|e| format!("TLS: {e}"))?;
        Ok(Conn::Tls(Box::new(StreamOwned::new(conn, tcp))))
    }

    /// The socket underneath, for its timeouts.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(tcp) => tcp,
            Conn::Tls(s) => &s.sock,
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(tcp) => tcp.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// Names a TLS failure inside an I/O error the way an admin can act on it, or `None` for
/// other errors.
pub fn tls_failure(e: &std::io::Error) -> Option<String> {
    use rustls::CertificateError as Cert;
    let inner = e.get_ref()?.downcast_ref::<rustls::Error>()?;
    let why = match inner {
        rustls::Error::InvalidCertificate(Cert::UnknownIssuer) => {
            "the receiver's certificate is not from a trusted authority \
             (a company authority can be added with [webhooks] ca_file)"
        }
        rustls::Error::InvalidCertificate(Cert::Expired | Cert::ExpiredContext { .. }) => {
            "the receiver's certificate has expired"
        }
        _ => return Some(format!("TLS: {inner}")),
    };
    Some(format!("TLS: {why} ({inner})"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::crm::webhooks::deliver::{Client, Delivery, Outcome, post};
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use rustls::{ServerConfig, ServerConnection};
    use std::net::TcpListener;
    use std::thread::JoinHandle;
    use std::time::Duration;

    /// A certificate authority made for a test.
    struct TestCa {
        pem: String,
        issuer: Issuer<'static, KeyPair>,
    }

    impl TestCa {
        fn new() -> TestCa {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            let name = format!("Test authority {}", rand::random::<u64>());
            params
                .distinguished_name
                .push(rcgen::DnType::CommonName, name);
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            let key = KeyPair::generate().unwrap();
            let pem = params.self_signed(&key).unwrap().pem();
            let issuer = Issuer::new(params, key);
            TestCa { pem, issuer }
        }

        /// A server certificate for `names`, and its key.
        fn server_cert(&self, names: &[&str]) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
            let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            let key = KeyPair::generate().unwrap();
            let cert = (CertificateParams::new(names).unwrap())
                .signed_by(&key, &self.issuer)
                .unwrap();
            let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
            (cert.der().clone(), der)
        }
    }

    /// Trust in a fresh test authority (for tests that only send to `http://`).
    pub(crate) fn test_trust() -> Trust {
        Trust::only(TestCa::new().pem.as_bytes()).unwrap()
    }

    /// An HTTPS receiver for one request with a certificate for `names` from `ca`; answers 200
    /// and returns the request it read (empty when the handshake failed).
    fn receiver(ca: &TestCa, names: &[&str]) -> (u16, JoinHandle<String>) {
        let (cert, key) = ca.server_cert(names);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = (ServerConfig::builder_with_provider(provider))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let handle = std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let conn = ServerConnection::new(Arc::new(config)).unwrap();
            let mut tls = StreamOwned::new(conn, tcp);
            let (mut request, mut chunk) = (Vec::new(), [0u8; 1024]);
            while !(request.windows(4).any(|w| w == b"\r\n\r\n") && request.ends_with(b"}")) {
                match tls.read(&mut chunk) {
                    Ok(n) if n > 0 => request.extend_from_slice(&chunk[..n]),
                    _ => return String::new(),
                }
            }
            tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nsecured")
                .unwrap();
            tls.conn.send_close_notify();
            let _ = tls.flush();
            String::from_utf8(request).unwrap()
        });
        (port, handle)
    }

    fn send(url: &str, trust: Trust) -> Outcome {
        let delivery = Delivery {
            url,
            body: br#"{"a":1}"#,
            headers: &[("X-Kith-Event", "contact.created".to_owned())],
        };
        let timeout = Duration::from_secs(5);
        post(&delivery, &Client { timeout, trust })
    }

    #[test]
    fn a_receiver_with_a_trusted_certificate_gets_the_request_over_tls() {
        let ca = TestCa::new();
        let (port, handle) = receiver(&ca, &["localhost"]);
        let trust = Trust::only(ca.pem.as_bytes()).unwrap();

        let outcome = send(&format!("https://localhost:{port}/in"), trust);

        assert_eq!((outcome.status, outcome.error), (Some(200), None));
        assert_eq!(outcome.response_excerpt, "secured");
        let request = handle.join().unwrap();
        assert!(request.starts_with("POST /in HTTP/1.1\r\n"), "{request}");
        assert!(request.contains(&format!("Host: localhost:{port}\r\n")));
        assert!(request.contains("X-Kith-Event: contact.created\r\n"));
        assert!(request.ends_with("\r\n\r\n{\"a\":1}"), "{request}");
    }

    #[test]
    fn an_address_certificate_is_checked_against_the_ip() {
        let ca = TestCa::new();
        let (port, handle) = receiver(&ca, &["127.0.0.1"]);
        let trust = Trust::only(ca.pem.as_bytes()).unwrap();
        let outcome = send(&format!("https://127.0.0.1:{port}/"), trust);
        assert_eq!((outcome.status, outcome.error), (Some(200), None));
        handle.join().unwrap();
    }

    #[test]
    fn an_unknown_authority_is_refused_before_anything_is_sent() {
        let (theirs, ours) = (TestCa::new(), TestCa::new());
        let (port, handle) = receiver(&theirs, &["localhost"]);
        let trust = Trust::only(ours.pem.as_bytes()).unwrap();

        let outcome = send(&format!("https://localhost:{port}/"), trust);

        assert_eq!(outcome.status, None);
        let error = outcome.error.unwrap();
        assert!(
            error.starts_with("TLS: the receiver's certificate is not from a trusted authority"),
            "{error}"
        );
        assert!(error.contains("[webhooks] ca_file"), "{error}");
        assert_eq!(handle.join().unwrap(), "", "the receiver got no request");
    }

    #[test]
    fn a_certificate_for_another_name_is_refused() {
        let ca = TestCa::new();
        let (port, handle) = receiver(&ca, &["hooks.example.com"]);
        let trust = Trust::only(ca.pem.as_bytes()).unwrap();

        let outcome = send(&format!("https://localhost:{port}/"), trust);

        let error = outcome.error.unwrap();
        assert!(
            error.contains("not valid for name \"localhost\""),
            "{error}"
        );
        assert_eq!(handle.join().unwrap(), "");
    }

    #[test]
    fn a_plain_http_server_on_an_https_address_is_an_error_not_a_hang() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut tcp, _) = listener.accept().unwrap();
            let mut chunk = [0u8; 1024];
            let _ = tcp.read(&mut chunk);
            let _ = tcp.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        });
        let outcome = send(&format!("https://127.0.0.1:{port}/"), test_trust());
        assert_eq!(outcome.status, None);
        assert!(outcome.error.is_some());
        server.join().unwrap();
    }

    #[test]
    fn the_ca_file_setting_is_checked_and_adds_its_authorities() {
        let dir = tempfile::tempdir().unwrap();
        let ca = TestCa::new();
        let file = dir.path().join("company-ca.pem");
        std::fs::write(&file, &ca.pem).unwrap();
        let config = WebhooksConfig { ca_file: file };
        assert_eq!(config.validate(), Ok(()));
        let (port, handle) = receiver(&ca, &["localhost"]);
        let outcome = send(
            &format!("https://localhost:{port}/"),
            Trust::load(&config).unwrap(),
        );
        assert_eq!((outcome.status, outcome.error), (Some(200), None));
        handle.join().unwrap();

        let missing = WebhooksConfig {
            ca_file: dir.path().join("missing.pem"),
        };
        assert!(
            missing
                .validate()
                .unwrap_err()
                .starts_with("webhooks.ca_file")
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let empty = WebhooksConfig { ca_file: empty };
        assert!(empty.validate().unwrap_err().contains("no certificate"));
        assert_eq!(WebhooksConfig::default().validate(), Ok(()));
        assert!(Trust::only(b"nothing").is_err());
    }
}
