//! Ratings files for the recommender: one `user,item,rating[,timestamp]` line per rating,
//! separated by commas, tabs, semicolons or whitespace; an optional header line; a line whose
//! first non-blank character is `#` is a comment. User and item ids are strings (integers
//! included: `007` and `7` differ), numbered in order of first appearance so that indices do
//! not depend on how the file was split among threads.
//!
//! The file is streamed in line-aligned blocks (never held whole) and parsed in parallel
//! chunks; only the `u32`/`u32`/`f32` (+ `i64`) columns are kept. Fields may be quoted with
//! `"` (a quote inside written twice, as in CSV) so that ids can hold the delimiter; a field
//! cannot span lines.

use std::collections::HashMap;
use std::path::Path;

use crate::text::{
    detect_delimiter, is_blank, is_missing, line_end, parse_cell, read_head, sample_lines, show,
    skip_bom, strip_cr, trim, Block, Delim, Stream, TextError,
};
use crate::{HeaderMode, IoError};

/// Lines sampled to detect the delimiter and the header.
const SAMPLE_LINES: usize = 20;

/// Dense numbering of string ids, in order of first appearance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdMap {
    ids: Vec<String>,
    /// Ids of up to 15 bytes (nearly all in practice), packed into the key itself so that a
    /// lookup reads no memory outside the table: the reader looks up two ids per rating.
    short: HashMap<u128, u32>,
    /// Longer ids.
    long: HashMap<Box<[u8]>, u32>,
}

/// `id` packed into a `u128` (bytes, then the length in the top byte), if it fits.
fn pack(id: &[u8]) -> Option<u128> {
    (id.len() < 16).then(|| {
        let mut b = [0u8; 16];
        b[..id.len()].copy_from_slice(id);
        b[15] = id.len() as u8;
        u128::from_le_bytes(b)
    })
}

impl IdMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// The map numbering `ids` in their order; an error names a repeated id, since indices
    /// must be unambiguous.
    pub fn from_ids(ids: Vec<String>) -> Result<Self, String> {
        let mut map = IdMap::new();
        for (k, id) in ids.iter().enumerate() {
            let k32 = u32::try_from(k).map_err(|_| "more than 2^32 ids".to_string())?;
            if let Some(first) = map.get(id) {
                return Err(format!(
                    "repeated id '{}' at index {k} (first at index {first})",
                    show(id.as_bytes())
                ));
            }
            map.insert_key(id.as_bytes(), k32);
        }
        map.ids = ids;
        Ok(map)
    }

    fn insert_key(&mut self, id: &[u8], k: u32) {
        match pack(id) {
            Some(key) => self.short.insert(key, k),
            None => self.long.insert(id.into(), k),
        };
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Has no ids?
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The index of `id`, if known.
    pub fn get(&self, id: &str) -> Option<u32> {
        self.get_bytes(id.as_bytes())
    }

    fn get_bytes(&self, id: &[u8]) -> Option<u32> {
        match pack(id) {
            Some(key) => self.short.get(&key),
            None => self.long.get(id),
        }
        .copied()
    }

    /// The index of `id`, appending it if it is new.
    ///
    /// # Panics
    /// If the map already holds 2^32 ids.
    pub fn intern(&mut self, id: &str) -> u32 {
        if let Some(k) = self.get(id) {
            return k;
        }
        let k = u32::try_from(self.ids.len()).expect("an IdMap holds at most 2^32 ids");
        self.ids.push(id.to_owned());
        self.insert_key(id.as_bytes(), k);
        k
    }

    /// The id at `index`.
    ///
    /// # Panics
    /// If `index >= self.len()`.
    pub fn id(&self, index: u32) -> &str {
        &self.ids[index as usize]
    }

    /// All ids, in index order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }
}

/// What to do with repeated `(user, item)` pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicateRule {
    /// The last occurrence in file order wins (a later line corrects an earlier one).
    #[default]
    Last,
    /// The mean of all occurrences (computed in `f64`), with the last one's timestamp.
    Mean,
    /// Refuse the file, naming both lines.
    Error,
}

/// How to read a ratings file.
#[derive(Debug, Clone, Default)]
pub struct RatingsOptions {
    /// Field delimiter; `None` = detect (tab, semicolon, comma, else runs of whitespace).
    /// `Some(b' ')` means runs of whitespace.
    pub delimiter: Option<u8>,
    /// Header line handling; `Auto`: a header if the first line's rating field is not a number.
    pub header: HeaderMode,
    /// Repeated `(user, item)` pairs.
    pub duplicates: DuplicateRule,
    /// Declared rating scale `[min, max]`: a rating outside it is an error (a wrong column or a
    /// different scale would otherwise silently skew the model).
    pub scale: Option<(f64, f64)>,
    /// Users already numbered (a trained model's): new users get the following indices.
    pub known_users: Option<IdMap>,
    /// Items already numbered (a trained model's): new items get the following indices.
    pub known_items: Option<IdMap>,
}

/// A ratings file as columns, one entry per `(user, item)` pair.
///
/// Entries are in file order of each pair's first occurrence; a pair's value and timestamp
/// follow [`RatingsOptions::duplicates`].
#[derive(Debug, Clone)]
pub struct RatingsFile {
    /// User index of each rating (into `user_ids`).
    pub users: Vec<u32>,
    /// Item index of each rating (into `item_ids`).
    pub items: Vec<u32>,
    /// The ratings.
    pub ratings: Vec<f32>,
    /// Timestamps, if the file's first data line has one (then every line has).
    pub timestamps: Option<Vec<i64>>,
    /// User ids: the known ones first, then new ones in order of first appearance.
    pub user_ids: IdMap,
    /// Item ids: the known ones first, then new ones in order of first appearance.
    pub item_ids: IdMap,
    /// The header line's cells, if there is one.
    pub header: Option<Vec<String>>,
    /// Lines merged into an earlier line with the same `(user, item)` pair.
    pub duplicates: u64,
    /// Data lines read (before merging duplicates).
    pub lines: u64,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
}

/// A field's content within its line (quotes removed; `escaped`: doubled quotes to undo).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Field {
    start: usize,
    end: usize,
    escaped: bool,
}

