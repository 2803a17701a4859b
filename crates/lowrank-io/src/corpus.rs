//! Text corpora for latent semantic analysis: a folder of files, or a JSON-lines file.
//!
//! - **Folder**: every regular file below it, recursively, except hidden ones (a name starting
//!   with `.`, file or folder). Documents are named by their path relative to the folder with
//!   `/` separators, and come in sorted (code-point) order of that name — the order of
//!   `sorted(relative paths)` in Python. Files are read in parallel.
//! - **JSON lines** (any file): one object per line, `{"id": ..., "text": "..."}`. `text` is
//!   required and must be a string; `id` (string or number) is optional and defaults to the line
//!   number; ids must be unique. Blank lines are skipped. Documents keep the file's order.
//!   Every error names the file, line and column.
//!
//! Encoding: UTF-8. A file of a folder that is not valid UTF-8 is decoded with replacement
//! characters (`U+FFFD`) rather than refused — one stray Latin-1 file should not stop a corpus
//! of thousands — and is listed in [`Corpus::lossy`] so that the caller reports it. A JSON-lines
//! file must be valid UTF-8 (JSON requires it): an invalid line is an error.

use crate::IoError;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where a corpus came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CorpusSource {
    /// A folder of files.
    Folder,
    /// A JSON-lines file.
    JsonLines,
}

/// The documents of a corpus, in order.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// Document names: relative paths, or ids.
    pub names: Vec<String>,
    /// Document texts.
    pub texts: Vec<String>,
    /// Folder or JSON lines.
    pub source: CorpusSource,
    /// Documents (indices) whose bytes were not valid UTF-8 and were decoded with replacements.
    pub lossy: Vec<usize>,
    /// Bytes read.
    pub bytes: u64,
}

impl Corpus {
    /// Number of documents.
    pub fn len(&self) -> usize {
        self.texts.len()
    }
    /// Whether there are no documents.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

/// Reads a corpus: a folder ([`read_folder`]) or a JSON-lines file ([`read_jsonl`]).
///
/// # Errors
/// [`IoError::Io`] for a missing or unreadable path, [`IoError::Format`] for a malformed JSON
/// line or a corpus without documents.
pub fn read_corpus(path: &Path) -> Result<Corpus, IoError> {
    let meta = std::fs::metadata(path).map_err(|e| IoError::io(path, e))?;
    if meta.is_dir() {
        read_folder(path)
    } else {
        read_jsonl(path)
    }
}

/// Reads every non-hidden file below `dir`, in sorted relative-path order.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir(dir.path().join("b")).unwrap();
/// std::fs::write(dir.path().join("b/1.txt"), "second").unwrap();
/// std::fs::write(dir.path().join("a.txt"), "first").unwrap();
/// std::fs::write(dir.path().join(".hidden"), "skipped").unwrap();
/// let c = lowrank_io::corpus::read_folder(dir.path()).unwrap();
/// assert_eq!(c.names, ["a.txt", "b/1.txt"]);
/// assert_eq!(c.texts, ["first", "second"]);
/// ```
///
/// # Errors
/// An unreadable folder or file, or no documents at all.
pub fn read_folder(dir: &Path) -> Result<Corpus, IoError> {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    walk(dir, "", &mut files)?;
    if files.is_empty() {
        return Err(IoError::format(
            dir,
            "no documents: the folder holds no (non-hidden) files",
        ));
    }
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let read: Vec<Result<(String, bool, u64), IoError>> = files
        .par_iter()
        .map(|(_, path)| {
            let bytes = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
            let n = bytes.len() as u64;
            Ok(match String::from_utf8(bytes) {
                Ok(s) => (s, false, n),
                Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true, n),
            })
        })
        .collect();
    let mut texts = Vec::with_capacity(files.len());
    let mut lossy = Vec::new();
    let mut total = 0;
    for (i, r) in read.into_iter().enumerate() {
        let (text, replaced, n) = r?;
        if replaced {
            lossy.push(i);
        }
        total += n;
        texts.push(text);
    }
    Ok(Corpus {
        names: files.into_iter().map(|f| f.0).collect(),
        texts,
        source: CorpusSource::Folder,
        lossy,
        bytes: total,
    })
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) -> Result<(), IoError> {
    let entries = std::fs::read_dir(dir).map_err(|e| IoError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| IoError::io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        // Follow symbolic links, as opening the file would.
        let meta = std::fs::metadata(&path).map_err(|e| IoError::io(&path, e))?;
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if meta.is_dir() {
            walk(&path, &rel, out)?;
        } else if meta.is_file() {
            out.push((rel, path));
        }
    }
    Ok(())
}

