//! Builds the HTTP server: shared state, middleware, and every route in one function.

use crate::auth::password::Hasher;
use crate::auth::setup::SetupLink;
use crate::auth::throttle::Throttle;
use crate::config::Config;
use crate::crm::settings::{self, CompanyProfile};
use crate::db::Db;
use crate::error::AppError;
use crate::web::Templates;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::RwLock;
use std::time::Duration;

/// State shared by all requests.
pub struct AppState {
    /// The effective configuration.
    pub config: Config,
    /// The database.
    pub db: Db,
    /// Page templates.
    pub templates: Templates,
    /// Password hashing with bounded concurrency.
    pub hasher: Hasher,
    /// Failed sign-in throttling.
    pub throttle: Throttle,
    /// The one-time setup link, while no administrator exists.
    pub setup: SetupLink,
    /// Requests per API token and minute.
    pub api_rate: crate::web::rate::RateLimit,
    /// When this server started.
    pub started: chrono::DateTime<chrono::Utc>,
    /// The backup health administrators are warned about on every page.
    pub backup_banner: crate::backup::scheduler::Banner,
    company: RwLock<Option<CompanyProfile>>,
    /// The data folder's lock: one server per data folder, and no restore under it.
    _lock: crate::backup::lock::Lock,
}

impl AppState {
    /// Opens the database and prepares everything requests need.
    pub fn new(config: Config) -> anyhow::Result<AppState> {
        crate::config::ensure_dir(&config.data.dir)?;
        let lock_path = crate::backup::lock::server_lock_path(&config.data.dir);
        let lock = crate::backup::lock::try_lock(&lock_path, "kith serve").map_err(|e| {
            anyhow::anyhow!(
                "the data folder {} is in use ({e}); only one server can use it",
                config.data.dir.display()
            )
        })?;
        crate::backup::before_upgrade(&config)?;
        let db = Db::open(&config.db_path(), config.data.read_connections)?;
        let company = db.read_blocking(|c| Ok(settings::store::get(c)?))?;
        // An import cut off by a stop is marked failed: it can be run again or undone.
        db.bookkeeping_blocking(|c| {
            crate::crm::imports::store::fail_interrupted(c, &crate::db::now())
        })?;
        let needs_setup =
            db.read_blocking(|c| Ok(crate::crm::users::store::count_admins(c)? == 0))?;
        let minutes = u64::from(config.security.setup_link_minutes);
        let setup = SetupLink::new(needs_setup, Duration::from_secs(minutes * 60));
        let sec = &config.security;
        let throttle = Throttle::new(
            Duration::from_secs(u64::from(sec.throttle_window_minutes) * 60),
            sec.max_failures_per_account,
            sec.max_failures_per_ip,
        );
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Ok(AppState {
            db,
            templates: Templates::new(),
            hasher: Hasher::new(cores)?,
            throttle,
            api_rate: crate::web::rate::RateLimit::new(
                Duration::from_secs(60),
                config.api.requests_per_minute as usize,
            ),
            setup,
            started: chrono::Utc::now(),
            backup_banner: Default::default(),
            company: RwLock::new(company),
            _lock: lock,
            config,
        })
    }

    /// The company profile, once set up.
    pub fn company(&self) -> Option<CompanyProfile> {
        self.company.read().ok().and_then(|c| c.clone())
    }

    /// The company's currency: what new deals and quotes are in (CNY until setup is done).
    pub fn currency(&self) -> String {
        self.company()
            .map_or_else(|| "CNY".to_string(), |c| c.currency)
    }

    /// Replaces the cached company profile after it was saved.
    pub fn set_company(&self, profile: CompanyProfile) {
        if let Ok(mut c) = self.company.write() {
            *c = Some(profile);
        }
    }
}