/// A malformed field: its 1-based number, offset in the line and what is wrong.
#[derive(Debug)]
struct SplitError {
    field: u64,
    offset: usize,
    message: &'static str,
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Splits a line (without its line ending) into fields, calling `each` on every one; returns
/// the number of fields. A field starting with `"` runs to the matching quote, so it may hold
/// the delimiter.
fn split_line(line: &[u8], delim: Delim, mut each: impl FnMut(Field)) -> Result<u64, SplitError> {
    let len = line.len();
    let mut n = 0u64;
    let mut p = 0usize;
    loop {
        // Past leading blanks (never past the delimiter itself).
        let mut s = p;
        match delim {
            Delim::Byte(d) => {
                while s < len && is_space(line[s]) && line[s] != d {
                    s += 1;
                }
            }
            Delim::Whitespace => {
                while s < len && is_space(line[s]) {
                    s += 1;
                }
                if s >= len {
                    break;
                }
            }
        }
        n += 1;
        let mut q = s;
        let close = if line.get(s) == Some(&b'"') {
            let mut r = s + 1;
            loop {
                match memchr::memchr(b'"', &line[r..]) {
                    None => {
                        return Err(SplitError {
                            field: n,
                            offset: s,
                            message: "unterminated quoted field (a quote inside a quoted field \
                                      is written twice; a field cannot span lines)",
                        })
                    }
                    Some(k) if line.get(r + k + 1) == Some(&b'"') => r += k + 2,
                    Some(k) => {
                        r += k;
                        break;
                    }
                }
            }
            q = r + 1;
            Some(r)
        } else {
            None
        };
        let e = match delim {
            Delim::Byte(d) => memchr::memchr(d, &line[q..]).map_or(len, |k| q + k),
            Delim::Whitespace => line[q..]
                .iter()
                .position(|&b| is_space(b))
                .map_or(len, |k| q + k),
        };
        let field = match close {
            Some(c) => {
                if !trim(&line[c + 1..e]).is_empty() {
                    return Err(SplitError {
                        field: n,
                        offset: c + 1,
                        message: "text after the closing quote of a quoted field",
                    });
                }
                let inner = &line[s + 1..c];
                Field {
                    start: s + 1,
                    end: c,
                    escaped: memchr::memmem::find(inner, b"\"\"").is_some(),
                }
            }
            None => {
                let (mut a, mut b) = (s, e);
                while a < b && matches!(line[a], b' ' | b'\t' | b'\r') {
                    a += 1;
                }
                while b > a && matches!(line[b - 1], b' ' | b'\t' | b'\r') {
                    b -= 1;
                }
                // Single quotes too, as the other text readers accept them.
                if b - a >= 2 && line[a] == b'\'' && line[b - 1] == b'\'' {
                    a += 1;
                    b -= 1;
                }
                Field {
                    start: a,
                    end: b,
                    escaped: false,
                }
            }
        };
        each(field);
        match delim {
            Delim::Byte(_) if e >= len => break,
            Delim::Byte(_) => p = e + 1,
            Delim::Whitespace => p = e,
        }
    }
    Ok(n)
}

/// `s` with doubled quotes made single, into `out`.
fn unescape(s: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < s.len() {
        out.push(s[i]);
        i += if s[i] == b'"' && s.get(i + 1) == Some(&b'"') {
            2
        } else {
            1
        };
    }
}

fn is_comment(line: &[u8]) -> bool {
    trim(line).first() == Some(&b'#')
}

/// What the first lines say.
struct Layout {
    /// Offset of the body (after a byte-order mark).
    start: usize,
    delim: Delim,
    /// File offset of the header line, if there is one.
    header_at: Option<u64>,
    header: Option<Vec<String>>,
    /// Average bytes per sampled line, to reserve the columns once.
    bytes_per_line: Option<usize>,
}

fn layout(data: &[u8], start: usize, opts: &RatingsOptions) -> Layout {
    let samples = sample_lines(data, start, SAMPLE_LINES, Some(b'#'));
    let delim = Delim::from_option(opts.delimiter).unwrap_or_else(|| {
        let lines: Vec<&[u8]> = samples.iter().map(|&(_, l)| l).collect();
        detect_delimiter(&lines)
    });
    let mut header_at = None;
    let mut header = None;
    if let Some(&(off, line)) = samples.first() {
        let mut fields = Vec::new();
        let split = split_line(line, delim, |f| fields.push(f));
        let is_header = match opts.header {
            HeaderMode::Present => true,
            HeaderMode::Absent => false,
            // A header if the rating column is not a number.
            HeaderMode::Auto => {
                split.is_ok()
                    && fields.len() >= 3
                    && parse_cell(&line[fields[2].start..fields[2].end]).is_none()
            }
        };
        if is_header {
            header_at = Some(off as u64);
            let mut buf = Vec::new();
            header = Some(
                fields
                    .iter()
                    .map(|f| {
                        unescape(&line[f.start..f.end], &mut buf);
                        String::from_utf8_lossy(&buf).into_owned()
                    })
                    .collect(),
            );
        }
    }
    let bytes_per_line = match (samples.first(), samples.last()) {
        (Some(&(a, _)), Some(&(b, _))) if samples.len() >= 2 => {
            Some(((b - a) / (samples.len() - 1)).max(1))
        }
        _ => None,
    };
    Layout {
        start,
        delim,
        header_at,
        header,
        bytes_per_line,
    }
}

/// One rating as found in a chunk: id ranges relative to the block.
struct Rec {
    /// Offset of the line in the block.
    line_start: u32,
    /// 0-based line number within the chunk.
    line: u32,
    user: (u32, u32),
    item: (u32, u32),
    user_escaped: bool,
    item_escaped: bool,
    has_ts: bool,
    rating: f64,
    ts: i64,
    /// The ids' indices if already known (looked up in parallel before the serial merge).
    user_index: Option<u32>,
    item_index: Option<u32>,
}

/// A chunk's ratings and how many lines it ends.
#[derive(Default)]
struct Chunk {
    recs: Vec<Rec>,
    newlines: u64,
}

fn parse_rating(s: &[u8]) -> Result<f64, String> {
    if s.is_empty() {
        return Err("empty rating".into());
    }
    match parse_cell(s) {
        Some(v) if v.is_finite() && (v as f32).is_finite() => Ok(v),
        Some(v) if v.is_finite() => Err(format!("rating '{}' does not fit in an f32", show(s))),
        Some(_) => Err(format!("rating '{}' is not a finite number", show(s))),
        None if is_missing(s) => Err(format!("rating '{}' is not a finite number", show(s))),
        None => Err(format!("cannot parse '{}' as a rating", show(s))),
    }
}

/// An integer, or a float with no fractional part (`874965758.0`, as some exports write).
fn parse_timestamp(s: &[u8]) -> Option<i64> {
    if let Some(v) = std::str::from_utf8(s)
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
    {
        return Some(v);
    }
    let v = fast_float2::parse::<f64, _>(s).ok()?;
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    (v.is_finite() && v.fract() == 0.0 && (-LIMIT..LIMIT).contains(&v)).then_some(v as i64)
}

/// Parses the lines of `blk.data[start..end]` into `out` (cleared first).
fn parse_chunk(
    blk: &Block<'_>,
    start: usize,
    end: usize,
    lay: &Layout,
    out: &mut Chunk,
) -> Result<(), TextError> {
    out.recs.clear();
    out.newlines = 0;
    let data = blk.data;
    if data.len() > u32::MAX as usize {
        return Err(TextError::new(
            start,
            None,
            start,
            "a line is longer than 4 GiB".into(),
        ));
    }
    let mut pos = start;
    while pos < end {
        let le = line_end(data, pos, end);
        let ls = pos;
        pos = le + 1;
        let line_no = out.newlines as u32;
        if le < end {
            out.newlines += 1;
        }
        if Some(blk.offset + ls as u64) == lay.header_at {
            continue;
        }
        let line = strip_cr(&data[ls..le]);
        if is_blank(line) || is_comment(line) {
            continue;
        }
        let mut fields = [Field::default(); 4];
        let mut seen = 0;
        let n = split_line(line, lay.delim, |f| {
            // Only the first four matter: more is an error below.
            if let Some(slot) = fields.get_mut(seen) {
                *slot = f;
            }
            seen += 1;
        });
        let n =
            n.map_err(|e| TextError::new(ls, Some(e.field), ls + e.offset, e.message.into()))?;
        if !(3..=4).contains(&n) {
            return Err(TextError::new(
                ls,
                None,
                ls,
                format!(
                    "expected user, item, rating[, timestamp]; found {n} field{}",
                    if n == 1 { "" } else { "s" }
                ),
            ));
        }
        let err = |k: usize, msg: String| {
            TextError::new(ls, Some(k as u64 + 1), ls + fields[k].start, msg)
        };
        let text = |k: usize| &line[fields[k].start..fields[k].end];
        for (k, what) in [(0, "user"), (1, "item")] {
            if text(k).is_empty() {
                return Err(err(k, format!("empty {what} id")));
            }
            // (Undoing doubled quotes cannot make valid UTF-8 invalid.)
            if std::str::from_utf8(text(k)).is_err() {
                return Err(err(k, format!("the {what} id is not valid UTF-8")));
            }
        }
        let rating = parse_rating(text(2)).map_err(|m| err(2, m))?;
        let (has_ts, ts) = if n == 4 {
            let t = text(3);
            let ts = parse_timestamp(t).ok_or_else(|| {
                err(
                    3,
                    if t.is_empty() {
                        "empty timestamp".into()
                    } else {
                        format!("cannot parse '{}' as a timestamp (an integer)", show(t))
                    },
                )
            })?;
            (true, ts)
        } else {
            (false, 0)
        };
        let range = |k: usize| ((ls + fields[k].start) as u32, (ls + fields[k].end) as u32);
        out.recs.push(Rec {
            line_start: ls as u32,
            line: line_no,
            user: range(0),
            item: range(1),
            user_escaped: fields[0].escaped,
            item_escaped: fields[1].escaped,
            has_ts,
            rating,
            ts,
            user_index: None,
            item_index: None,
        });
    }
    Ok(())
}

/// Line numbers of ratings, stored only where the step from one rating to the next is not one
/// line (comments, blank lines): memory grows with those, not with the ratings.
#[derive(Default)]
struct LineMap {
    /// `(rating index, its line)`, increasing.
    marks: Vec<(u64, u64)>,
}

impl LineMap {
    fn push(&mut self, rec: u64, line: u64) {
        if let Some(&(r0, l0)) = self.marks.last() {
            if l0 + (rec - r0) == line {
                return;
            }
        }
        self.marks.push((rec, line));
    }

