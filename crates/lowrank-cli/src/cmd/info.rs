//! `lowrank info`: what a matrix file holds, without decomposing it.

use super::{load, Global};
use crate::args::InfoArgs;
use crate::failure::Failure;
use crate::progress::Bar;
use lowrank_core::memory::Bytes;
use lowrank_core::op::{DenseOp, LinearOperator};
use lowrank_io::Matrix;
use serde::Serialize;

#[derive(Serialize)]
struct InfoSummary {
    path: String,
    format: String,
    nrows: usize,
    ncols: usize,
    storage: &'static str,
    stored_entries: usize,
    density: f64,
    memory_bytes: u64,
    frobenius_norm: f64,
    sha256: String,
    file_bytes: u64,
    read_seconds: f64,
    has_row_ids: bool,
    has_column_names: bool,
}

pub(crate) fn run(a: InfoArgs, g: &Global) -> Result<(), Failure> {
    let mut bar = Bar::new(g.quiet);
    let input = load(&a.input, &mut bar)?;
    bar.finish();
    let l = &input.loaded;
    let (m, n) = (l.matrix.nrows(), l.matrix.ncols());
    let fro = match &l.matrix {
        Matrix::Dense(d) => DenseOp::new(d.as_ref()).frobenius_norm_sq(),
        Matrix::Sparse(s) => s.frobenius_norm_sq(),
    }
    .unwrap_or(f64::NAN)
    .max(0.0)
    .sqrt();
    let total = m as f64 * n as f64;
    let summary = InfoSummary {
        path: a.input.input.display().to_string(),
        format: l.format.to_string(),
        nrows: m,
        ncols: n,
        storage: if l.matrix.is_sparse() {
            "sparse"
        } else {
            "dense"
        },
        stored_entries: l.matrix.stored_entries(),
        density: if total > 0.0 {
            l.matrix.stored_entries() as f64 / total
        } else {
            0.0
        },
        memory_bytes: l.matrix.memory_bytes(),
        frobenius_norm: fro,
        sha256: l.sha256.clone(),
        file_bytes: l.bytes_read,
        read_seconds: input.read_seconds,
        has_row_ids: l.row_ids.is_some(),
        has_column_names: l.column_names.is_some(),
    };
    if g.json {
        crate::report::print_json(&summary)?;
    } else {
        let out = format!(
            "file          {}\nformat        {}\nshape         {} x {}\nstorage       {}\nstored        {} entries\ndensity       {:.6}\nmemory        {}\nfrobenius     {:.10e}\nsha256        {}\nread in       {:.3} s ({:.0} MB/s)\n",
            summary.path,
            summary.format,
            m,
            n,
            summary.storage,
            summary.stored_entries,
            summary.density,
            Bytes(summary.memory_bytes),
            fro,
            summary.sha256,
            summary.read_seconds,
            summary.file_bytes as f64 / 1e6 / summary.read_seconds.max(1e-9),
        );
        crate::report::print_text(&out)?;
    }
    Ok(())
}
