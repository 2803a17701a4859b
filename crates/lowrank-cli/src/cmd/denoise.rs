//! `lowrank denoise`: denoise (or compress) a matrix or a PNG/JPEG image by a truncated SVD,
//! with the rank from the Gavish–Donoho optimal hard threshold, an energy fraction, or given.
//! Images are denoised channel by channel.

use super::{load, Global};
use crate::args::{InputArgs, ReadFlags};
use crate::failure::{self, Failure};
use crate::progress::Bar;
use crate::report::Tool;
use clap::Args;
use faer::{Mat, MatRef, Par};
use lowrank_core::denoise::{
    denoise_with, lambda_star, mp_median, omega, psnr_from_mse, squared_error, validate,
    DenoiseError, DenoiseParams, Denoised, NoiseLevel, RankRule,
};
use lowrank_io::image::{is_image_path, quantize, read_image, Image};
use lowrank_io::{Matrix, OutputDir};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Schema of `denoise.json`.
pub(crate) const SCHEMA: &str = "lowrank.denoise/1";

const DENOISE_HELP: &str = "\
Rank (per channel): by default the Gavish–Donoho optimal hard threshold, with the noise level
estimated from the median singular value; --noise-sigma S uses a known noise level instead;
--rank K or --energy E choose the rank directly. Images (.png, .jpg, .jpeg) are read as values
in 0..255 (16-bit PNGs scaled down, alpha dropped), each colour channel on its own; figures
for images are computed on the 8-bit pixels written. --out DIR writes denoised.png (images) or
denoised.npy (matrices), denoise.json and singular_values.svg, atomically. --reference CLEAN
(same shape) adds PSNR and relative error of the input and of the result against it.

Examples (from the repository root):
  lowrank denoise testdata/images/coins_noisy.png --out den/
  lowrank denoise testdata/images/coins_noisy.png --reference testdata/images/coins.png --json
  lowrank denoise testdata/images/coins_noisy.png --noise-sigma 20 --out den_known/
  lowrank denoise testdata/images/chelsea.png --energy 0.995 --out den_rgb/
  lowrank denoise testdata/dense/lowrank_300x80.npy --out den_matrix/
  lowrank denoise testdata/images/coins.png --rank 30 --out compressed/";

/// Arguments of `lowrank denoise`.
#[derive(Args, Debug)]
#[command(after_help = DENOISE_HELP)]
pub(crate) struct DenoiseArgs {
    /// Input: an image (.png, .jpg, .jpeg; grey or RGB) or a matrix file (.npy,
    /// .csv/.tsv/.txt, .mtx, .triplets/.coo/.ijv).
    pub(crate) input: PathBuf,
    #[command(flatten)]
    pub(crate) read: ReadFlags,
    /// Keep exactly K singular triplets per channel (1 ≤ K ≤ min(rows, columns)).
    #[arg(long, short = 'k', value_name = "K", conflicts_with_all = ["energy", "noise_sigma"])]
    pub(crate) rank: Option<usize>,
    /// Keep the smallest rank whose singular values hold this fraction of the energy
    /// ‖Y‖_F², in (0, 1].
    #[arg(
        long,
        value_name = "E",
        conflicts_with = "noise_sigma",
        allow_negative_numbers = true
    )]
    pub(crate) energy: Option<f64>,
    /// Known standard deviation of the noise per entry (for images in 0..255 pixel units),
    /// for the Gavish–Donoho threshold λ*(β)·√max(m,n)·σ. Default: estimated.
    #[arg(long, value_name = "S", allow_negative_numbers = true)]
    pub(crate) noise_sigma: Option<f64>,
    /// A clean version of the input (same shape; an image for an image) to report PSNR and
    /// relative error against.
    #[arg(long, value_name = "CLEAN")]
    pub(crate) reference: Option<PathBuf>,
    /// Output directory (written atomically).
    #[arg(long, short, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Replace an existing output directory.
    #[arg(long)]
    pub(crate) force: bool,
}