/// Registers every route of the application.
pub fn routes(cfg: &mut web::ServiceConfig) {
    use crate::{audit, auth, crm, web as w};
    cfg.route("/healthz", web::get().to(crm::health::healthz));
    // The router tries the routes in the order they were added, and runs a regular
    // expression for each pattern with a parameter: the customer pages people open all day
    // come first (for the contacts list, the patterns before it took 4% of the request).
    // The deal and lead pages with fixed names must come before `/deals/{id}`.
    cfg.configure(crm::deals::pages::routes);
    cfg.configure(crm::leads::pages::routes);
    records(cfg, &crm::companies::COMPANIES);
    records(cfg, &crm::contacts::CONTACTS);
    records(cfg, &crm::deals::DEALS);
    records(cfg, &crm::leads::LEADS);
    cfg.route("/static/{path:.*}", web::get().to(w::assets::serve))
        .route("/", web::get().to(crm::home::page))
        .route("/setup/{token}", web::get().to(auth::setup::form))
        .route("/setup/{token}", web::post().to(auth::setup::submit))
        .route("/login", web::get().to(auth::pages::login_form))
        .route("/login", web::post().to(auth::pages::login))
        .route("/logout", web::post().to(auth::pages::logout))
        .route("/language", web::post().to(auth::pages::language))
        .route("/account", web::get().to(crm::users::account::form))
        .route("/account/tokens", web::get().to(crm::tokens::pages::list))
        .route(
            "/account/tokens",
            web::post().to(crm::tokens::pages::create),
        )
        .route(
            "/account/tokens/{id}/revoke",
            web::post().to(crm::tokens::pages::revoke),
        )
        .route(
            "/account/password",
            web::post().to(crm::users::account::change_password),
        )
        .route("/admin/users", web::get().to(crm::users::pages::list))
        .route(
            "/admin/users/new",
            web::get().to(crm::users::pages::new_form),
        )
        .route(
            "/admin/users/new",
            web::post().to(crm::users::pages::create),
        )
        .route(
            "/admin/users/{id}",
            web::get().to(crm::users::pages::edit_form),
        )
        .route(
            "/admin/users/{id}",
            web::post().to(crm::users::pages::update),
        )
        .route(
            "/admin/users/{id}/password",
            web::post().to(crm::users::pages::reset_password),
        )
        .route(
            "/admin/users/{id}/status",
            web::post().to(crm::users::pages::set_status),
        )
        .route(
            "/admin/users/{id}/transfer",
            web::post().to(crm::offboarding::pages::transfer),
        )
        .route("/admin/audit", web::get().to(audit::pages::list))
        .route(
            "/admin/departments",
            web::get().to(crm::departments::pages::list),
        )
        .route(
            "/admin/departments",
            web::post().to(crm::departments::pages::add),
        )
        .route(
            "/admin/departments/place",
            web::post().to(crm::departments::pages::place),
        )
        .route(
            "/admin/departments/{id}",
            web::post().to(crm::departments::pages::update),
        )
        .route(
            "/admin/departments/{id}/delete",
            web::post().to(crm::departments::pages::delete),
        )
        .route("/admin/roles", web::get().to(crm::roles::pages::list))
        .route(
            "/admin/roles/new",
            web::get().to(crm::roles::pages::new_form),
        )
        .route(
            "/admin/roles/new",
            web::post().to(crm::roles::pages::create),
        )
        .route("/admin/roles/{key}", web::get().to(crm::roles::pages::show))
        .route(
            "/admin/roles/{key}",
            web::post().to(crm::roles::pages::update),
        )
        .route(
            "/admin/roles/{key}/delete",
            web::post().to(crm::roles::pages::delete),
        )
        .route("/admin/backups", web::get().to(crate::backup::pages::list))
        .route("/admin/backups", web::post().to(crate::backup::pages::run))
        .route(
            "/admin/backups/download",
            web::get().to(crate::backup::pages::download),
        )
        .route("/admin/settings", web::get().to(crm::settings::pages::form))
        .route(
            "/admin/settings",
            web::post().to(crm::settings::pages::save),
        )
        .route("/trash", web::get().to(crm::records::pages::trash))
        .route("/search", web::get().to(crm::search::pages::search))
        .route("/today", web::get().to(crm::followups::pages::today_page))
        .route(
            "/attachments/{id}",
            web::get().to(crm::attachments::pages::download),
        )
        .route(
            "/attachments/{id}/delete",
            web::post().to(crm::attachments::pages::delete),
        )
        .route("/views/{id}/delete", web::post().to(crm::views::delete))
        .route("/admin/fields", web::get().to(crm::fields::pages::list))
        .route("/admin/fields", web::post().to(crm::fields::pages::create))
        .route(
            "/admin/fields/required",
            web::post().to(crm::fields::pages::set_required),
        )
        .route(
            "/admin/industries",
            web::get().to(crm::industries::pages::list),
        )
        .route(
            "/admin/industries",
            web::post().to(crm::industries::pages::add),
        )
        .route(
            "/admin/industries/{id}/delete",
            web::post().to(crm::industries::pages::delete),
        )
        .route(
            "/admin/fields/{id}/delete",
            web::post().to(crm::fields::pages::delete),
        )
        .route(
            "/tasks/{id}/done",
            web::post().to(crm::followups::pages::done),
        );
    cfg.configure(crm::pools::pages::routes);
    cfg.configure(crm::leads::forms_pages::routes)
        .configure(crm::leads::rules_pages::routes);
    cfg.configure(crm::notifications::pages::routes);
    cfg.configure(crm::products::pages::routes)
        .configure(crm::quotes::pages::routes);
    cfg.configure(crm::api::routes);
    cfg.configure(crm::webhooks::pages::routes);
    cfg.configure(crm::imports::pages::routes);
}

