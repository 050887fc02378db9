//! Posting a delivery to a receiver.
//!
//! A deliberately small, blocking HTTP/1.1 client for `http://` and `https://` URLs (TLS in
//! [`super::tls`]), so deliveries need no async HTTP stack. The caller runs [`post`] on a
//! background thread.

use super::tls::{Conn, Trust, tls_failure};
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv6Addr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Attempts made (the first included) before a delivery is marked failed.
pub const MAX_ATTEMPTS: u32 = 6;
/// Most of the response we read; receivers only need to acknowledge.
const MAX_RESPONSE: usize = 64 * 1024;
/// Most of the response body kept for the delivery log.
const EXCERPT: usize = 500;
/// Headers this client sets itself; letting callers repeat them would allow request smuggling.
const RESERVED: [&str; 6] = [
    "host",
    "content-type",
    "content-length",
    "user-agent",
    "connection",
    "transfer-encoding",
];

/// How deliveries are sent: the time one attempt may take and the authorities trusted for
/// `https://` receivers.
#[derive(Debug, Clone)]
pub struct Client {
    /// Connect, send and read together.
    pub timeout: Duration,
    /// Checks `https://` receivers' certificates.
    pub trust: Trust,
}

/// One POST to send: a JSON body and extra headers (typically the signature).
pub struct Delivery<'a> {
    /// An `http[s]://host[:port][/path][?query]` URL.
    pub url: &'a str,
    /// The JSON body.
    pub body: &'a [u8],
    /// Extra headers; values must not contain CR or LF.
    pub headers: &'a [(&'a str, String)],
}

/// What happened to one delivery attempt, for the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The receiver's HTTP status, if it sent a valid status line.
    pub status: Option<u16>,
    /// Why no status was obtained (bad URL, refused, timed out, garbled response).
    pub error: Option<String>,
    /// Wall time of the attempt.
    pub duration_ms: u64,
    /// The first ≤ 500 bytes of the response body, as lossy UTF-8.
    pub response_excerpt: String,
}

impl Outcome {
    /// Whether the receiver acknowledged the delivery with a 2xx status.
    pub fn ok(&self) -> bool {
        matches!(self.status, Some(200..=299))
    }
}

/// How long to wait after failed attempt number `attempt` (1-based) before the next one:
/// 30 s, 2 min, 10 min, 1 h, then 6 h.
pub fn backoff(attempt: u32) -> chrono::Duration {
    match attempt {
        0 | 1 => chrono::Duration::seconds(30),
        2 => chrono::Duration::minutes(2),
        3 => chrono::Duration::minutes(10),
        4 => chrono::Duration::hours(1),
        _ => chrono::Duration::hours(6),
    }
}

/// Sends `d` and reads the reply, all within the client's timeout (connect, TLS handshake, send
/// and read together; name resolution uses the system resolver and is not bounded by it).
/// Never panics: every failure comes back as an [`Outcome`] with `error` set.
pub fn post(d: &Delivery<'_>, client: &Client) -> Outcome {
    let start = Instant::now();
    // Clamped so the deadline arithmetic cannot overflow.
    let deadline = start + client.timeout.min(Duration::from_secs(3600));
    let (status, error, response_excerpt) = match send(d, &client.trust, deadline) {
        Ok((status, excerpt)) => (Some(status), None, excerpt),
        Err(error) => (None, Some(error), String::new()),
    };
    let duration_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
    Outcome {
        status,
        error,
        duration_ms,
        response_excerpt,
    }
}

/// The parts of a URL the request needs.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    /// `https://`.
    tls: bool,
    /// Host name or IP address, without IPv6 brackets.
    host: String,
    port: u16,
    /// Path and query, percent-encoded where needed, never empty.
    path: String,
}

impl Target {
    /// The `Host` header value.
    fn authority(&self) -> String {
        let host = match self.host.contains(':') {
            true => format!("[{}]", self.host),
            false => self.host.clone(),
        };
        match (self.tls, self.port) {
            (false, 80) | (true, 443) => host,
            (_, port) => format!("{host}:{port}"),
        }
    }
}

