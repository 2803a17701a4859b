//! `gen_ratings OUT.tsv --users U --items I --ratings N [--rank 10] [--seed 0] [--noise 0.5]`
//!
//! Writes a synthetic explicit-ratings file for scaling benchmarks of `lowrank mf fit`: `N`
//! lines `user\titem\trating` (tab-separated, no header), ids are 1-based integers written as
//! text, ratings are integers 1..5.
//!
//! The model that generates them (all draws seeded, so the same arguments give the same bytes
//! whatever the thread count):
//!
//! * rating = clip(round(μ + b_u + b_i + p_u·q_i + ε), 1, 5) with μ = 3.5, b_u ~ N(0, 0.35²),
//!   b_i ~ N(0, 0.4²), p_u, q_i ~ N(0, s²)^rank with s = (0.5/rank)^¼ (so p·q has variance
//!   0.5), ε ~ N(0, noise²) (default noise 0.5);
//! * user activity is heavy-tailed: weights w_u ~ Pareto(shape 1.2), clipped at 500 (lower if
//!   a user would otherwise need more than half of the items), and the
//!   degrees are `1 + ⌊(N − U)·W_{u+1}/W⌋ − ⌊(N − U)·W_u/W⌋` (W the cumulative weights), so
//!   every user has at least one rating (when N ≥ U) and the degrees sum to exactly N (mean
//!   N/U; with N/U = 20 the busiest user has about 2,000);
//! * item popularity is Zipf-like: an item's popularity rank r (over a seeded permutation of
//!   the item ids) is drawn with density ∝ (r + 1)^−0.8 (inverse-CDF of the continuous
//!   approximation), so a few items get a large share and the tail items few or none (the file
//!   may mention fewer than I items);
//! * no duplicate (user, item) pairs: each user's items are drawn without replacement
//!   (rejection against a per-thread mark array).
//!
//! Lines are grouped by user (users in id order, each user's items in draw order), like
//! MovieLens' own files. Users are generated in chunks of 8192 in parallel, each chunk from
//! its own ChaCha8 stream, and written in order through a `BufWriter`; memory is O(I·rank +
//! U) whatever N. About 1 s per 10M lines on 2 cores.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

const MU: f64 = 3.5;
const USER_BIAS_STD: f64 = 0.35;
const ITEM_BIAS_STD: f64 = 0.4;
const PARETO_SHAPE: f64 = 1.2;
const WEIGHT_CAP: f64 = 500.0;
const ZIPF_EXPONENT: f64 = 0.8;
const CHUNK: usize = 8192;

struct Args {
    out: String,
    users: usize,
    items: usize,
    ratings: u64,
    rank: usize,
    seed: u64,
    noise: f64,
}

fn parse_args() -> Result<Args> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: gen_ratings OUT.tsv --users U --items I --ratings N [--rank 10] [--seed 0] [--noise 0.5]";
    if argv.is_empty() || argv[0] == "-h" || argv[0] == "--help" {
        eprintln!("{usage}");
        std::process::exit(2);
    }
    let mut a = Args {
        out: argv[0].clone(),
        users: 0,
        items: 0,
        ratings: 0,
        rank: 10,
        seed: 0,
        noise: 0.5,
    };
    let mut i = 1;
    while i < argv.len() {
        let v = argv
            .get(i + 1)
            .with_context(|| format!("{} needs a value; {usage}", argv[i]))?;
        let num = |v: &str| -> Result<f64> {
            // Accept 20000000, 20_000_000 and 2e7.
            v.replace('_', "")
                .parse::<f64>()
                .with_context(|| format!("{}: '{v}' is not a number", argv[i]))
        };
        match argv[i].as_str() {
            "--users" => a.users = num(v)? as usize,
            "--items" => a.items = num(v)? as usize,
            "--ratings" => a.ratings = num(v)? as u64,
            "--rank" => a.rank = num(v)? as usize,
            "--seed" => a.seed = num(v)? as u64,
            "--noise" => a.noise = num(v)?,
            other => bail!("unknown argument {other}; {usage}"),
        }
        i += 2;
    }
    if a.users == 0 || a.items == 0 || a.ratings == 0 {
        bail!("--users, --items and --ratings are required and positive; {usage}");
    }
    if a.users > u32::MAX as usize - 1 || a.items > u32::MAX as usize - 1 {
        bail!("at most 2^32 − 2 users and items");
    }
    if !(a.noise >= 0.0 && a.noise.is_finite()) {
        bail!("--noise must be a finite number ≥ 0");
    }
    Ok(a)
}

/// Appends `v` in decimal.
#[inline]
fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut n = 0;
    loop {
        tmp[n] = b'0' + (v % 10) as u8;
        v /= 10;
        n += 1;
        if v == 0 {
            break;
        }
    }
    buf.extend(tmp[..n].iter().rev());
}