    fn line(&self, rec: u64) -> u64 {
        let k = self.marks.partition_point(|m| m.0 <= rec) - 1;
        let (r0, l0) = self.marks[k];
        l0 + (rec - r0)
    }
}

/// The columns being built, in file order.
struct Builder<'a> {
    path: &'a Path,
    users: Vec<u32>,
    items: Vec<u32>,
    ratings: Vec<f32>,
    timestamps: Vec<i64>,
    user_ids: IdMap,
    item_ids: IdMap,
    /// Whether the first data line has a timestamp, and that line.
    first: Option<(bool, u64)>,
    /// Line number of the next block's first line.
    line: u64,
    lines: LineMap,
    scale: Option<(f64, f64)>,
    outside: u64,
    first_outside: Option<(u64, f64)>,
    scratch: Vec<u8>,
}

impl Builder<'_> {
    fn merge(
        &mut self,
        blk: &Block<'_>,
        results: Vec<Result<(), TextError>>,
        chunks: &mut [Chunk],
    ) -> Result<(), IoError> {
        // Ids seen in earlier blocks are looked up in parallel (the maps are only read); the
        // serial pass below numbers the new ones in file order.
        let (users, items) = (&self.user_ids, &self.item_ids);
        let lookup = |ch: &mut Chunk| {
            let mut last: Option<(&[u8], u32)> = None;
            for rec in &mut ch.recs {
                let bytes = |(s, e): (u32, u32)| &blk.data[s as usize..e as usize];
                if !rec.user_escaped {
                    let raw = bytes(rec.user);
                    rec.user_index = match last {
                        // Files are often grouped by user.
                        Some((prev, u)) if prev == raw => Some(u),
                        _ => users.get_bytes(raw),
                    };
                    last = rec.user_index.map(|u| (raw, u));
                }
                if !rec.item_escaped {
                    rec.item_index = items.get_bytes(bytes(rec.item));
                }
            }
        };
        if chunks.len() > 1 {
            use rayon::prelude::*;
            chunks.par_iter_mut().for_each(lookup);
        } else {
            chunks.iter_mut().for_each(lookup);
        }
        let block_line = self.line;
        let mut chunk_line = block_line;
        for (r, ch) in results.into_iter().zip(chunks.iter()) {
            // The chunk's ratings come before its parse error, if any: report errors in file
            // order whatever the chunking.
            for rec in &ch.recs {
                self.push(blk, chunk_line + rec.line as u64, rec)?;
            }
            r.map_err(|e| e.into_io_at(self.path, blk.data, block_line, blk.offset))?;
            chunk_line += ch.newlines;
        }
        self.line = chunk_line;
        Ok(())
    }

    fn push(&mut self, blk: &Block<'_>, line: u64, rec: &Rec) -> Result<(), IoError> {
        let path = self.path;
        let at = blk.offset + rec.line_start as u64;
        let err =
            |field: Option<u64>, msg: String| IoError::at_line(path, line, field, Some(at), msg);
        match self.first {
            None => {
                self.first = Some((rec.has_ts, line));
                if rec.has_ts {
                    self.timestamps.reserve(self.users.capacity());
                }
            }
            Some((true, first)) if !rec.has_ts => {
                return Err(err(
                    Some(4),
                    format!(
                        "missing timestamp: the first data line (line {first}) has one, so every \
                         line needs user, item, rating, timestamp; found 3 fields"
                    ),
                ))
            }
            Some((false, first)) if rec.has_ts => {
                return Err(err(
                    Some(4),
                    format!(
                        "unexpected timestamp: the first data line (line {first}) has none, so \
                         every line needs user, item, rating; found 4 fields"
                    ),
                ))
            }
            _ => {}
        }
        let k = self.users.len();
        if k >= u32::MAX as usize {
            return Err(err(None, format!("more than {} ratings", u32::MAX)));
        }
        // A new id (or a quoted one with doubled quotes, not looked up): number it now.
        let mut resolve =
            |known: Option<u32>, range: (u32, u32), escaped: bool, ids: &mut IdMap| {
                if let Some(k) = known {
                    return k;
                }
                let raw = &blk.data[range.0 as usize..range.1 as usize];
                let id = if escaped {
                    unescape(raw, &mut self.scratch);
                    &self.scratch[..]
                } else {
                    raw
                };
                ids.intern(&String::from_utf8_lossy(id))
            };
        let user = resolve(
            rec.user_index,
            rec.user,
            rec.user_escaped,
            &mut self.user_ids,
        );
        let item = resolve(
            rec.item_index,
            rec.item,
            rec.item_escaped,
            &mut self.item_ids,
        );
        if let Some((lo, hi)) = self.scale {
            if !(lo..=hi).contains(&rec.rating) {
                self.outside += 1;
                self.first_outside.get_or_insert((line, rec.rating));
            }
        }
        self.users.push(user);
        self.items.push(item);
        self.ratings.push(rec.rating as f32);
        if rec.has_ts {
            self.timestamps.push(rec.ts);
        }
        self.lines.push(k as u64, line);
        Ok(())
    }
}

