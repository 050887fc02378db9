//! The `kith` command line: each command parses its arguments and calls into a module.

mod admin;
mod backup;
mod import;

use crate::config::{Config, Overrides};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Kith: an on-premises CRM in one executable.
#[derive(Parser)]
#[command(name = "kith", version, about)]
pub struct Cli {
    /// Configuration file (TOML). Without it, built-in defaults apply.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data folder (holds the database); created when missing.
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand)]
pub enum Command {
    /// Run the web server.
    Serve {
        /// Address and port to listen on, e.g. 0.0.0.0:8080.
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Make API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check or export the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check or migrate the database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Show or check the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Take, list or verify backups.
    #[command(subcommand)]
    Backup(BackupCommand),
    /// Replace the data with a backup (verified first; the current data is kept aside).
    Restore {
        /// The backup file.
        file: std::path::PathBuf,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// Stop the server that uses the data folder first (start it again afterwards).
        #[arg(long)]
        stop_server: bool,
    },
    /// Import a CSV or XLSX file: columns matched to fields by name, every row checked first.
    Import {
        /// The file.
        file: std::path::PathBuf,
        /// companies, contacts, leads or deals.
        #[arg(long)]
        into: String,
        /// Only report what would happen.
        #[arg(long)]
        dry_run: bool,
        /// What to do with a row that matches an existing record: skip, update or create.
        #[arg(long, default_value = "skip")]
        on_duplicate: String,
        /// The file's encoding (utf-8, utf-16le, utf-16be, gb18030); detected when left out.
        #[arg(long)]
        encoding: Option<String>,
        /// The workbook sheet; the first when left out.
        #[arg(long)]
        sheet: Option<String>,
        /// Who the import is by and who new records belong to without an owner column (email).
        #[arg(long, value_name = "EMAIL")]
        as_user: Option<String>,
    },
    /// Write every live record of a kind to a CSV or XLSX file.
    Export {
        /// companies, contacts, leads or deals.
        entity: String,
        /// csv or xlsx.
        #[arg(long, default_value = "csv")]
        format: String,
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
    /// Fill the database with demo or benchmark data.
    Seed {
        /// A believable bilingual demo company (a few hundred customers).
        #[arg(long, conflicts_with = "scale")]
        demo: bool,
        /// N contacts with companies and users in the benchmark's proportions.
        #[arg(long, value_name = "N")]
        scale: Option<usize>,
    },
}

/// `kith user ...`.
#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user. Without --password-stdin a strong password is generated and printed once.
    Add {
        /// Email, used to sign in.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// admin, manager, sales, service or viewer.
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Set a user's password and sign them out everywhere.
    Passwd {
        /// The user's email.
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user and end all their sessions at once.
    Disable {
        /// The user's email.
        email: String,
        /// Hand their companies, contacts and open tasks to this colleague (email).
        #[arg(long, value_name = "EMAIL")]
        transfer_to: Option<String>,
    },
}

/// `kith token ...`.
#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make an API token for a user and print it once (read and write unless --read-only).
    Create {
        /// The user the token acts as (email).
        #[arg(long)]
        user: String,
        /// What the token is for, e.g. "ERP sync".
        #[arg(long)]
        name: String,
        /// The token may only read.
        #[arg(long)]
        read_only: bool,
    },
}

/// `kith audit ...`.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain: OK with count and head, or the first broken entry (exit 1).
    Verify,
    /// Write entries as CSV to standard output.
    Export {
        /// Only entries from this date (YYYY-MM-DD, UTC) on.
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
    },
}

/// `kith backup ...`.
#[derive(Subcommand)]
pub enum BackupCommand {
    /// Take a verified backup now (also while the server runs).
    Run,
    /// List the backups: time, size, verified, schema version.
    List,
    /// Check a backup completely; exit code 1 on any problem.
    Verify {
        /// The backup file.
        file: std::path::PathBuf,
    },
    /// Write a new encryption key file for `backup.key_file`.
    Keygen {
        /// Where to write it (must not exist).
        file: std::path::PathBuf,
    },
}

/// `kith db ...`.
#[derive(Subcommand)]
pub enum DbCommand {
    /// Run SQLite's integrity and foreign key checks.
    Check,
    /// Bring the database to this version's schema.
    Migrate,
}

/// `kith config ...`.
#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Load every layer and print the effective configuration.
    Check,
    /// Print the documented default configuration file.
    Default,
}

/// Parses the command line, runs the command, and turns failure into a one-line reason
/// on standard error with a non-zero exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let reason = format!("{e:#}");
            eprintln!("kith: {}", reason.lines().collect::<Vec<_>>().join(" "));
            ExitCode::FAILURE
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<()> {
    if let Command::Config(ConfigCommand::Default) = cli.command {
        print!("{}", crate::config::example());
        return Ok(());
    }
    let listen = match &cli.command {
        Command::Serve { listen } => listen.clone(),
        _ => None,
    };
    let config = Config::load(&Overrides {
        config_file: cli.config.clone(),
        data_dir: cli.data.clone(),
        listen,
    })?;
    match cli.command {
        Command::Serve { .. } => admin::serve(config),
        Command::User(cmd) => admin::user(&config, cmd),
        Command::Token(cmd) => admin::token(&config, cmd),
        Command::Audit(cmd) => admin::audit(&config, cmd),
        Command::Db(cmd) => admin::db(&config, cmd),
        Command::Backup(cmd) => backup::backup(&config, cmd),
        Command::Restore {
            file,
            yes,
            stop_server,
        } => backup::restore(&config, &file, yes, stop_server),
        Command::Seed { demo, scale } => admin::seed(&config, demo, scale),
        Command::Import {
            file,
            into,
            dry_run,
            on_duplicate,
            encoding,
            sheet,
            as_user,
        } => crate::cli::import::run(
            &config,
            crate::cli::import::Args {
                file,
                into,
                dry_run,
                on_duplicate,
                encoding,
                sheet,
                as_user,
            },
        ),
        Command::Export {
            entity,
            format,
            out,
        } => admin::export(&config, &entity, &format, &out),
        Command::Config(_) => {
            print!("{}", config.to_toml());
            eprintln!("configuration OK");
            Ok(())
        }
    }
}