fn par() -> Par {
    let threads = rayon::current_num_threads();
    if threads > 1 {
        Par::rayon(threads)
    } else {
        Par::Seq
    }
}

/// What was read: the channels and how to describe and write them.
struct Loaded {
    channels: Vec<Mat<f64>>,
    names: Vec<String>,
    /// The image, for images (its channels moved into `channels`).
    image: Option<Image>,
    format: String,
    sha256: String,
    read_seconds: f64,
    memory_limit: u64,
}

impl Loaded {
    fn is_image(&self) -> bool {
        self.image.is_some()
    }
    fn shape(&self) -> (usize, usize) {
        self.channels[0].shape()
    }
}

fn input_failure(path: &Path, e: impl std::fmt::Display) -> Failure {
    Failure::new(failure::INPUT, anyhow::anyhow!("{}: {e}", path.display()))
}

fn denoise_failure(e: DenoiseError, path: &Path) -> Failure {
    match e {
        DenoiseError::RankTooLarge { .. } | DenoiseError::InvalidParameter { .. } => {
            Failure::new(failure::USAGE, e.into())
        }
        DenoiseError::Svd(s) => s.into(),
        e => input_failure(path, e),
    }
}

fn load_any(path: &Path, read: &ReadFlags, bar: &mut Bar) -> Result<Loaded, Failure> {
    let memory_limit = super::parse_memory_limit(read.max_memory.as_deref())?;
    if is_image_path(path) && read.input_format.is_none() {
        bar.phase("reading image");
        let start = Instant::now();
        let mut img = read_image(path)?;
        let channels = std::mem::take(&mut img.channels);
        return Ok(Loaded {
            names: img
                .color
                .channel_names()
                .iter()
                .map(|s| s.to_string())
                .collect(),
            channels,
            format: img.format.to_string(),
            sha256: img.sha256.clone(),
            read_seconds: start.elapsed().as_secs_f64(),
            memory_limit,
            image: Some(img),
        });
    }
    let input = load(
        &InputArgs {
            input: path.to_path_buf(),
            read: read.clone(),
        },
        bar,
    )?;
    let m = match input.loaded.matrix {
        Matrix::Dense(d) => d,
        // The exact SVD densifies anyway; do it once here.
        Matrix::Sparse(s) => lowrank_core::op::to_dense(&s, par())
            .map_err(|e| Failure::from(lowrank_core::SvdError::from(e)))?,
    };
    Ok(Loaded {
        channels: vec![m],
        names: vec!["matrix".to_string()],
        image: None,
        format: input.loaded.format.to_string(),
        sha256: input.loaded.sha256,
        read_seconds: input.read_seconds,
        memory_limit: input.memory_limit,
    })
}

fn rule_of(a: &DenoiseArgs) -> Result<RankRule, Failure> {
    Ok(match (a.rank, a.energy, a.noise_sigma) {
        (Some(0), _, _) => {
            return Err(Failure::usage(
                "--rank 0: give at least 1 (a rank-0 estimate is the zero matrix)",
            ))
        }
        (Some(k), _, _) => RankRule::Fixed(k),
        (None, Some(e), _) => RankRule::Energy(e),
        (None, None, Some(s)) => RankRule::GavishDonoho(NoiseLevel::Known(s)),
        (None, None, None) => RankRule::GavishDonoho(NoiseLevel::Unknown),
    })
}

fn rule_json(rule: &RankRule) -> Value {
    match *rule {
        RankRule::GavishDonoho(NoiseLevel::Unknown) => {
            json!({"kind": "gavish_donoho", "noise": "unknown"})
        }
        RankRule::GavishDonoho(NoiseLevel::Known(s)) => {
            json!({"kind": "gavish_donoho", "noise": "known", "sigma": s})
        }
        RankRule::Energy(f) => json!({"kind": "energy", "fraction": f}),
        RankRule::Fixed(k) => json!({"kind": "rank", "rank": k}),
    }
}