/// Groups of ratings sharing a `(user, item)` pair (two or more, each in file order),
/// flattened as `[len, index, index, ...]`.
///
/// A counting sort by user, then each user's ratings sorted by item in parallel: linear time
/// and 4 bytes per rating, and the same result for any thread count.
fn duplicate_groups(users: &[u32], items: &[u32], n_users: usize) -> Vec<u32> {
    use rayon::prelude::*;
    // `pos[u]` = start of user u's bucket; after placement, its end.
    let mut pos = vec![0u32; n_users + 1];
    for &u in users {
        pos[u as usize + 1] += 1;
    }
    for u in 0..n_users {
        pos[u + 1] += pos[u];
    }
    let mut perm = vec![0u32; users.len()];
    for (i, &u) in users.iter().enumerate() {
        perm[pos[u as usize] as usize] = i as u32;
        pos[u as usize] += 1;
    }
    let mut buckets = Vec::new();
    let mut rest: &mut [u32] = &mut perm;
    let mut prev = 0u32;
    for &end in &pos[..n_users] {
        let (b, r) = std::mem::take(&mut rest).split_at_mut((end - prev) as usize);
        if b.len() > 1 {
            buckets.push(b);
        }
        rest = r;
        prev = end;
    }
    buckets
        .par_iter_mut()
        .for_each(|b| b.sort_unstable_by_key(|&i| (items[i as usize], i)));
    let mut groups = Vec::new();
    for b in &buckets {
        let mut j = 0;
        while j < b.len() {
            let it = items[b[j] as usize];
            let mut k = j + 1;
            while k < b.len() && items[b[k] as usize] == it {
                k += 1;
            }
            if k - j > 1 {
                groups.push((k - j) as u32);
                groups.extend_from_slice(&b[j..k]);
            }
            j = k;
        }
    }
    groups
}

/// Iterates over the groups of [`duplicate_groups`].
fn each_group(groups: &[u32]) -> impl Iterator<Item = &[u32]> {
    let mut rest = groups;
    std::iter::from_fn(move || {
        let (&len, tail) = rest.split_first()?;
        let (g, r) = tail.split_at(len as usize);
        rest = r;
        Some(g)
    })
}

/// Keeps the entries not listed in `drops` (sorted), in order.
fn compact<T: Copy>(v: &mut Vec<T>, drops: &[u32]) {
    let mut d = 0;
    let mut w = 0;
    for r in 0..v.len() {
        if d < drops.len() && drops[d] as usize == r {
            d += 1;
            continue;
        }
        v[w] = v[r];
        w += 1;
    }
    v.truncate(w);
}

