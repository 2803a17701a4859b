//! `lowrank`: the command-line tool. Parses arguments, runs one command, maps failures to
//! documented exit codes. All numerics live in `lowrank-core`, all file formats in `lowrank-io`.

mod args;
mod cmd;
mod failure;
mod progress;
mod report;
mod system;

use clap::Parser;
use failure::Failure;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if f.is_broken_pipe() {
                // `lowrank ... | head` is not an error.
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", f.message());
            ExitCode::from(f.code())
        }
    }
}

/// More threads than this only costs memory (each has a stack) and scheduling.
const MAX_THREADS: usize = 1024;

fn run(cli: args::Cli) -> Result<(), Failure> {
    if let Some(n) = cli.threads {
        if n == 0 {
            return Err(Failure::usage("--threads must be at least 1"));
        }
        if n > MAX_THREADS {
            return Err(Failure::usage(format!(
                "--threads {n} is more than the supported {MAX_THREADS}"
            )));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Failure::internal(anyhow::anyhow!("cannot start {n} threads: {e}")))?;
    }
    let global = cmd::Global {
        quiet: cli.quiet,
        json: cli.json,
    };
    match cli.command {
        args::Command::Info(a) => cmd::info::run(a, &global),
        args::Command::Svd(a) => cmd::svd::run(a, &global),
        args::Command::Mf(c) => cmd::mf::run(c, &global),
        args::Command::Pca(a) => cmd::pca::run(a, &global),
        args::Command::Denoise(a) => cmd::denoise::run(a, &global),
        args::Command::Lsa(a) => cmd::lsa::run(a, &global),
        args::Command::Anomaly(a) => cmd::anomaly::run(a, &global),
        args::Command::Ridge(a) => cmd::ridge::run(a, &global),
        args::Command::Store(a) => cmd::store::run(a, &global),
        args::Command::Drift(a) => cmd::drift::run(a, &global),
        args::Command::Serve(a) => cmd::serve::run(a, &global),
    }
}