/// The routes of one kind of customer record, e.g. `/companies`, `/companies/{id}/edit`.
fn records(cfg: &mut web::ServiceConfig, e: &'static crate::crm::records::Entity) {
    use crate::auth::csrf::Form;
    use crate::crm::attachments::pages as attachments;
    use crate::crm::followups::{ActivityInput, pages as followups};
    use crate::crm::records::pages::{self as p, Params};
    use crate::crm::tags::pages as tags;
    use crate::web::page::Page;
    use actix_multipart::Multipart;
    use actix_web::HttpRequest;
    type Id = web::Path<String>;
    type Query = web::Query<Params>;
    type Pairs = Form<Vec<(String, String)>>;
    let base = format!("/{}", e.table);
    let at = |rest: &str| format!("{base}{rest}");
    // Fixed paths first: a resource whose pattern matches answers 405 for other methods.
    cfg.route(
        &base,
        web::get().to(move |pg: Page, q: Query| p::list(e, pg, q)),
    )
    .route(
        &at("/export"),
        web::get().to(move |pg: Page, q: Query| crate::crm::exports::pages::export(e, pg, q)),
    )
    .route(
        &at("/new"),
        web::get().to(move |pg: Page, q: Query| p::new_form(e, pg, q)),
    )
    .route(
        &at("/new"),
        web::post().to(move |pg: Page, f: Form<Params>| p::create(e, pg, f)),
    )
    .route(
        &at("/bulk"),
        web::post().to(move |pg: Page, f: Pairs| tags::bulk(e, pg, f)),
    )
    .route(
        &at("/views"),
        web::post().to(move |pg: Page, f: Form<crate::crm::views::SaveInput>| {
            crate::crm::views::create(e, pg, f)
        }),
    )
    .route(
        &at("/{id}/merge"),
        web::post().to(move |pg: Page, id: Id, f: Form<p::MergeInput>| p::merge(e, pg, id, f)),
    )
    .route(
        &at("/{id}"),
        web::get().to(move |pg: Page, id: Id| p::show(e, pg, id)),
    )
    .route(
        &at("/{id}/edit"),
        web::get().to(move |pg: Page, id: Id| p::edit_form(e, pg, id)),
    )
    .route(
        &at("/{id}/edit"),
        web::post().to(move |pg: Page, id: Id, f: Form<Params>| p::update(e, pg, id, f)),
    )
    .route(
        &at("/{id}/delete"),
        web::post().to(move |pg: Page, id: Id, f: Form<Params>| p::delete(e, pg, id, f)),
    )
    .route(
        &at("/{id}/restore"),
        web::post().to(move |pg: Page, id: Id, f: Form<Params>| p::restore(e, pg, id, f)),
    )
    .route(
        &at("/{id}/purge"),
        web::post().to(move |pg: Page, id: Id, f: Form<Params>| p::purge(e, pg, id, f)),
    )
    .route(
        &at("/{id}/followups"),
        web::post()
            .to(move |pg: Page, id: Id, f: Form<ActivityInput>| followups::log(e, pg, id, f)),
    )
    .route(
        &at("/{id}/tasks"),
        web::post().to(move |pg: Page, id: Id, f: Form<followups::TaskInput>| {
            followups::add(e, pg, id, f)
        }),
    )
    .route(
        &at("/{id}/attachments"),
        web::post().to(move |r: HttpRequest, pg: Page, id: Id, m: Multipart| {
            attachments::upload(e, r, pg, id, m)
        }),
    )
    .route(
        &at("/{id}/tags"),
        web::post().to(move |pg: Page, id: Id, f: Form<tags::TagInput>| tags::add(e, pg, id, f)),
    )
    .route(
        &at("/{id}/shares"),
        web::post().to(move |pg: Page, id: Id, f: Form<Params>| {
            crate::crm::sharing::pages::add(e, pg, id, f)
        }),
    )
    .route(
        &at("/{id}/shares/{share}/delete"),
        web::post().to(
            move |pg: Page, ids: web::Path<(String, String)>, f: Form<Params>| {
                crate::crm::sharing::pages::remove(e, pg, ids, f)
            },
        ),
    )
    .route(
        &at("/{id}/tags/{tag}/remove"),
        web::post().to(
            move |pg: Page, ids: web::Path<(String, String)>, f: Form<Params>| {
                tags::remove(e, pg, ids, f)
            },
        ),
    );
}