/// Reads a ratings file (see the module documentation for the format).
///
/// Errors name the file, the 1-based line and field: a rating that is not a finite number,
/// a line with other than 3 or 4 fields, a timestamp on some lines only, ratings outside
/// `opts.scale` (all counted, the first one shown), a repeated pair under
/// [`DuplicateRule::Error`], or no ratings at all.
pub fn read_ratings(path: &Path, opts: &RatingsOptions) -> Result<RatingsFile, IoError> {
    use sha2::Digest;
    if let Some((lo, hi)) = opts.scale {
        if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
            return Err(IoError::format(
                path,
                format!("the declared rating scale [{lo}, {hi}] is not a finite interval"),
            ));
        }
    }
    let file = std::fs::File::open(path).map_err(|e| IoError::io(path, e))?;
    let len = file.metadata().map_err(|e| IoError::io(path, e))?.len();
    let stream = Stream {
        path,
        file: &file,
        len,
        parallel: true,
    };
    let (head, lay) = read_head(&stream, |head, whole| {
        let cut = if whole {
            head.len()
        } else {
            memchr::memrchr(b'\n', head).map_or(0, |p| p + 1)
        };
        let start = skip_bom(head).min(cut);
        let enough =
            sample_lines(&head[..cut], start, SAMPLE_LINES, Some(b'#')).len() == SAMPLE_LINES;
        (whole || enough).then(|| Ok(layout(&head[..cut], start, opts)))
    })?;
    let mut hasher = sha2::Sha256::new();
    hasher.update(&head[..lay.start]);
    drop(head);

    let mut b = Builder {
        path,
        users: Vec::new(),
        items: Vec::new(),
        ratings: Vec::new(),
        timestamps: Vec::new(),
        user_ids: opts.known_users.clone().unwrap_or_default(),
        item_ids: opts.known_items.clone().unwrap_or_default(),
        first: None,
        line: 1,
        lines: LineMap::default(),
        scale: opts.scale,
        outside: 0,
        first_outside: None,
        scratch: Vec::new(),
    };
    // Reserve the columns once (from the sampled line length) rather than doubling them.
    if let Some(bpl) = lay.bytes_per_line {
        let est = usize::try_from(len / bpl as u64).unwrap_or(usize::MAX);
        let est = est.saturating_add(est / 16).min(len as usize / 6 + 1);
        b.users.reserve(est);
        b.items.reserve(est);
        b.ratings.reserve(est);
    }
    stream.for_each_block(
        lay.start as u64,
        &mut hasher,
        |blk, s, e, out: &mut Chunk| parse_chunk(blk, s, e, &lay, out),
        |blk, results, chunks: &mut [Chunk]| b.merge(blk, results, chunks),
    )?;
    let sha256 = crate::hex(&hasher.finalize());

    let Builder {
        mut users,
        mut items,
        mut ratings,
        mut timestamps,
        user_ids,
        item_ids,
        first,
        lines: line_map,
        outside,
        first_outside,
        ..
    } = b;
    let Some((has_ts, _)) = first else {
        return Err(IoError::format(path, "no ratings"));
    };
    if let (Some((line, value)), Some((lo, hi))) = (first_outside, opts.scale) {
        let noun = if outside == 1 { "rating" } else { "ratings" };
        return Err(IoError::at_line(
            path,
            line,
            Some(3),
            None,
            format!("{outside} {noun} outside the declared scale [{lo}, {hi}] (first: {value})"),
        ));
    }
    let lines = users.len() as u64;
    let groups = duplicate_groups(&users, &items, user_ids.len());
    let mut drops: Vec<u32> = Vec::new();
    match opts.duplicates {
        DuplicateRule::Error => {
            // The pair whose second occurrence comes first in the file.
            if let Some(g) = each_group(&groups).min_by_key(|g| g[1]) {
                let (first, second) = (g[0] as usize, g[1] as usize);
                return Err(IoError::at_line(
                    path,
                    line_map.line(second as u64),
                    None,
                    None,
                    format!(
                        "duplicate rating for user '{}', item '{}' (first on line {})",
                        show(user_ids.id(users[first]).as_bytes()),
                        show(item_ids.id(items[first]).as_bytes()),
                        line_map.line(first as u64)
                    ),
                ));
            }
        }
        rule => {
            for g in each_group(&groups) {
                let (first, last) = (g[0] as usize, g[g.len() - 1] as usize);
                ratings[first] = match rule {
                    DuplicateRule::Mean => {
                        let sum: f64 = g.iter().map(|&i| ratings[i as usize] as f64).sum();
                        (sum / g.len() as f64) as f32
                    }
                    _ => ratings[last],
                };
                if has_ts {
                    timestamps[first] = timestamps[last];
                }
                drops.extend_from_slice(&g[1..]);
            }
        }
    }
    drop(groups);
    let duplicates = drops.len() as u64;
    if !drops.is_empty() {
        drops.sort_unstable();
        compact(&mut users, &drops);
        compact(&mut items, &drops);
        compact(&mut ratings, &drops);
        if has_ts {
            compact(&mut timestamps, &drops);
        }
    }
    // Give back an over-estimated reservation.
    for v in [&mut users, &mut items] {
        if v.capacity() > v.len() + v.len() / 8 {
            v.shrink_to_fit();
        }
    }
    if ratings.capacity() > ratings.len() + ratings.len() / 8 {
        ratings.shrink_to_fit();
    }
    Ok(RatingsFile {
        users,
        items,
        ratings,
        timestamps: has_ts.then_some(timestamps),
        user_ids,
        item_ids,
        header: lay.header,
        duplicates,
        lines,
        sha256,
    })
}

