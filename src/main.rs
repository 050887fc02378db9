#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    kith::cli::run()
}
