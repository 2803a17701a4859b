//! One module per subcommand, plus the input handling they share.

pub(crate) mod anomaly;
pub(crate) mod denoise;
pub(crate) mod drift;
pub(crate) mod info;
pub(crate) mod lsa;
pub(crate) mod mf;
pub(crate) mod pca;
pub(crate) mod ridge;
pub(crate) mod serve;
pub(crate) mod store;
pub(crate) mod svd;

use crate::args::{InputArgs, InputFormat};
use crate::failure::{self, Failure};
use crate::progress::Bar;
use crate::system;
use lowrank_core::memory::Bytes;
use lowrank_io::{Format, HeaderMode, Loaded, ReadOptions};
use std::time::Instant;

/// Options every command shares.
pub(crate) struct Global {
    pub(crate) quiet: bool,
    pub(crate) json: bool,
}

/// An input read and checked, with how long it took.
pub(crate) struct Input {
    pub(crate) loaded: Loaded,
    pub(crate) read_seconds: f64,
    pub(crate) memory_limit: u64,
}

/// `--delimiter`: one character, or `tab` / `space`.
pub(crate) fn parse_delimiter(d: Option<&str>) -> Result<Option<u8>, Failure> {
    Ok(match d {
        None => None,
        Some("tab" | "\\t") => Some(b'\t'),
        Some("space" | " ") => Some(b' '),
        Some(s) if s.len() == 1 => Some(s.as_bytes()[0]),
        Some(s) => {
            return Err(Failure::usage(format!(
                "--delimiter '{s}': give one character, `tab` or `space`"
            )))
        }
    })
}

pub(crate) fn read_options(a: &InputArgs) -> Result<ReadOptions, Failure> {
    let a = &a.read;
    let delimiter = parse_delimiter(a.delimiter.as_deref())?;
    Ok(ReadOptions {
        format: a.input_format.map(|f| match f {
            InputFormat::Npy => Format::Npy,
            InputFormat::Csv => Format::Delimited,
            InputFormat::Mtx => Format::MatrixMarket,
            InputFormat::Triplets => Format::Triplets,
        }),
        header: match (a.header, a.no_header) {
            (true, _) => HeaderMode::Present,
            (_, true) => HeaderMode::Absent,
            _ => HeaderMode::Auto,
        },
        delimiter,
        parallel: true,
    })
}

pub(crate) fn memory_limit(a: &InputArgs) -> Result<u64, Failure> {
    parse_memory_limit(a.read.max_memory.as_deref())
}

/// `--max-memory`, or the default (a safe fraction of physical memory).
pub(crate) fn parse_memory_limit(s: Option<&str>) -> Result<u64, Failure> {
    match s {
        Some(s) => system::parse_bytes(s).map_err(|e| Failure::usage(format!("--max-memory {e}"))),
        None => Ok(system::default_memory_limit()),
    }
}

/// Reads the input after checking, from its header alone, that it fits in memory; then refuses
/// NaN/Inf entries.
pub(crate) fn load(a: &InputArgs, bar: &mut Bar) -> Result<Input, Failure> {
    let opts = read_options(a)?;
    let limit = memory_limit(a)?;
    let estimate = lowrank_io::estimate_memory(&a.input, &opts)?;
    if estimate.peak_bytes > limit {
        return Err(Failure::refused(format!(
            "{}: reading this file needs an estimated {} of memory ({} for the matrix), above the \
             limit of {}; raise --max-memory if the machine has room",
            a.input.display(),
            Bytes(estimate.peak_bytes),
            Bytes(estimate.bytes),
            Bytes(limit)
        )));
    }
    bar.phase(&format!(
        "reading {}",
        a.input
            .file_name()
            .map(|f| f.to_string_lossy())
            .unwrap_or_default()
    ));
    let start = Instant::now();
    let loaded = lowrank_io::read_matrix(&a.input, &opts)?;
    let read_seconds = start.elapsed().as_secs_f64();
    lowrank_io::check_finite(&loaded.matrix).map_err(|e| failure::non_finite(&a.input, e))?;
    Ok(Input {
        loaded,
        read_seconds,
        memory_limit: limit,
    })
}