fn rule_text(rule: &RankRule) -> String {
    match *rule {
        RankRule::GavishDonoho(NoiseLevel::Unknown) => {
            "Gavish–Donoho optimal hard threshold, noise level estimated".into()
        }
        RankRule::GavishDonoho(NoiseLevel::Known(s)) => {
            format!("Gavish–Donoho optimal hard threshold, known noise σ = {s}")
        }
        RankRule::Energy(f) => format!("smallest rank keeping {f} of the energy"),
        RankRule::Fixed(k) => format!("rank {k}"),
    }
}

/// Error figures of one comparison, summed over channels.
#[derive(Default, Clone, Copy)]
struct Sums {
    err: f64,
    norm: f64,
    count: f64,
}

impl Sums {
    fn add(&mut self, a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Result<(), DenoiseError> {
        let (e, n) = squared_error(a, b)?;
        self.err += e;
        self.norm += n;
        self.count += (b.nrows() * b.ncols()) as f64;
        Ok(())
    }
    fn relative(&self) -> f64 {
        if self.err == 0.0 {
            0.0
        } else {
            (self.err / self.norm).sqrt()
        }
    }
    fn psnr(&self, peak: f64) -> f64 {
        psnr_from_mse(self.err / self.count.max(1.0), peak)
    }
}

/// A finite number, or null (an infinite PSNR of identical matrices).
fn num(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

/// Peak of the PSNR: 255 for 8-bit images, the dynamic range (max − min) of the reference
/// matrix otherwise (1 when it is constant).
fn peak_of(is_image: bool, reference: &[Mat<f64>]) -> f64 {
    if is_image {
        return 255.0;
    }
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for m in reference {
        for j in 0..m.ncols() {
            for i in 0..m.nrows() {
                lo = lo.min(m[(i, j)]);
                hi = hi.max(m[(i, j)]);
            }
        }
    }
    if hi > lo {
        hi - lo
    } else {
        1.0
    }
}

pub(crate) fn run(a: DenoiseArgs, g: &Global) -> Result<(), Failure> {
    let rule = rule_of(&a)?;
    // Parameters that need no shape are refused before anything is read (the rank is checked
    // once the shape is known).
    validate(
        2,
        2,
        &match rule {
            RankRule::Fixed(_) => RankRule::Fixed(0),
            r => r,
        },
    )
    .map_err(|e| denoise_failure(e, &a.input))?;
    if let Some(out) = &a.out {
        if !a.force && std::fs::symlink_metadata(out).is_ok() {
            return Err(lowrank_io::IoError::OutputExists { path: out.clone() }.into());
        }
    }
    let mut bar = Bar::new(g.quiet);
    let input = load_any(&a.input, &a.read, &mut bar)?;
    let (m, n) = input.shape();
    validate(m, n, &rule).map_err(|e| denoise_failure(e, &a.input))?;

    // The reference is read and checked before the work starts.
    let reference = match &a.reference {
        None => None,
        Some(path) => {
            let r = load_any(path, &a.read, &mut bar)?;
            if r.is_image() != input.is_image() {
                return Err(input_failure(
                    path,
                    format!(
                        "the reference must be {} like the input {}",
                        if input.is_image() {
                            "an image (.png, .jpg, .jpeg)"
                        } else {
                            "a matrix file"
                        },
                        a.input.display()
                    ),
                ));
            }
            let (rm, rn) = r.shape();
            if (rm, rn) != (m, n) || r.channels.len() != input.channels.len() {
                let what = |l: &Loaded, (h, w): (usize, usize)| match &l.image {
                    Some(img) => format!("a {w}x{h} {} image", img.color.name()),
                    None => format!("a {h}x{w} matrix"),
                };
                return Err(input_failure(
                    path,
                    format!(
                        "the reference is {}, but the input {} is {}; they must have the same \
                         shape",
                        what(&r, (rm, rn)),
                        a.input.display(),
                        what(&input, (m, n))
                    ),
                ));
            }
            Some((path.clone(), r))
        }
    };

    let params = DenoiseParams {
        rule,
        par: par(),
        memory_limit: Some(
            input
                .memory_limit
                .saturating_sub(input.channels.len() as u64 * (m * n) as u64 * 8),
        ),
    };
    let start = Instant::now();
    let mut results: Vec<Denoised> = Vec::with_capacity(input.channels.len());
    for (name, ch) in input.names.iter().zip(&input.channels) {
        bar.phase(&format!("denoising {name}"));
        results.push(
            denoise_with(ch.as_ref(), &params, &mut bar)
                .map_err(|e| denoise_failure(e, &a.input))?,
        );
    }
    let denoise_seconds = start.elapsed().as_secs_f64();
    // Images: every figure is computed on the 8-bit pixels that are written.
    let outputs: Vec<Mat<f64>> = results
        .iter()
        .map(|r| {
            if input.is_image() {
                quantize(r.estimate.as_ref())
            } else {
                r.estimate.clone()
            }
        })
        .collect();

    let mut doc = report(&a, &rule, &input, &results, &outputs, reference.as_ref())
        .map_err(|e| denoise_failure(e, &a.input))?;
    doc["timings"] = json!({
        "read_seconds": input.read_seconds,
        "denoise_seconds": denoise_seconds,
    });
    let mut files: Vec<String> = Vec::new();
    if let Some(out) = &a.out {
        bar.phase("writing");
        let dir = OutputDir::create(out, a.force).map_err(Failure::output)?;
        if input.is_image() {
            let refs: Vec<MatRef<'_, f64>> = outputs.iter().map(|m| m.as_ref()).collect();
            lowrank_io::image::write_png(&dir.file("denoised.png"), &refs)
                .map_err(Failure::output)?;
            files.push("denoised.png".into());
        } else {
            lowrank_io::write_npy(&dir.file("denoised.npy"), outputs[0].as_ref())
                .map_err(Failure::output)?;
            files.push("denoised.npy".into());
        }
        let svg = spectrum_chart(&input.names, &results);
        lowrank_io::write_atomic(&dir.file("singular_values.svg"), svg.as_bytes())
            .map_err(Failure::output)?;
        files.push("singular_values.svg".into());
        files.push("denoise.json".into());
        doc["files"] = json!(files);
        let bytes = serde_json::to_vec_pretty(&doc).map_err(|e| Failure::internal(e.into()))?;
        lowrank_io::write_atomic(&dir.file("denoise.json"), &bytes).map_err(Failure::output)?;
        dir.commit().map_err(Failure::output)?;
    }
    bar.finish();
    if g.json {
        crate::report::print_json(&doc)
    } else {
        crate::report::print_text(&summary(&doc, &rule, a.out.as_deref(), &files))
    }
}

fn report(
    a: &DenoiseArgs,
    rule: &RankRule,
    input: &Loaded,
    results: &[Denoised],
    outputs: &[Mat<f64>],
    reference: Option<&(PathBuf, Loaded)>,
) -> Result<Value, DenoiseError> {
    let (m, n) = input.shape();
    let r0 = &results[0];
    let mut notes: Vec<String> = input
        .image
        .as_ref()
        .map(|i| i.notes.clone())
        .unwrap_or_default();
    let mut channels = Vec::new();
    let mut vs_input = Sums::default();
    let mut vs_ref_out = Sums::default();
    let mut vs_ref_in = Sums::default();
    let ref_peak = reference.map(|(_, r)| peak_of(input.is_image(), &r.channels));
    for (c, (res, out)) in results.iter().zip(outputs).enumerate() {
        let name = &input.names[c];
        notes.extend(res.notes.iter().map(|s| {
            if results.len() > 1 {
                format!("{name}: {s}")
            } else {
                s.clone()
            }
        }));
        vs_input.add(out.as_ref(), input.channels[c].as_ref())?;
        let mut ch = json!({
            "name": name,
            "rank": res.rank,
            "threshold": res.threshold,
            "sigma_estimate": res.sigma_estimate,
            "energy_kept": res.energy_kept,
            "compression_ratio": res.compression_ratio,
            "singular_values": res.singular_values,
        });
        if let (Some((_, r)), Some(peak)) = (reference, ref_peak) {
            let mut o = Sums::default();
            let mut i = Sums::default();
            o.add(out.as_ref(), r.channels[c].as_ref())?;
            i.add(input.channels[c].as_ref(), r.channels[c].as_ref())?;
            vs_ref_out.add(out.as_ref(), r.channels[c].as_ref())?;
            vs_ref_in.add(input.channels[c].as_ref(), r.channels[c].as_ref())?;
            ch["against_reference"] = json!({
                "psnr_db": num(o.psnr(peak)),
                "psnr_input_db": num(i.psnr(peak)),
                "relative_error": o.relative(),
                "relative_error_input": i.relative(),
            });
        }
        channels.push(ch);
    }
    let total_k: usize = results.iter().map(|r| r.rank).sum();
    let overall_ratio = (total_k > 0)
        .then(|| (results.len() * m * n) as f64 / (total_k as f64 * (m + n + 1) as f64));
    let input_peak = peak_of(input.is_image(), &input.channels);
    let against_reference = match (reference, ref_peak) {
        (Some((path, r)), Some(peak)) => json!({
            "path": path.display().to_string(),
            "sha256": r.sha256,
            "peak": peak,
            "psnr_db": num(vs_ref_out.psnr(peak)),
            "psnr_input_db": num(vs_ref_in.psnr(peak)),
            "relative_error": vs_ref_out.relative(),
            "relative_error_input": vs_ref_in.relative(),
        }),
        _ => Value::Null,
    };
    let beta = r0.beta;
    let mut input_json = json!({
        "path": a.input.display().to_string(),
        "kind": if input.is_image() { "image" } else { "matrix" },
        "format": input.format,
        "sha256": input.sha256,
    });
    if let Some(img) = &input.image {
        input_json["width"] = json!(img.width);
        input_json["height"] = json!(img.height);
        input_json["color"] = json!(img.color.name());
        input_json["bit_depth"] = json!(img.bit_depth);
    }
    Ok(json!({
        "schema": SCHEMA,
        "tool": Tool::current(),
        "input": input_json,
        "shape": [m, n],
        "channels": channels,
        "rank_rule": rule_json(rule),
        "gavish_donoho": {
            "beta": beta,
            "lambda_star": lambda_star(beta),
            "mp_median": mp_median(beta),
            "omega": omega(beta),
        },
        "rank_total": total_k,
        "compression_ratio": overall_ratio,
        "against_input": {
            "peak": input_peak,
            "psnr_db": num(vs_input.psnr(input_peak)),
            "relative_change": vs_input.relative(),
        },
        "against_reference": against_reference,
        "figures_on": if input.is_image() { "8-bit pixels written" } else { "estimate" },
        "notes": notes,
        "files": [],
    }))
}

fn spectrum_chart(names: &[String], results: &[Denoised]) -> String {
    let ranks: Vec<String> = results.iter().map(|r| r.rank.to_string()).collect();
    let mut chart = lowrank_plot::Chart::new(
        format!(
            "Singular values{} (rank kept: {})",
            if results.iter().any(|r| r.threshold.is_some()) {
                " and the Gavish–Donoho threshold"
            } else {
                ""
            },
            ranks.join(", ")
        ),
        "index",
        "singular value",
    )
    .log_y();
    for (name, r) in names.iter().zip(results) {
        chart = chart.line(
            name.clone(),
            r.singular_values
                .iter()
                .enumerate()
                .map(|(i, &s)| ((i + 1) as f64, s)),
        );
        if let Some(t) = r.threshold {
            let label = if names.len() > 1 {
                format!("τ {name} = {t:.3}")
            } else {
                format!("τ = {t:.3}")
            };
            chart = chart.hline(t, label);
        }
    }
    chart.to_svg()
}

fn summary(doc: &Value, rule: &RankRule, out: Option<&Path>, files: &[String]) -> String {
    let mut s = String::new();
    let input = &doc["input"];
    let shape = &doc["shape"];
    let what = if input["kind"] == "image" {
        format!(
            "{} image {}x{}, {}",
            input["format"].as_str().unwrap_or(""),
            input["width"],
            input["height"],
            input["color"].as_str().unwrap_or("")
        )
    } else {
        format!(
            "{} matrix {}x{}",
            input["format"].as_str().unwrap_or(""),
            shape[0],
            shape[1]
        )
    };
    let _ = writeln!(
        s,
        "input        {} ({what})",
        input["path"].as_str().unwrap_or("")
    );
    let gd = &doc["gavish_donoho"];
    let _ = writeln!(s, "rule         {}", rule_text(rule));
    let _ = writeln!(
        s,
        "β            {:.4} (λ* = {:.4}, ω = {:.4}, MP median {:.4})",
        gd["beta"].as_f64().unwrap_or(f64::NAN),
        gd["lambda_star"].as_f64().unwrap_or(f64::NAN),
        gd["omega"].as_f64().unwrap_or(f64::NAN),
        gd["mp_median"].as_f64().unwrap_or(f64::NAN),
    );
    let _ = writeln!(
        s,
        "\n{:<8} {:>6} {:>12} {:>10} {:>12} {:>12}",
        "channel", "rank", "threshold", "sigma est.", "energy kept", "compression"
    );
    for ch in doc["channels"].as_array().into_iter().flatten() {
        let f = |v: &Value, prec: usize| {
            v.as_f64()
                .map(|x| format!("{x:.prec$}"))
                .unwrap_or_else(|| "-".into())
        };
        let _ = writeln!(
            s,
            "{:<8} {:>6} {:>12} {:>10} {:>12} {:>12}",
            ch["name"].as_str().unwrap_or(""),
            ch["rank"].as_u64().unwrap_or(0),
            f(&ch["threshold"], 3),
            f(&ch["sigma_estimate"], 4),
            f(&ch["energy_kept"], 6),
            ch["compression_ratio"]
                .as_f64()
                .map(|x| format!("{x:.2}x"))
                .unwrap_or_else(|| "-".into()),
        );
    }
    let _ = writeln!(s);
    if let Some(r) = doc["compression_ratio"].as_f64() {
        let _ = writeln!(
            s,
            "compression  {r:.2}x (numbers in the input / numbers in the factors)"
        );
    }
    let ai = &doc["against_input"];
    let _ = writeln!(
        s,
        "change       {:.4} relative to the input (PSNR {} dB against it)",
        ai["relative_change"].as_f64().unwrap_or(f64::NAN),
        ai["psnr_db"]
            .as_f64()
            .map(|x| format!("{x:.2}"))
            .unwrap_or_else(|| "inf".into())
    );
    let r = &doc["against_reference"];
    if !r.is_null() {
        let db = |v: &Value| {
            v.as_f64()
                .map(|x| format!("{x:.2}"))
                .unwrap_or_else(|| "inf".into())
        };
        let _ = writeln!(
            s,
            "reference    {}: PSNR {} dB (input {} dB), relative error {:.4} (input {:.4})",
            r["path"].as_str().unwrap_or(""),
            db(&r["psnr_db"]),
            db(&r["psnr_input_db"]),
            r["relative_error"].as_f64().unwrap_or(f64::NAN),
            r["relative_error_input"].as_f64().unwrap_or(f64::NAN),
        );
    }
    for note in doc["notes"].as_array().into_iter().flatten() {
        let _ = writeln!(s, "note         {}", note.as_str().unwrap_or(""));
    }
    if let Some(o) = out {
        let _ = writeln!(s, "written      {} ({})", o.display(), files.join(", "));
    }
    s
}
