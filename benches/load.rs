//! Kith's benchmark harness: seeds a database with `kith seed --scale N` (or reuses one),
//! starts the real server, and drives the hot paths with concurrent clients over loopback,
//! printing p50/p99 latency and requests per second for each: customer lists, 360° pages,
//! search, the deal board, deal lists, deal pages, the forecast and creates.
//!
//!     cargo bench --bench load -- [--scale 1000000] [--data DIR] [--clients 32] [--seconds 10]
//!                                 [--as EMAIL]   (a seeded user, given the bench password)
//!                                 [--only NAME,…] (only the paths whose name contains one)
//!                                 [--page PATH]…  (these pages instead, e.g. /deals?sort=name)
//!
//! With `--data DIR` an existing seeded folder is reused (seeding a million contacts takes
//! about a minute); without it a temporary folder is seeded and removed afterwards.

use rand::Rng;
use reqwest::Client;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PASSWORD: &str = "benchmark passphrase 2026";
/// The administrator the harness adds to a database it seeds.
const BENCH_USER: &str = "bench@kith.local";

struct Args {
    scale: usize,
    data: Option<PathBuf>,
    clients: usize,
    seconds: u64,
    /// Sign in as this user (same password) to measure a scoped user's pages.
    user: String,
    /// Only the paths whose name contains one of these (comma-separated); all when empty.
    only: Vec<String>,
    /// Pages to drive instead of the standard paths (`--page`, repeatable).
    pages: Vec<String>,
}

const USAGE: &str = "
cargo bench --bench load -- [--scale 1000000] [--data DIR] [--clients 32] [--seconds 10]
                            [--as EMAIL] [--only NAME,...] [--page PATH]...";

fn args() -> Args {
    let mut a = Args {
        scale: 1_000_000,
        data: None,
        clients: 32,
        seconds: 10,
        user: BENCH_USER.into(),
        only: Vec::new(),
        pages: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match flag.as_str() {
            "--scale" => a.scale = value().parse().unwrap_or(a.scale),
            "--data" => a.data = Some(PathBuf::from(value())),
            "--clients" => a.clients = value().parse().unwrap_or(a.clients),
            "--seconds" => a.seconds = value().parse().unwrap_or(a.seconds),
            "--as" => a.user = value(),
            "--only" => a.only = value().split(',').map(str::to_string).collect(),
            "--page" => a.pages.push(value()),
            // What `cargo bench` passes to every harness.
            "--bench" => {}
            other => {
                // An unknown option must not start a run that seeds a million contacts.
                let help = matches!(other, "--help" | "-h");
                let usage = USAGE.trim_start();
                if help {
                    println!("{usage}");
                } else {
                    eprintln!("unknown option {other}\n{usage}");
                }
                std::process::exit(if help { 0 } else { 2 });
            }
        }
    }
    a
}

fn kith(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kith"));
    c.arg("--data").arg(data);
    c
}