/// Writes an id map as one id per line (UTF-8), atomically.
///
/// An id holding a line break, or empty, is refused: it could not be read back at its index.
pub fn write_id_map(path: &Path, ids: &IdMap) -> Result<(), IoError> {
    for (k, id) in ids.ids().iter().enumerate() {
        let why = if id.is_empty() {
            "is empty"
        } else if id.contains(['\n', '\r']) {
            "contains a line break"
        } else {
            continue;
        };
        return Err(IoError::Serialize {
            path: path.to_path_buf(),
            message: format!(
                "id {k} ('{}') {why}; an id map file holds one id per line",
                show(id.as_bytes())
            ),
        });
    }
    crate::write_atomic_with(path, |w| {
        for id in ids.ids() {
            w.write_all(id.as_bytes())?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })
}

/// Reads an id map written by [`write_id_map`]: one id per line, index = line - 1 (CRLF line
/// endings and a byte-order mark accepted; ids are not trimmed).
pub fn read_id_map(path: &Path) -> Result<IdMap, IoError> {
    let data = std::fs::read(path).map_err(|e| IoError::io(path, e))?;
    let body = &data[skip_bom(&data)..];
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    let mut map = IdMap::new();
    if body.is_empty() {
        return Ok(map);
    }
    for (k, line) in body.split(|&b| b == b'\n').enumerate() {
        let line_no = k as u64 + 1;
        let err = |msg: String| IoError::at_line(path, line_no, None, None, msg);
        let line = strip_cr(line);
        if line.is_empty() {
            return Err(err("empty id".into()));
        }
        let id = std::str::from_utf8(line).map_err(|_| err("the id is not valid UTF-8".into()))?;
        let before = map.len();
        let idx = map.intern(id);
        if map.len() == before {
            // Every earlier line added one id: index k came from line k + 1.
            return Err(err(format!(
                "repeated id '{}' (first on line {})",
                show(line),
                idx as u64 + 1
            )));
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU64, Ordering};

    static COUNTER: AtomicU64 = AtomicU64::new(0);

    /// A file under the temporary directory, removed on drop.
    struct Tmp(PathBuf);

    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn tmp(name: &str, content: impl AsRef<[u8]>) -> Tmp {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!(
            "lowrank-ratings-test-{}-{n}-{name}",
            std::process::id()
        ));
        std::fs::write(&p, content).unwrap();
        Tmp(p)
    }

    fn read_with(content: impl AsRef<[u8]>, opts: &RatingsOptions) -> Result<RatingsFile, IoError> {
        let t = tmp("ratings.csv", content);
        read_ratings(&t.0, opts)
    }

    fn read(content: &str) -> RatingsFile {
        read_with(content, &RatingsOptions::default()).unwrap()
    }

    /// The error message, with the temporary path replaced by `F`.
    fn error_with(content: impl AsRef<[u8]>, opts: &RatingsOptions) -> String {
        let t = tmp("ratings.csv", content);
        let e = read_ratings(&t.0, opts).unwrap_err();
        assert!(matches!(e, IoError::Format { .. }), "{e:?}");
        e.to_string().replace(&t.0.display().to_string(), "F")
    }

    fn error(content: &str) -> String {
        error_with(content, &RatingsOptions::default())
    }

    /// `(user id, item id, rating)` of every entry.
    fn entries(r: &RatingsFile) -> Vec<(String, String, f32)> {
        (0..r.ratings.len())
            .map(|k| {
                (
                    r.user_ids.id(r.users[k]).to_string(),
                    r.item_ids.id(r.items[k]).to_string(),
                    r.ratings[k],
                )
            })
            .collect()
    }

    fn e(u: &str, i: &str, v: f32) -> (String, String, f32) {
        (u.into(), i.into(), v)
    }

    fn testdata(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../testdata/ratings")
            .join(name)
    }

    #[test]
    fn header_auto_detected() {
        let r = read("user,item,rating\na,b,5\n");
        assert_eq!(r.header.as_deref().unwrap(), ["user", "item", "rating"]);
        assert_eq!(entries(&r), [e("a", "b", 5.0)]);
        assert_eq!(r.lines, 1);

        let r = read("1,2,5\n3,4,1\n");
        assert_eq!(r.header, None);
        assert_eq!(entries(&r), [e("1", "2", 5.0), e("3", "4", 1.0)]);

        // After comments and blank lines.
        let r = read("# MovieLens\n\n  \nuserId,movieId,rating,timestamp\n1,31,2.5,1260759144\n");
        assert_eq!(
            r.header.as_deref().unwrap(),
            ["userId", "movieId", "rating", "timestamp"]
        );
        assert_eq!(entries(&r), [e("1", "31", 2.5)]);
        assert_eq!(r.timestamps, Some(vec![1260759144]));
    }

    #[test]
    fn header_forced() {
        let present = RatingsOptions {
            header: HeaderMode::Present,
            ..Default::default()
        };
        let r = read_with("1,2,5\n3,4,1\n", &present).unwrap();
        assert_eq!(r.header.as_deref().unwrap(), ["1", "2", "5"]);
        assert_eq!(entries(&r), [e("3", "4", 1.0)]);

        let absent = RatingsOptions {
            header: HeaderMode::Absent,
            ..Default::default()
        };
        assert_eq!(
            error_with("user,item,rating\na,b,5\n", &absent),
            "F:1:3: cannot parse 'rating' as a rating"
        );
    }

    #[test]
    fn string_and_integer_ids_in_order_of_first_appearance() {
        let r = read("196\t242\t3\n186\t302\t3\n196\t377\t1\n007\t7\t2\n7\t242\t4\n");
        assert_eq!(r.user_ids.ids(), ["196", "186", "007", "7"]);
        assert_eq!(r.item_ids.ids(), ["242", "302", "377", "7"]);
        assert_eq!(r.users, [0, 1, 0, 2, 3]);
        assert_eq!(r.items, [0, 1, 2, 3, 0]);
        assert_eq!(r.ratings, [3.0, 3.0, 1.0, 2.0, 4.0]);

        let r = read("alice,book,5\nbob,film,3\nalice,film,4.5\n");
        assert_eq!(r.user_ids.ids(), ["alice", "bob"]);
        assert_eq!(r.item_ids.ids(), ["book", "film"]);
        assert_eq!(
            (r.users.clone(), r.items.clone()),
            (vec![0, 1, 0], vec![0, 1, 1])
        );
        assert_eq!(r.user_ids.get("bob"), Some(1));
        assert_eq!(r.item_ids.get("tv"), None);
    }

    #[test]
    fn delimiters_detected_or_given() {
        let want = [e("a", "x", 3.5), e("b", "y", 4.0), e("a", "y", 1.0)];
        for content in [
            "a,x,3.5\nb,y,4\na,y,1\n",
            "a\tx\t3.5\nb\ty\t4\na\ty\t1\n",
            "a;x;3.5\nb;y;4\na;y;1\n",
            "  a   x  3.5 \nb\t y 4\na y\t\t1\n",
        ] {
            assert_eq!(entries(&read(content)), want, "{content:?}");
        }
        let ws = RatingsOptions {
            delimiter: Some(b' '),
            ..Default::default()
        };
        let r = read_with("a x 3.5\nb  y 4\na\ty 1\n", &ws).unwrap();
        assert_eq!(entries(&r), want);
        let tab = RatingsOptions {
            delimiter: Some(b'\t'),
            ..Default::default()
        };
        // Given a tab, spaces belong to the ids.
        let r = read_with("Star Wars\tLuke S\t5\n", &tab).unwrap();
        assert_eq!(entries(&r), [e("Star Wars", "Luke S", 5.0)]);
    }

    #[test]
    fn crlf_bom_and_quoted_fields() {
        let r = read(
            "\u{feff}user,item,rating\r\n\"Smith, J\",\"the \"\"best\"\" film\",4\r\n'bob' , film ,\"3\"\r\n",
        );
        assert_eq!(r.header.as_deref().unwrap(), ["user", "item", "rating"]);
        assert_eq!(
            entries(&r),
            [
                e("Smith, J", "the \"best\" film", 4.0),
                e("bob", "film", 3.0)
            ]
        );
        // The byte-order mark and CRLF on a file without a header.
        let r = read("\u{feff}1,2,5\r\n3,4,1\r\n");
        assert_eq!(entries(&r), [e("1", "2", 5.0), e("3", "4", 1.0)]);
        assert_eq!(r.header, None);

        assert_eq!(
            error("a,b,1\n\"c,d,2\n"),
            "F:2:1: unterminated quoted field (a quote inside a quoted field is written twice; \
             a field cannot span lines)"
        );
        assert_eq!(
            error("a,\"b\"x,1\n"),
            "F:1:2: text after the closing quote of a quoted field"
        );
    }

    #[test]
    fn timestamps_present_absent_or_inconsistent() {
        let r = read("a,b,5,100\nc,d,3,200.0\ne,f,1,-3\n");
        assert_eq!(r.timestamps, Some(vec![100, 200, -3]));
        let r = read("a b 5\nc d 3\n");
        assert_eq!(r.timestamps, None);

        assert_eq!(
            error("a,b,5,100\nc,d,3,200\n# note\ne,f,1\n"),
            "F:4:4: missing timestamp: the first data line (line 1) has one, so every line needs \
             user, item, rating, timestamp; found 3 fields"
        );
        assert_eq!(
            error("user,item,rating\na,b,5\nc,d,3,200\n"),
            "F:3:4: unexpected timestamp: the first data line (line 2) has none, so every line \
             needs user, item, rating; found 4 fields"
        );
        assert_eq!(
            error("a,b,5,100\nc,d,3,100.5\n"),
            "F:2:4: cannot parse '100.5' as a timestamp (an integer)"
        );
        assert_eq!(error("a,b,5,\n"), "F:1:4: empty timestamp");
    }

    #[test]
    fn non_numeric_rating_names_line_and_field() {
        let msg = error("user,item,rating\na,b,5\n\n# c\nc,d,abc\n");
        assert_eq!(msg, "F:5:3: cannot parse 'abc' as a rating");

        let p = testdata("bad_rating.csv");
        let msg = read_ratings(&p, &RatingsOptions::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("bad_rating.csv:4:3:"), "{msg}");
        assert!(msg.contains("cannot parse 'abc' as a rating"), "{msg}");
    }

    #[test]
    fn non_finite_ratings_rejected() {
        assert_eq!(
            error("a,b,5\nc,d,NaN\n"),
            "F:2:3: rating 'NaN' is not a finite number"
        );
        assert_eq!(
            error("a,b,-inf\n"),
            "F:1:3: rating '-inf' is not a finite number"
        );
        assert_eq!(
            error("a,b,NA\n"),
            "F:1:3: rating 'NA' is not a finite number"
        );
        assert_eq!(error("a,b,\n"), "F:1:3: empty rating");
        assert_eq!(
            error("a,b,1e39\n"),
            "F:1:3: rating '1e39' does not fit in an f32"
        );
    }

    #[test]
    fn wrong_field_counts_and_empty_ids() {
        assert_eq!(
            error("a,b,5\nc,d\n"),
            "F:2: expected user, item, rating[, timestamp]; found 2 fields"
        );
        assert_eq!(
            error("a b 5\nc\n"),
            "F:2: expected user, item, rating[, timestamp]; found 1 field"
        );
        assert_eq!(
            error("a,b,5,1,x\n"),
            "F:1: expected user, item, rating[, timestamp]; found 5 fields"
        );
        assert_eq!(error("a,b,5\n,d,1\n"), "F:2:1: empty user id");
        assert_eq!(error("a,\"\",5\n"), "F:1:2: empty item id");
    }

    #[test]
    fn ratings_outside_the_scale() {
        let opts = RatingsOptions {
            scale: Some((1.0, 5.0)),
            ..Default::default()
        };
        let content = "user,item,rating\nu1,i1,3\n# c\nu1,i2,7\nu2,i1,0\nu2,i2,5\nu3,i1,9.5\n";
        assert_eq!(
            error_with(content, &opts),
            "F:4:3: 3 ratings outside the declared scale [1, 5] (first: 7)"
        );
        assert_eq!(
            error_with("a,b,1\nc,d,0.5\n", &opts),
            "F:2:3: 1 rating outside the declared scale [1, 5] (first: 0.5)"
        );
        let r = read_with("a,b,1\nc,d,5\ne,f,2.5\n", &opts).unwrap();
        assert_eq!(r.ratings, [1.0, 5.0, 2.5]);
        let bad = RatingsOptions {
            scale: Some((5.0, 1.0)),
            ..Default::default()
        };
        assert_eq!(
            error_with("a,b,1\n", &bad),
            "F: the declared rating scale [5, 1] is not a finite interval"
        );
    }

    /// The pair (u, i) on lines 2, 5 and 7; (v, i) once; (u, j) once.
    const DUPS: &str =
        "user,item,rating,ts\nu,i,1,10\nv,i,2,20\n\n# c\nu,i,4,30\nu,j,5,40\nu,i,3,50\n";

    #[test]
    fn duplicates_last_wins_by_default() {
        let r = read(DUPS);
        assert_eq!(
            entries(&r),
            [e("u", "i", 3.0), e("v", "i", 2.0), e("u", "j", 5.0)]
        );
        assert_eq!(r.timestamps, Some(vec![50, 20, 40]));
        assert_eq!((r.duplicates, r.lines), (2, 5));
    }

    #[test]
    fn duplicates_mean() {
        let opts = RatingsOptions {
            duplicates: DuplicateRule::Mean,
            ..Default::default()
        };
        let r = read_with(DUPS, &opts).unwrap();
        assert_eq!(
            entries(&r),
            [
                e("u", "i", ((1.0 + 4.0 + 3.0) / 3.0f64) as f32),
                e("v", "i", 2.0),
                e("u", "j", 5.0)
            ]
        );
        assert_eq!(r.timestamps, Some(vec![50, 20, 40]));
        assert_eq!((r.duplicates, r.lines), (2, 5));
        // No duplicates: nothing changes.
        let r = read_with("a,b,1\nb,a,2\n", &opts).unwrap();
        assert_eq!((r.duplicates, r.ratings.clone()), (0, vec![1.0, 2.0]));
    }

    #[test]
    fn duplicates_error_names_both_lines() {
        let opts = RatingsOptions {
            duplicates: DuplicateRule::Error,
            ..Default::default()
        };
        assert_eq!(
            error_with(DUPS, &opts),
            "F:6: duplicate rating for user 'u', item 'i' (first on line 2)"
        );
        // The pair whose second occurrence comes first, whatever the user numbering.
        assert_eq!(
            error_with("a,y,1\n# c\nb,x,1\nb,x,2\na,y,2\n", &opts),
            "F:4: duplicate rating for user 'b', item 'x' (first on line 3)"
        );
        let r = read_with("a,b,1\nb,a,2\n", &opts).unwrap();
        assert_eq!(r.duplicates, 0);
    }

    #[test]
    fn known_ids_continue_numbering() {
        let opts = RatingsOptions {
            known_users: Some(IdMap::from_ids(vec!["x".into(), "y".into()]).unwrap()),
            known_items: Some(IdMap::from_ids(vec!["i9".into()]).unwrap()),
            ..Default::default()
        };
        let r = read_with("y,i1,3\nz,i9,4\nx,i1,5\n", &opts).unwrap();
        assert_eq!(r.user_ids.ids(), ["x", "y", "z"]);
        assert_eq!(r.item_ids.ids(), ["i9", "i1"]);
        assert_eq!(r.users, [1, 2, 0]);
        assert_eq!(r.items, [1, 0, 1]);
    }

    #[test]
    fn empty_files_have_no_ratings() {
        for content in [
            "",
            "\n\n",
            "# only a comment\n",
            "user,item,rating\n",
            "\u{feff}",
        ] {
            assert_eq!(error(content), "F: no ratings", "{content:?}");
        }
    }

    #[test]
    fn id_map_round_trip_and_repeated_ids() {
        let mut m = IdMap::new();
        assert!(m.is_empty());
        for id in [
            "alice",
            " spaced ",
            "Zoë",
            "\"quoted\"",
            "#hash",
            "a,b\tc",
            "42",
        ] {
            m.intern(id);
        }
        assert_eq!(m.intern("alice"), 0);
        assert_eq!((m.len(), m.id(2), m.get("42")), (7, "Zoë", Some(6)));
        let t = tmp("ids.txt", "");
        write_id_map(&t.0, &m).unwrap();
        assert_eq!(read_id_map(&t.0).unwrap(), m);
        write_id_map(&t.0, &IdMap::new()).unwrap();
        assert_eq!(read_id_map(&t.0).unwrap(), IdMap::new());

        let bad = tmp("ids.txt", "a\r\nb\r\na\r\n");
        let msg = read_id_map(&bad.0).unwrap_err().to_string();
        assert!(
            msg.ends_with(":3: repeated id 'a' (first on line 1)"),
            "{msg}"
        );
        let empty_line = tmp("ids.txt", "a\n\nb\n");
        let msg = read_id_map(&empty_line.0).unwrap_err().to_string();
        assert!(msg.ends_with(":2: empty id"), "{msg}");

        let mut nl = IdMap::new();
        nl.intern("two\nlines");
        let msg = write_id_map(&t.0, &nl).unwrap_err().to_string();
        assert!(msg.contains("contains a line break"), "{msg}");
        assert_eq!(
            IdMap::from_ids(vec!["a".into(), "b".into(), "a".into()]).unwrap_err(),
            "repeated id 'a' at index 2 (first at index 0)"
        );
    }

    #[test]
    fn fixtures() {
        let r = read_ratings(&testdata("string_ids.csv"), &RatingsOptions::default()).unwrap();
        assert_eq!(
            r.header.as_deref().unwrap(),
            ["user", "item", "rating", "timestamp"]
        );
        assert_eq!((r.lines, r.duplicates, r.ratings.len()), (30, 1, 29));
        assert_eq!(r.user_ids.id(0), "alice");
        let (bob, i42) = (
            r.user_ids.get("bob").unwrap(),
            r.item_ids.get("item-42").unwrap(),
        );
        let k = (0..r.users.len())
            .find(|&k| r.users[k] == bob && r.items[k] == i42)
            .unwrap();
        assert_eq!(r.ratings[k], 5.0);
        assert_eq!(r.timestamps.as_ref().unwrap()[k], 1700001620);

        // The synthetic sample in the MovieLens layout.
        let ml = testdata("ratings_sample.tsv");
        {
            let r = read_ratings(&ml, &RatingsOptions::default()).unwrap();
            assert_eq!((r.lines, r.duplicates, r.header.clone()), (2000, 0, None));
            assert_eq!((r.user_ids.len(), r.item_ids.len()), (296, 780));
            assert_eq!((r.user_ids.id(0), r.item_ids.id(0)), ("196", "242"));
            assert_eq!(r.timestamps.as_ref().unwrap()[0], 888212532);
            assert_eq!(r.sha256, crate::sha256_file(&ml).unwrap());
        }
    }

    /// A file of `n` lines spanning several stream blocks: a header, comments, blank lines,
    /// CRLF endings, repeated pairs. Returns it with the line of its `bad`-th line replaced by a
    /// bad rating, if asked.
    fn generated(n: usize, bad: Option<usize>) -> String {
        let mut s = String::from("user,item,rating,timestamp\r\n");
        let mut line = 2; // of the next line
        let mut x: u64 = 12345;
        for k in 0..n {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let (u, i) = ((x >> 33) % 5000, (x >> 17) % 3000);
            let end = if k % 7 == 0 { "\r\n" } else { "\n" };
            if Some(line) == bad {
                s.push_str(&format!("user-{u:06},item-{i:06},oops,{k}{end}"));
            } else {
                let v = 1 + (x >> 50) % 9;
                let (whole, half) = (v / 2, 5 * (v % 2));
                let ts = 880000000 + k;
                s.push_str(&format!("user-{u:06},item-{i:06},{whole}.{half},{ts}{end}"));
            }
            line += 1;
            if k % 9973 == 0 {
                s.push_str("# a comment\n\n");
                line += 2;
            }
        }
        s
    }

    #[test]
    fn large_file_same_for_any_thread_count() {
        let content = generated(200_000, None);
        assert!(
            content.len() > crate::text::stream_block_bytes(),
            "several blocks"
        );
        let t = tmp("large.csv", &content);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| read_ratings(&t.0, &RatingsOptions::default()).unwrap())
        };
        let (a, b) = (run(1), run(2));
        assert_eq!(a.users, b.users);
        assert_eq!(a.items, b.items);
        assert_eq!(a.ratings, b.ratings);
        assert_eq!(a.timestamps, b.timestamps);
        assert_eq!(a.user_ids, b.user_ids);
        assert_eq!(a.item_ids, b.item_ids);
        assert_eq!((a.lines, a.duplicates), (b.lines, b.duplicates));
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(a.sha256, crate::sha256_file(&t.0).unwrap());

        // Against a plain reading of the lines: the last rating of each pair, at its first place.
        let mut order: Vec<(String, String)> = Vec::new();
        let mut last: HashMap<(String, String), (f32, i64)> = HashMap::new();
        for line in content.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f.len() != 4 {
                continue;
            }
            let key = (f[0].to_string(), f[1].to_string());
            let val = (f[2].parse().unwrap(), f[3].parse().unwrap());
            if last.insert(key.clone(), val).is_none() {
                order.push(key);
            }
        }
        assert_eq!(a.lines, 200_000);
        assert_eq!(a.duplicates, 200_000 - order.len() as u64);
        assert!(a.duplicates > 0);
        let ts = a.timestamps.as_ref().unwrap();
        for (k, key) in order.iter().enumerate() {
            assert_eq!(a.user_ids.id(a.users[k]), key.0);
            assert_eq!(a.item_ids.id(a.items[k]), key.1);
            assert_eq!((a.ratings[k], ts[k]), last[key]);
        }

        // An error in a later block names the same line whatever the thread count.
        let bad_line = 180_001;
        let t = tmp("large_bad.csv", generated(200_000, Some(bad_line)));
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let msg = pool
                .install(|| read_ratings(&t.0, &RatingsOptions::default()))
                .unwrap_err()
                .to_string();
            assert!(
                msg.ends_with(&format!(":{bad_line}:3: cannot parse 'oops' as a rating")),
                "{threads} threads: {msg}"
            );
        }
    }
}