/// Builds the server on an already-bound listener (port 0 in tests).
pub fn build(
    state: web::Data<AppState>,
    listener: TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    let workers = match state.config.server.workers {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::FormConfig::default().limit(64 * 1024))
            .app_data(web::PayloadConfig::new(64 * 1024))
            .configure(routes)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(AppError::NotFound)
            }))
            .wrap(from_fn(crate::auth::session::load))
            .wrap(from_fn(crate::auth::bearer::load))
            .wrap(Compress::default())
            .wrap(from_fn(crate::web::middleware::request))
    })
    .workers(workers)
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Spawns the housekeeping that runs while the server does (expired sessions).
pub fn spawn_housekeeping(state: web::Data<AppState>) {
    std::thread::spawn(move || {
        loop {
            match crate::auth::session::sweep(&state) {
                Ok(n) if n > 0 => tracing::debug!(sessions = n, "Removed {n} expired sessions"),
                Ok(_) => {}
                Err(e) => tracing::warn!("Could not remove expired sessions: {e}"),
            }
            match crate::crm::notifications::jobs::run_due(&state.db, chrono::Utc::now()) {
                Ok(r) if r.tasks_reminded + r.deals_stalled > 0 => tracing::info!(
                    jobs.tasks = r.tasks_reminded,
                    jobs.deals = r.deals_stalled,
                    "Sent {} reminders and stalled-deal alerts",
                    r.notifications
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("Could not send reminders and stalled-deal alerts: {e}"),
            }
            match crate::crm::pools::jobs::reclaim(&state.db, chrono::Utc::now()) {
                Ok(r) if r.records() > 0 => tracing::info!(
                    pools.leads = r.leads,
                    pools.companies = r.companies,
                    "Returned {} quiet records to their pools",
                    r.records()
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!("Could not return quiet records to their pools: {e}"),
            }
            std::thread::sleep(Duration::from_secs(300));
        }
    });
}