fn seed(data: &Path, scale: usize) {
    if data.join("kith.db").exists() {
        println!("reusing {}", data.display());
        return;
    }
    let started = Instant::now();
    let out = kith(data)
        .args(["seed", "--scale", &scale.to_string()])
        .output()
        .expect("seed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{}", String::from_utf8_lossy(&out.stdout));
    println!(
        "seed --scale {scale}: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut add = kith(data)
        .args([
            "user",
            "add",
            "--email",
            BENCH_USER,
            "--name",
            "Bench",
            "--role",
            "admin",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("user add");
    use std::io::Write;
    add.stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("write");
    assert!(add.wait().expect("wait").success());
}

/// Gives a seeded user the bench password, so `--as` can sign in as them.
fn give_password(data: &Path, email: &str) {
    let mut passwd = kith(data)
        .args(["user", "passwd", email, "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("user passwd");
    use std::io::Write;
    passwd
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("write");
    assert!(passwd.wait().expect("wait").success(), "no user {email}");
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(data: &Path, port: u16) -> Server {
    let started = Instant::now();
    let child = kith(data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("KITH_LOG__LEVEL", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("serve");
    let server = Server(child);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(2));
    }
    println!("start to serving: {} ms", started.elapsed().as_millis());
    server
}

async fn login(base: &str, user: &str) -> Client {
    let client = Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let html = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("body");
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("csrf") + marker.len();
    let csrf = html[start..start + 64].to_string();
    let r = client
        .post(format!("{base}/login"))
        .form(&[
            ("email", user),
            ("password", PASSWORD),
            ("next", "/"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status().as_u16(), 303, "sign-in failed");
    client
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

type PathGen = Arc<dyn Fn(&mut rand::rngs::ThreadRng) -> String + Send + Sync>;
type RequestGen =
    Arc<dyn Fn(&Client, &str, &mut rand::rngs::ThreadRng) -> reqwest::RequestBuilder + Send + Sync>;

fn get(path: PathGen) -> RequestGen {
    Arc::new(move |client, base, rng| client.get(format!("{base}{}", path(rng))))
}

/// One of `ids`, or any id up to `last` when there are none.
fn pick(ids: &[i64], last: i64, rng: &mut rand::rngs::ThreadRng) -> i64 {
    match ids.len() {
        0 => rng.random_range(1..=last),
        n => ids[rng.random_range(0..n)],
    }
}

/// How long each path runs before it is measured.
const WARM_UP: Duration = Duration::from_millis(1000);

/// CPU time the server process has used so far (user + system), in milliseconds.
fn cpu_ms(pid: u32) -> f64 {
    let ticks = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // Fields after the command name, which is in parentheses and may hold spaces.
            let rest = s.rsplit_once(')')?.1.to_string();
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    // The kernel counts in ticks of 1/100 s on Linux.
    ticks as f64 * 10.0
}

async fn drive(
    base: &str,
    client: &Client,
    (name, pid): (&str, u32),
    clients: usize,
    seconds: u64,
    request: RequestGen,
) {
    // Each path first runs for a moment unmeasured, so that its statements are prepared and
    // its pages cached as in a server that has been up for a while.
    let measured_from = Instant::now() + WARM_UP;
    let deadline = measured_from + Duration::from_secs(seconds);
    let baseline = tokio::spawn(async move {
        tokio::time::sleep_until(measured_from.into()).await;
        (cpu_ms(pid), cpu_ms(std::process::id()))
    });
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, base, request) = (client.clone(), base.to_string(), request.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < deadline {
                let req = request(&client, &base, &mut rand::rng());
                let t = Instant::now();
                let measured = t >= measured_from;
                match req.send().await {
                    // A redirect is a success only after a saved form, never to sign-in.
                    Ok(r)
                        if r.status().is_success()
                            || (r.status().is_redirection()
                                && r.headers()
                                    .get("location")
                                    .is_some_and(|l| !l.as_bytes().starts_with(b"/login"))) =>
                    {
                        let _ = r.bytes().await;
                        if measured {
                            lat.push(t.elapsed());
                        }
                    }
                    _ if measured => errors += 1,
                    _ => {}
                }
            }
            (lat, errors)
        }));
    }
    let (cpu_before, own_before) = baseline.await.expect("baseline");
    let started = measured_from;
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, e) = t.await.expect("task");
        all.extend(lat);
        errors += e;
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = (cpu_ms(pid) - cpu_before) / all.len().max(1) as f64;
    let own = (cpu_ms(std::process::id()) - own_before) / all.len().max(1) as f64;
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{name:<34} {:>8} req {:>8.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   server cpu {cpu:>5.2} ms/req   client cpu {own:>5.2} ms/req   errors {errors}",
        all.len(),
        all.len() as f64 / secs,
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
    );
}

#[tokio::main]
async fn main() {
    let a = args();
    let temp = tempfile::tempdir().expect("tempdir");
    let data = a.data.clone().unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&data).expect("data dir");
    seed(&data, a.scale);
    if a.user != BENCH_USER {
        give_password(&data, &a.user);
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let server = serve(&data, port);
    let pid = server.0.id();
    let base = format!("http://127.0.0.1:{port}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!("idle RSS: {} MiB", rss_kib(pid) / 1024);
    let client = login(&base, &a.user).await;

    let db = rusqlite::Connection::open(data.join("kith.db")).expect("db");
    let count = |sql: &str| -> i64 { db.query_row(sql, [], |r| r.get(0)).expect("count") };
    let contacts = count("SELECT max(id) FROM contacts");
    let companies = count("SELECT max(id) FROM companies");
    let names: Arc<Vec<(String, i64)>> = Arc::new({
        let mut s = db
            .prepare("SELECT name, id FROM contacts WHERE id % 997 = 0")
            .expect("names");
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect()
    });
    let deals = count("SELECT count(*) FROM deals WHERE deleted_at IS NULL");
    // An open stage to filter the deal list by: the first of the first pipeline.
    let open_stage = count(
        "SELECT id FROM stages WHERE outcome = 'open'
         ORDER BY (SELECT position FROM pipelines p WHERE p.id = pipeline_id), position LIMIT 1",
    );
    // Record pages the signed-in user may open: their own records (a rep or manager), or
    // any for one who owns none (the administrator).
    let owned = |table: &str| -> Arc<Vec<i64>> {
        let mut s = db
            .prepare(&format!(
                "SELECT id FROM {table} WHERE deleted_at IS NULL
                   AND owner_id = (SELECT id FROM users WHERE email = ?1)"
            ))
            .expect("owned records");
        Arc::new(
            s.query_map([&a.user], |r| r.get(0))
                .expect("rows")
                .map(|r| r.expect("row"))
                .collect(),
        )
    };
    let deal_ids = owned("deals");
    let company_ids = owned("companies");
    let contact_ids = owned("contacts");
    let last_deal = count("SELECT ifnull(max(id), 1) FROM deals");
    println!(
        "database: {contacts} contacts, {companies} companies, {deals} deals; signed in as {}; \
         {} clients, {} s per path after {} ms unmeasured\n",
        a.user,
        a.clients,
        a.seconds,
        WARM_UP.as_millis()
    );

    let fixed = |p: &'static str| -> PathGen { Arc::new(move |_| p.to_string()) };
    let deep = names.clone();
    let csrf = {
        let html = client
            .get(format!("{base}/account"))
            .send()
            .await
            .expect("account")
            .text()
            .await
            .expect("body");
        let marker = "name=\"csrf\" value=\"";
        let start = html.find(marker).expect("csrf") + marker.len();
        html[start..start + 64].to_string()
    };
    let create: RequestGen = Arc::new(move |client, base, rng| {
        let n: u64 = rng.random_range(0..100_000_000);
        let name = format!("压测联系人 {n}");
        let mobile = format!("136{n:08}");
        client.post(format!("{base}/contacts/new")).form(&[
            ("name", name.as_str()),
            ("status", "lead"),
            ("mobile", mobile.as_str()),
            ("confirm_duplicate", "1"),
            ("csrf", csrf.as_str()),
        ])
    });
    let paths: Vec<(&str, RequestGen)> = vec![
        ("list: contacts, first page", get(fixed("/contacts"))),
        (
            "list: contacts by status",
            get(fixed("/contacts?status=customer")),
        ),
        (
            "list: contacts by name, any depth",
            get(Arc::new(move |rng| {
                let (name, id) = &deep[rng.random_range(0..deep.len())];
                let q = serde_urlencoded::to_string([
                    ("sort", "name"),
                    ("after", name.as_str()),
                    ("after_id", &id.to_string()),
                ])
                .unwrap_or_default();
                format!("/contacts?{q}")
            })),
        ),
        (
            "list: contacts by status, by name",
            get(fixed("/contacts?status=customer&sort=name")),
        ),
        ("list: companies, first page", get(fixed("/companies"))),
        (
            "360: company page",
            get(Arc::new(move |rng| {
                format!("/companies/{}", pick(&company_ids, companies, rng))
            })),
        ),
        (
            "360: contact page",
            get(Arc::new(move |rng| {
                format!("/contacts/{}", pick(&contact_ids, contacts, rng))
            })),
        ),
        (
            "search: 王 (one common character)",
            get(fixed("/search?q=%E7%8E%8B")),
        ),
        (
            "search: 华星 (two characters)",
            get(fixed("/search?q=%E5%8D%8E%E6%98%9F")),
        ),
        ("search: 0013 (partial phone)", get(fixed("/search?q=0013"))),
        ("search: Emma (latin prefix)", get(fixed("/search?q=Emma"))),
        ("board: pipeline (all deals)", get(fixed("/deals/board"))),
        ("list: deals, first page", get(fixed("/deals"))),
        (
            "list: deals by stage",
            get(Arc::new(move |_| format!("/deals?stage_id={open_stage}"))),
        ),
        (
            "list: deals by stage, by amount",
            get(Arc::new(move |_| {
                format!("/deals?stage_id={open_stage}&sort=-amount")
            })),
        ),
        (
            "deal 360°",
            get(Arc::new(move |rng| {
                format!("/deals/{}", pick(&deal_ids, last_deal, rng))
            })),
        ),
        ("forecast", get(fixed("/deals/forecast"))),
        ("create: contact (form post)", create),
    ];
    let pages: Vec<(String, RequestGen)> = a
        .pages
        .iter()
        .map(|p| {
            let p = p.clone();
            (format!("page: {p}"), get(Arc::new(move |_| p.clone())))
        })
        .collect();
    let paths: Vec<(String, RequestGen)> = if pages.is_empty() {
        paths.into_iter().map(|(n, r)| (n.to_string(), r)).collect()
    } else {
        pages
    };
    for (name, request) in paths {
        if !a.only.is_empty() && !a.only.iter().any(|o| name.contains(o.as_str())) {
            continue;
        }
        drive(&base, &client, (&name, pid), a.clients, a.seconds, request).await;
    }
    println!("\nRSS after load: {} MiB", rss_kib(pid) / 1024);
    drop(server);
}
