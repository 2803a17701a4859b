//! Atomic writers: files are written to a temporary name in the same directory, synced, then
//! renamed over the destination, so a reader never sees half a file; output directories are
//! assembled under a hidden temporary name and renamed into place on commit.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use faer::MatRef;

use crate::IoError;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh hidden sibling of `path`: `<dir>/.<name>.<tag>-<pid>-<n>`.
fn sibling(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let file = format!(".{name}.{tag}-{}-{n}", std::process::id());
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(file),
        _ => PathBuf::from(file),
    }
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Best-effort sync of a directory, so a rename in it survives a crash.
fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory is written,
/// synced to disk and renamed over `path`. On failure the temporary file is removed and
/// `path` is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IoError> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Like [`write_atomic`], but the content is produced by `fill` writing into the (buffered)
/// temporary file.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), IoError> {
    let tmp = sibling(path, "tmp");
    let result = (|| -> Result<(), IoError> {
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| IoError::io(&tmp, e))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
        fill(&mut w).map_err(|e| IoError::io(&tmp, e))?;
        let file = w
            .into_inner()
            .map_err(|e| IoError::io(&tmp, e.into_error()))?;
        file.sync_all().map_err(|e| IoError::io(&tmp, e))?;
        drop(file);
        fs::rename(&tmp, path).map_err(|e| IoError::io(path, e))?;
        sync_dir(&parent_dir(path));
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Writes a matrix as a `.npy` file: little-endian `f64` (`'<f8'`), C order, written atomically.
///
/// The bytes are produced in row slabs of about 8 MiB, so writing a large factor does not hold
/// a second copy of it in memory.
pub fn write_npy(path: &Path, m: MatRef<'_, f64>) -> Result<(), IoError> {
    write_atomic_with(path, |w| {
        w.write_all(&crate::npy::matrix_header(m))?;
        let slab = ((8 << 20) / (m.ncols().max(1) * 8)).max(1);
        let mut buf = Vec::new();
        let mut r0 = 0;
        while r0 < m.nrows() {
            let rows = slab.min(m.nrows() - r0);
            buf.clear();
            crate::dense::write_row_major_le(m.subrows(r0, rows), &mut buf);
            w.write_all(&buf)?;
            r0 += rows;
        }
        Ok(())
    })
}

/// Writes a vector as a 1-D `.npy` file (`'<f8'`), atomically.
pub fn write_npy_vec(path: &Path, v: &[f64]) -> Result<(), IoError> {
    write_atomic(path, &crate::npy::encode_vec(v))
}

/// Writes named matrices to a `.safetensors` file (dtype `F64`, row-major), atomically.
pub fn write_safetensors(path: &Path, tensors: &[(&str, MatRef<'_, f64>)]) -> Result<(), IoError> {
    write_safetensors_with_metadata(path, tensors, &[])
}

/// Like [`write_safetensors`], with string metadata stored in the file's `__metadata__`.
pub fn write_safetensors_with_metadata(
    path: &Path,
    tensors: &[(&str, MatRef<'_, f64>)],
    metadata: &[(&str, &str)],
) -> Result<(), IoError> {
    use safetensors::tensor::{Dtype, TensorView};
    let ser_err = |message: String| IoError::Serialize {
        path: path.to_path_buf(),
        message,
    };
    let mut seen = std::collections::HashSet::new();
    for (name, _) in tensors {
        if !seen.insert(*name) {
            return Err(ser_err(format!("two tensors are named '{name}'")));
        }
    }
    let buffers: Vec<Vec<u8>> = tensors
        .iter()
        .map(|(_, m)| {
            let mut b = Vec::new();
            crate::dense::write_row_major_le(*m, &mut b);
            b
        })
        .collect();
    let mut views = Vec::with_capacity(tensors.len());
    for ((name, m), buf) in tensors.iter().zip(&buffers) {
        let view = TensorView::new(Dtype::F64, vec![m.nrows(), m.ncols()], buf)
            .map_err(|e| ser_err(format!("tensor '{name}': {e}")))?;
        views.push((name.to_string(), view));
    }
    let info = if metadata.is_empty() {
        None
    } else {
        Some(
            metadata
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    };
    let bytes = safetensors::tensor::serialize(views, info).map_err(|e| ser_err(e.to_string()))?;
    drop(buffers);
    write_atomic(path, &bytes)
}

/// An output directory assembled atomically.
///
/// [`OutputDir::create`] makes a hidden temporary directory next to the final path; files are
/// written into [`OutputDir::path`]; [`OutputDir::commit`] renames it into place. Dropped
/// without a commit (an error, a panic, Ctrl-C unwinding), the temporary directory is removed,
/// so no half-written output is ever left under the final name.
#[derive(Debug)]
pub struct OutputDir {
    tmp: PathBuf,
    target: PathBuf,
    force: bool,
    committed: bool,
}

impl OutputDir {
    /// Starts an output directory that will become `target`.
    ///
    /// Fails with [`IoError::OutputExists`] if `target` exists and `force` is false. Missing
    /// parent directories are created.
    pub fn create(target: &Path, force: bool) -> Result<Self, IoError> {
        if !force && fs::symlink_metadata(target).is_ok() {
            return Err(IoError::OutputExists {
                path: target.to_path_buf(),
            });
        }
        let parent = parent_dir(target);
        fs::create_dir_all(&parent).map_err(|e| IoError::io(&parent, e))?;
        let tmp = sibling(target, "tmp");
        fs::create_dir(&tmp).map_err(|e| IoError::io(&tmp, e))?;
        Ok(OutputDir {
            tmp,
            target: target.to_path_buf(),
            force,
            committed: false,
        })
    }

    /// The temporary directory to write files into.
    pub fn path(&self) -> &Path {
        &self.tmp
    }

    /// The final path the directory will have after [`OutputDir::commit`].
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Shorthand for `self.path().join(name)`.
    pub fn file(&self, name: &str) -> PathBuf {
        self.tmp.join(name)
    }

    /// Moves the finished directory into place. With `force`, an existing output is first
    /// renamed aside, then deleted once the new one is in place.
    pub fn commit(mut self) -> Result<PathBuf, IoError> {
        sync_dir(&self.tmp);
        let exists = fs::symlink_metadata(&self.target).is_ok();
        let mut old = None;
        if exists {
            if !self.force {
                return Err(IoError::OutputExists {
                    path: self.target.clone(),
                });
            }
            let aside = sibling(&self.target, "old");
            fs::rename(&self.target, &aside).map_err(|e| IoError::io(&self.target, e))?;
            old = Some(aside);
        }
        if let Err(e) = fs::rename(&self.tmp, &self.target) {
            // Put the previous output back.
            if let Some(aside) = &old {
                let _ = fs::rename(aside, &self.target);
            }
            return Err(IoError::io(&self.target, e));
        }
        self.committed = true;
        sync_dir(&parent_dir(&self.target));
        if let Some(aside) = old {
            let removed = if aside.is_dir() && !aside.is_symlink() {
                fs::remove_dir_all(&aside)
            } else {
                fs::remove_file(&aside)
            };
            removed.map_err(|e| IoError::io(&aside, e))?;
        }
        Ok(self.target.clone())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}