fn parse_url(url: &str) -> Result<Target, String> {
    let (scheme, rest) = url
        .trim()
        .split_once("://")
        .ok_or("not an absolute http:// or https:// URL")?;
    let tls = scheme.eq_ignore_ascii_case("https");
    if !tls && !scheme.eq_ignore_ascii_case("http") {
        return Err(format!(
            "unsupported scheme {scheme}: only http:// and https:// are supported"
        ));
    }
    let rest = rest.split('#').next().unwrap_or_default();
    let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    if authority.contains('@') {
        return Err("user names and passwords in the URL are not supported".into());
    }
    let (host, after) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (ip, after) = bracketed.split_once(']').ok_or("unclosed [ in the host")?;
            ip.parse::<Ipv6Addr>()
                .map_err(|_| format!("bad IPv6 address {ip:?}"))?;
            (ip, after)
        }
        None => authority.split_at(authority.find(':').unwrap_or(authority.len())),
    };
    let valid = |c: char| c.is_ascii_alphanumeric() || "-._:".contains(c);
    if host.is_empty() || !host.chars().all(valid) {
        return Err(format!("bad host {host:?}"));
    }
    let port = match after {
        "" | ":" if tls => 443,
        "" | ":" => 80,
        _ => (after.strip_prefix(':').and_then(|p| p.parse().ok()))
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("bad port in {authority:?}"))?,
    };
    let mut encoded = String::from(if path.starts_with('/') { "" } else { "/" });
    for b in path.bytes() {
        match b {
            0x21..=0x7E => encoded.push(char::from(b)),
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    Ok(Target {
        tls,
        host: host.to_ascii_lowercase(),
        port,
        path: encoded,
    })
}

fn check_header(name: &str, value: &str) -> Result<(), String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        Err(format!("bad header name {name:?}"))
    } else if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        Err(format!("header {name} is set by Kith itself"))
    } else if value.contains(['\r', '\n', '\0']) {
        Err(format!("header {name} contains a line break"))
    } else {
        Ok(())
    }
}

fn describe(what: &str, e: &std::io::Error) -> String {
    if let Some(tls) = tls_failure(e) {
        return tls;
    }
    match e.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => format!("{what}: timed out"),
        ErrorKind::ConnectionRefused => format!("{what}: connection refused"),
        _ => format!("{what}: {e}"),
    }
}

/// Time left before `deadline` (never zero, which sockets reject), or a timeout error.
fn remaining(deadline: Instant, what: &str) -> Result<Duration, String> {
    Some(deadline.saturating_duration_since(Instant::now()))
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{what}: timed out"))
}

fn send(d: &Delivery<'_>, trust: &Trust, deadline: Instant) -> Result<(u16, String), String> {
    let target = parse_url(d.url)?;
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nUser-Agent: Kith-Webhooks/1\r\nConnection: close\r\n",
        target.path,
        target.authority(),
        d.body.len()
    );
    for (name, value) in d.headers {
        check_header(name, value)?;
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    let mut request = request.into_bytes();
    request.extend_from_slice(d.body);

    let resolve = |e| format!("resolve {}: {e}", target.host);
    let addrs = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(resolve)?;
    let mut result = Err(format!("resolve {}: no addresses", target.host));
    for addr in addrs {
        let what = format!("connect to {addr}");
        result = TcpStream::connect_timeout(&addr, remaining(deadline, &what)?)
            .map_err(|e| describe(&what, &e));
        if result.is_ok() {
            break;
        }
    }
    let tls = target.tls.then_some((trust, target.host.as_str()));
    let mut stream = Conn::new(result?, tls)?;
    // The TLS handshake happens with the first write; it reads, too.
    let wait = remaining(deadline, "send")?;
    let sent = (stream.tcp().set_write_timeout(Some(wait)))
        .and_then(|()| stream.tcp().set_read_timeout(Some(wait)))
        .and_then(|()| stream.write_all(&request))
        .and_then(|()| stream.flush());
    sent.map_err(|e| describe("send", &e))?;
    read_response(&mut stream, deadline)
}

/// A parsed response head.
struct Head {
    status: u16,
    body_start: usize,
    content_length: Option<usize>,
    chunked: bool,
}