/// Degrees `base + ⌊spread·W_{u+1}/W⌋ − ⌊spread·W_u/W⌋` over the weights clipped at `cap`:
/// they sum to exactly `n`, and every user has one rating if `n ≥ users`.
fn degrees_for(weights: &[f64], cap: f64, n: u64) -> Vec<u32> {
    let nu = weights.len();
    let total_w: f64 = weights.iter().map(|w| w.min(cap)).sum();
    let base = u64::from(n >= nu as u64);
    let spread = n - base * nu as u64;
    let mut degrees = Vec::with_capacity(nu);
    let (mut cum, mut prev) = (0.0f64, 0u64);
    for (u, &w) in weights.iter().enumerate() {
        cum += w.min(cap);
        let upto = if u + 1 == nu {
            spread
        } else {
            ((spread as f64 * cum / total_w).floor() as u64).min(spread)
        };
        degrees.push((base + upto.saturating_sub(prev)) as u32);
        prev = prev.max(upto);
    }
    degrees
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

fn main() -> Result<()> {
    let a = parse_args()?;
    let t0 = Instant::now();
    let (nu, ni, k) = (a.users, a.items, a.rank);
    let s = if k > 0 {
        (0.5 / k as f64).powf(0.25)
    } else {
        0.0
    };

    // Item side and user degrees: one sequential stream (stream 0).
    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
    let mut item_of_rank: Vec<u32> = (0..ni as u32).collect();
    rand::seq::SliceRandom::shuffle(&mut item_of_rank[..], &mut rng);
    let item_bias: Vec<f32> = (0..ni)
        .map(|_| (ITEM_BIAS_STD * normal(&mut rng)) as f32)
        .collect();
    let item_factors: Vec<f32> = (0..ni * k).map(|_| (s * normal(&mut rng)) as f32).collect();
    // Pareto(shape α, scale 1) by inversion: U^(−1/α), U in (0, 1].
    let weights: Vec<f64> = (0..nu)
        .map(|_| {
            let u: f64 = 1.0 - rng.random::<f64>();
            u.powf(-1.0 / PARETO_SHAPE)
        })
        .collect();
    let n = a.ratings;
    if n > nu as u64 * (ni as u64 / 2).max(1) {
        bail!("{n} ratings need more than half of the {ni} items per user on average; use more items or users");
    }
    // Lower the clip until no user needs more than half of the items (rejection sampling of
    // distinct items stays cheap).
    let mut cap = WEIGHT_CAP;
    let degrees = loop {
        let d = degrees_for(&weights, cap, n);
        let max = d.iter().copied().max().unwrap_or(0) as usize;
        if max * 2 <= ni.max(2) || cap <= 1.0 {
            break d;
        }
        cap = (cap / 2.0).max(1.0);
    };
    let max_degree = degrees.iter().copied().max().unwrap_or(0) as usize;
    if cap < WEIGHT_CAP {
        eprintln!("gen_ratings: activity weights clipped at {cap} (not {WEIGHT_CAP}) so that no user rates more than half of the items");
    }
    drop(weights);

    // Inverse CDF of the continuous Zipf-like density ∝ (x + 1)^−a on [0, ni).
    let one_minus_a = 1.0 - ZIPF_EXPONENT;
    let span = ((ni as f64) + 1.0).powf(one_minus_a) - 1.0;
    let zipf = move |u: f64| -> usize {
        let x = (1.0 + u * span).powf(1.0 / one_minus_a) - 1.0;
        (x as usize).min(ni - 1)
    };

    let file = File::create(&a.out).with_context(|| format!("creating {}", a.out))?;
    let mut w = BufWriter::with_capacity(1 << 22, file);
    let chunks = nu.div_ceil(CHUNK);
    let batch = 8 * rayon::current_num_threads().max(1);
    let mut c0 = 0;
    while c0 < chunks {
        let c1 = (c0 + batch).min(chunks);
        let bufs: Vec<Vec<u8>> = (c0..c1)
            .into_par_iter()
            .map_init(
                || vec![0u32; ni],
                |mark, c| {
                    let mut rng = ChaCha8Rng::seed_from_u64(a.seed);
                    rng.set_stream(c as u64 + 1);
                    let (u0, u1) = (c * CHUNK, ((c + 1) * CHUNK).min(nu));
                    let lines: u64 = degrees[u0..u1].iter().map(|&d| d as u64).sum();
                    let mut buf = Vec::with_capacity(lines as usize * 18);
                    let mut p = vec![0f64; k];
                    for (u, &degree) in (u0..u1).zip(&degrees[u0..u1]) {
                        let bu = USER_BIAS_STD * normal(&mut rng);
                        p.iter_mut().for_each(|x| *x = s * normal(&mut rng));
                        let stamp = u as u32 + 1;
                        for _ in 0..degree {
                            let item = loop {
                                let i = item_of_rank[zipf(rng.random::<f64>())] as usize;
                                if mark[i] != stamp {
                                    mark[i] = stamp;
                                    break i;
                                }
                            };
                            let q = &item_factors[item * k..(item + 1) * k];
                            let dot: f64 = p.iter().zip(q).map(|(a, &b)| a * b as f64).sum();
                            let r =
                                MU + bu + item_bias[item] as f64 + dot + a.noise * normal(&mut rng);
                            let r = r.round().clamp(1.0, 5.0) as u8;
                            push_u64(&mut buf, u as u64 + 1);
                            buf.push(b'\t');
                            push_u64(&mut buf, item as u64 + 1);
                            buf.push(b'\t');
                            buf.push(b'0' + r);
                            buf.push(b'\n');
                        }
                    }
                    buf
                },
            )
            .collect();
        for b in &bufs {
            w.write_all(b)
                .with_context(|| format!("writing {}", a.out))?;
        }
        c0 = c1;
    }
    w.flush().with_context(|| format!("writing {}", a.out))?;
    eprintln!(
        "gen_ratings: wrote {} ratings ({} users, {} items, busiest user {max_degree}) to {} in {:.1} s",
        n,
        nu,
        ni,
        a.out,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
