//! Webhooks to `https://` receivers: the address is accepted, the delivery goes over TLS,
//! signed, to a receiver whose certificate comes from the company's own authority (the
//! `[webhooks] ca_file` setting), and a receiver with an untrusted certificate gets nothing
//! while the delivery log says why.

use crate::helpers::*;
use crate::webhooks::{Receiver, TIMEOUT, add_contact, add_webhook};
use chrono::Utc;
use kith::crm::webhooks::deliver::Client;
use kith::crm::webhooks::sign;
use kith::crm::webhooks::tls::{Trust, WebhooksConfig};
use kith::crm::webhooks::worker::run_due;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use std::sync::Arc;

/// A certificate authority and a `127.0.0.1` server certificate it signed, served by a TLS
/// receiver that answers `status`.
struct TlsReceiver {
    ca_pem: String,
    receiver: Receiver,
}

fn tls_receiver(status: u16) -> TlsReceiver {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "示例公司 CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let names = vec!["127.0.0.1".to_string()];
    let cert = (CertificateParams::new(names).unwrap())
        .signed_by(&key, &issuer)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = (ServerConfig::builder_with_provider(provider))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .unwrap();
    let config = Arc::new(config);
    let receiver = Receiver::serve("https", status, move |tcp| {
        let conn = ServerConnection::new(Arc::clone(&config)).unwrap();
        Box::new(StreamOwned::new(conn, tcp))
    });
    TlsReceiver { ca_pem, receiver }
}

#[tokio::test]
async fn a_change_is_delivered_signed_over_https_to_a_receiver_of_the_company_authority() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let tls = tls_receiver(200);
    assert!(tls.receiver.url.starts_with("https://127.0.0.1:"));
    add_webhook(&app, &tls.receiver.url, &["contact.created"]).await;
    let contact = add_contact(&app, "欧阳娜娜").await;
    let ca_file = app.dir.path().join("company-ca.pem");
    std::fs::write(&ca_file, &tls.ca_pem).unwrap();
    let config = WebhooksConfig { ca_file };
    config.validate().unwrap();
    let client = Client {
        timeout: TIMEOUT,
        trust: Trust::load(&config).unwrap(),
    };

    let report = run_due(&app.state.db, Utc::now(), &client).unwrap();

    assert_eq!(report.delivered, 1, "{report:?}");
    let got = tls.receiver.requests();
    assert_eq!(got.len(), 1);
    let secret = app.query_string("SELECT secret FROM webhooks");
    let now = Utc::now().timestamp();
    let signature = got[0].header("x-kith-signature");
    assert!(sign::verify(
        &secret,
        signature,
        got[0].body.as_bytes(),
        now,
        300
    ));
    assert_eq!(got[0].json()["data"]["id"], contact);
    let state = app.query_string("SELECT state FROM webhook_deliveries");
    assert_eq!(state, "delivered");
}

#[tokio::test]
async fn an_untrusted_certificate_gets_nothing_and_the_log_says_why() {
    let app = spawn_app().await;
    app.complete_setup().await;
    let tls = tls_receiver(200);
    add_webhook(&app, &tls.receiver.url, &["contact.created"]).await;
    add_contact(&app, "司马相如").await;
    let client = Client {
        timeout: TIMEOUT,
        trust: Trust::load(&WebhooksConfig::default()).unwrap(),
    };

    let report = run_due(&app.state.db, Utc::now(), &client).unwrap();

    assert_eq!((report.delivered, report.retrying), (0, 1), "{report:?}");
    assert!(tls.receiver.requests().is_empty());
    let error = app.query_string("SELECT last_error FROM webhook_deliveries");
    assert!(error.contains("not from a trusted authority"), "{error}");
    let hook = app.query_i64("SELECT id FROM webhooks");
    let (_, page) = app.get_html(&format!("/admin/webhooks/{hook}")).await;
    assert!(
        page.contains("not from a trusted authority"),
        "shown to the admin"
    );
}