/// Parses the status line and headers once they are complete in `buf`.
fn parse_head(buf: &[u8]) -> Result<Option<Head>, String> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = String::from_utf8_lossy(&buf[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let status = match (parts.next(), parts.next()) {
        (Some(v), Some(code)) if v.starts_with("HTTP/1.") && code.len() == 3 => code.parse().ok(),
        _ => None,
    };
    let status = (status.filter(|s| (100..600).contains(s)))
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let (mut content_length, mut chunked) = (None, false);
    for (name, value) in lines.filter_map(|l| l.split_once(':')) {
        if name.trim().eq_ignore_ascii_case("content-length") {
            content_length = value.trim().parse().ok();
        } else if name.trim().eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    let body_start = end + 4;
    Ok(Some(Head {
        status,
        body_start,
        content_length,
        chunked,
    }))
}

/// Reads until the response is complete, the connection closes, 64 KiB or the deadline.
/// Once the status line is in, a later timeout or reset only cuts the excerpt short.
fn read_response(stream: &mut Conn, deadline: Instant) -> Result<(u16, String), String> {
    let (mut buf, mut chunk, mut head) = (Vec::new(), [0u8; 8192], None);
    let what = "waiting for the response";
    loop {
        if head.is_none() {
            head = parse_head(&buf)?;
        }
        if let Some(h) = &head {
            let body = &buf[h.body_start..];
            let complete = match h.content_length {
                _ if h.status == 204 || h.status == 304 => true,
                Some(n) => body.len() >= n,
                None => h.chunked && body.ends_with(b"0\r\n\r\n"),
            };
            if complete || buf.len() >= MAX_RESPONSE {
                break;
            }
        } else if buf.len() >= MAX_RESPONSE {
            return Err("response headers too large".into());
        }
        let wait = match remaining(deadline, what) {
            Ok(wait) => wait,
            Err(_) if head.is_some() => break,
            Err(e) => return Err(e),
        };
        let room = chunk.len().min(MAX_RESPONSE - buf.len());
        match (stream.tcp())
            .set_read_timeout(Some(wait))
            .and_then(|()| stream.read(&mut chunk[..room]))
        {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) if head.is_some() => break,
            Err(e) => return Err(describe(what, &e)),
        }
    }
    let head = head.ok_or(match buf.is_empty() {
        true => "connection closed without a response",
        false => "connection closed in the middle of the response headers",
    })?;
    let body = &buf[head.body_start..];
    let excerpt = &body[..body.len().min(EXCERPT)];
    let excerpt = match std::str::from_utf8(excerpt) {
        // Don't end on half a character.
        Err(e) if e.error_len().is_none() => &excerpt[..e.valid_up_to()],
        _ => excerpt,
    };
    Ok((head.status, String::from_utf8_lossy(excerpt).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread::JoinHandle;

    const SECOND: Duration = Duration::from_secs(1);

    fn post_to(url: &str, headers: &[(&str, String)], timeout: Duration) -> Outcome {
        let trust = super::super::tls::tests::test_trust();
        let delivery = Delivery {
            url,
            body: br#"{"a":1}"#,
            headers,
        };
        post(&delivery, &Client { timeout, trust })
    }

    /// A receiver that reads one request (its JSON body ends in `}`), answers `response`, keeps
    /// the connection open for `hold`, and returns what it received.
    fn receiver(response: &'static str, hold: Duration) -> (String, JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let handle = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            conn.set_read_timeout(Some(5 * SECOND)).unwrap();
            let (mut request, mut chunk) = (Vec::new(), [0u8; 1024]);
            while !(request.windows(4).any(|w| w == b"\r\n\r\n") && request.ends_with(b"}")) {
                let n = conn.read(&mut chunk).unwrap();
                assert!(n > 0, "client closed early");
                request.extend_from_slice(&chunk[..n]);
            }
            conn.write_all(response.as_bytes()).unwrap();
            std::thread::sleep(hold);
            String::from_utf8(request).unwrap()
        });
        (format!("http://{addr}"), handle)
    }

    #[test]
    fn post_sends_exactly_the_expected_request_and_reads_a_200() {
        let (base, handle) = receiver(
            "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nreceived",
            Duration::ZERO,
        );
        let headers = [("X-Kith-Signature", "t=1,v1=ab".to_owned())];

        let outcome = post_to(&format!("{base}/hooks/in?x=1"), &headers, 5 * SECOND);

        assert_eq!((outcome.status, outcome.error), (Some(200), None));
        assert_eq!(outcome.response_excerpt, "received");
        let host = base.trim_start_matches("http://");
        let expected = format!(
            "POST /hooks/in?x=1 HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
             Content-Length: 7\r\nUser-Agent: Kith-Webhooks/1\r\nConnection: close\r\n\
             X-Kith-Signature: t=1,v1=ab\r\n\r\n{{\"a\":1}}"
        );
        assert_eq!(handle.join().unwrap(), expected);
    }

    #[test]
    fn a_2xx_is_ok_and_a_500_is_a_status_but_not_ok() {
        let (url, handle) = receiver("HTTP/1.1 500 Oops\r\n\r\nboom", Duration::ZERO);
        let outcome = post_to(&url, &[], 5 * SECOND);
        assert_eq!(
            (outcome.status, outcome.response_excerpt.as_str()),
            (Some(500), "boom")
        );
        assert!(!outcome.ok());
        handle.join().unwrap();
        let (url, handle) = receiver("HTTP/1.1 204 No Content\r\n\r\n", Duration::ZERO);
        assert!(post_to(&url, &[], 5 * SECOND).ok());
        handle.join().unwrap();
    }

    #[test]
    fn a_complete_content_length_body_ends_the_read_without_waiting_for_close() {
        let (url, handle) = receiver("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", SECOND);
        let outcome = post_to(&url, &[], 3 * SECOND);
        assert_eq!(
            (outcome.status, outcome.response_excerpt.as_str()),
            (Some(200), "ok")
        );
        assert!(outcome.duration_ms < 900, "{outcome:?}");
        handle.join().unwrap();
    }

    #[test]
    fn a_receiver_that_stalls_after_its_status_line_still_counts() {
        let (url, handle) = receiver("HTTP/1.1 202 Accepted\r\n\r\nqueu", SECOND);
        let outcome = post_to(&url, &[], Duration::from_millis(300));
        assert_eq!(
            (outcome.status, outcome.error.as_deref()),
            (Some(202), None)
        );
        assert_eq!(outcome.response_excerpt, "queu");
        assert!(outcome.ok());
        handle.join().unwrap();
    }

    #[test]
    fn a_silent_receiver_times_out_close_to_the_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let outcome = post_to(&url, &[], Duration::from_millis(300));
        assert_eq!(outcome.status, None);
        assert!(
            outcome.error.as_deref().unwrap().contains("timed out"),
            "{outcome:?}"
        );
        assert!((250..2000).contains(&outcome.duration_ms), "{outcome:?}");
    }

    #[test]
    fn a_refused_connection_is_an_error() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let outcome = post_to(&format!("http://127.0.0.1:{port}/"), &[], SECOND);
        assert!(
            outcome.error.as_deref().unwrap().contains("refused"),
            "{outcome:?}"
        );
        assert!(!outcome.ok());
    }

    #[test]
    fn other_schemes_and_unsafe_headers_are_refused_before_connecting() {
        let error = post_to("ftp://example.com/", &[], SECOND).error.unwrap();
        assert!(error.contains("unsupported scheme ftp"), "{error}");
        for (name, value) in [
            ("X-A", "a\r\nEvil: 1"),
            ("content-length", "1"),
            ("A B", "x"),
        ] {
            let outcome = post_to("http://127.0.0.1:1/", &[(name, value.to_owned())], SECOND);
            assert!(outcome.error.unwrap().contains("header"), "{name}");
        }
    }

    #[test]
    fn urls_parse_with_defaults_and_kept_queries() {
        let t = |host: &str, port, path: &str| {
            let (host, path) = (host.to_owned(), path.to_owned());
            Ok(Target {
                tls: false,
                host,
                port,
                path,
            })
        };
        assert_eq!(parse_url("http://Hooks.lan"), t("hooks.lan", 80, "/"));
        assert_eq!(parse_url("HTTP://h:8080?a=1&b"), t("h", 8080, "/?a=1&b"));
        assert_eq!(parse_url("http://h/p/q?x=y#frag"), t("h", 80, "/p/q?x=y"));
        assert_eq!(parse_url("http://[::1]:9000/in"), t("::1", 9000, "/in"));
        assert_eq!(parse_url("http://h/a b/客"), t("h", 80, "/a%20b/%E5%AE%A2"));
        let v6 = parse_url("http://[fe80::1]").unwrap();
        assert_eq!(
            (v6.port, v6.path.as_str(), v6.authority()),
            (80, "/", "[fe80::1]".into())
        );
        assert_eq!(parse_url("http://h:8080").unwrap().authority(), "h:8080");
        let tls = parse_url("HTTPS://Hooks.example.com/in").unwrap();
        assert_eq!(
            (tls.tls, tls.port, tls.authority(), tls.path.as_str()),
            (true, 443, "hooks.example.com".into(), "/in")
        );
        let tls = parse_url("https://h:8443").unwrap();
        assert_eq!((tls.tls, tls.authority()), (true, "h:8443".into()));
        assert_eq!(parse_url("http://h:443").unwrap().authority(), "h:443");
    }

    #[test]
    fn bad_urls_are_refused() {
        let urls = "|hooks.lan/in|ftp://h/|https://|http://|http://user:pw@h/|http://h:0/|\
                    http://h:99999/|http://h:x/|http://[::1/|http://[zz]/|http://[::1]x/|\
                    http://a b/|http://h\r\n/|http://h:1:2/";
        for url in urls.split('|') {
            assert!(parse_url(url).is_err(), "{url:?}");
        }
    }

    #[test]
    fn response_heads_parse_and_garbage_is_an_error() {
        let raw = b"HTTP/1.0 200 OK\r\nContent-length: 3\r\n\r\nabc";
        let head = parse_head(raw).unwrap().unwrap();
        assert_eq!(
            (head.status, head.body_start, head.content_length),
            (200, 38, Some(3))
        );
        assert!(parse_head(b"HTTP/1.1 200 OK\r\n").unwrap().is_none());
        assert!(parse_head(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 2000 OK\r\n\r\n").is_err());
    }

    #[test]
    fn backoff_grows_and_stays_capped() {
        let secs: Vec<i64> = (1..=MAX_ATTEMPTS)
            .map(|a| backoff(a).num_seconds())
            .collect();
        assert_eq!(secs, [30, 120, 600, 3600, 21_600, 21_600]);
        assert_eq!(backoff(100), backoff(5));
    }
}