/// Reads a JSON-lines corpus: `{"id": ..., "text": "..."}` per line.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("c.jsonl");
/// std::fs::write(&path, "{\"id\": \"x\", \"text\": \"one\"}\n\n{\"text\": \"two\"}\n").unwrap();
/// let c = lowrank_io::corpus::read_jsonl(&path).unwrap();
/// assert_eq!(c.names, ["x", "3"]); // no id: the line number
/// assert_eq!(c.texts, ["one", "two"]);
/// ```
///
/// # Errors
/// [`IoError::Format`] with the line (and column) of a malformed line, a missing or non-string
/// `text`, an `id` that is not a string or number, or a repeated id; no documents at all.
pub fn read_jsonl(path: &Path) -> Result<Corpus, IoError> {
    let data = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    let mut names = Vec::new();
    let mut texts = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for (i, raw) in data.split(|&b| b == b'\n').enumerate() {
        let line = i as u64 + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let value: serde_json::Value = serde_json::from_slice(raw).map_err(|e| {
            IoError::at_line(
                path,
                line,
                Some(e.column() as u64),
                None,
                format!("not a JSON object: {e}"),
            )
        })?;
        let serde_json::Value::Object(obj) = value else {
            return Err(IoError::at_line(
                path,
                line,
                None,
                None,
                "expected a JSON object {\"id\": ..., \"text\": \"...\"}",
            ));
        };
        let text = match obj.get("text") {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(IoError::at_line(
                    path,
                    line,
                    None,
                    None,
                    format!("field \"text\" must be a string, found {}", kind(other)),
                ))
            }
            None => {
                return Err(IoError::at_line(
                    path,
                    line,
                    None,
                    None,
                    "missing field \"text\"",
                ))
            }
        };
        let name = match obj.get("id") {
            None | Some(serde_json::Value::Null) => line.to_string(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(IoError::at_line(
                    path,
                    line,
                    None,
                    None,
                    format!(
                        "field \"id\" must be a string or a number, found {}",
                        kind(other)
                    ),
                ))
            }
        };
        if let Some(first) = seen.insert(name.clone(), line) {
            return Err(IoError::at_line(
                path,
                line,
                None,
                None,
                format!("id {name:?} already used on line {first}"),
            ));
        }
        names.push(name);
        texts.push(text);
    }
    if texts.is_empty() {
        return Err(IoError::format(
            path,
            "no documents: the file holds no JSON lines",
        ));
    }
    Ok(Corpus {
        names,
        texts,
        source: CorpusSource::JsonLines,
        lossy: Vec::new(),
        bytes: data.len() as u64,
    })
}

fn kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jsonl(content: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.jsonl");
        std::fs::write(&p, content).unwrap();
        (dir, p)
    }

    #[test]
    fn jsonl_errors_name_the_line() {
        let cases = [
            (
                "{\"text\": \"ok\"}\n{\"text\": \"x\"\n",
                ":2:",
                "not a JSON object",
            ),
            (
                "{\"text\": \"ok\"}\n\n{\"id\": 1}\n",
                ":3",
                "missing field \"text\"",
            ),
            ("{\"text\": 5}\n", ":1", "must be a string"),
            ("[1, 2]\n", ":1", "expected a JSON object"),
            ("{\"id\": [1], \"text\": \"a\"}\n", ":1", "\"id\" must be"),
            (
                "{\"id\": 1, \"text\": \"a\"}\n{\"id\": 1, \"text\": \"b\"}\n",
                ":2",
                "already used on line 1",
            ),
            ("\n  \n", "", "no documents"),
        ];
        for (content, location, what) in cases {
            let (_d, p) = jsonl(content);
            let msg = read_jsonl(&p).unwrap_err().to_string();
            assert!(
                msg.contains(&format!("c.jsonl{location}")) && msg.contains(what),
                "{content:?}: {msg}"
            );
        }
    }

    #[test]
    fn folder_order_lossy_and_empty() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("a-b")).unwrap();
        std::fs::create_dir_all(d.join("a")).unwrap();
        std::fs::create_dir_all(d.join(".git")).unwrap();
        std::fs::write(d.join("a-b/x"), "1").unwrap();
        std::fs::write(d.join("a/x"), b"caf\xe9").unwrap();
        std::fs::write(d.join(".git/config"), "hidden").unwrap();
        let c = read_folder(d).unwrap();
        // Code-point order of the whole relative path ('-' < '/'), as Python's sorted().
        assert_eq!(c.names, ["a-b/x", "a/x"]);
        assert_eq!(c.lossy, [1]);
        assert_eq!(c.texts[1], "caf\u{fffd}");
        let empty = tempfile::tempdir().unwrap();
        std::fs::create_dir(empty.path().join("sub")).unwrap();
        let msg = read_folder(empty.path()).unwrap_err().to_string();
        assert!(msg.contains("no documents"), "{msg}");
    }
}
