//! # lowrank-core
//!
//! The numerical core of lowrank: linear operators ([`op`]), singular value decompositions
//! ([`svd`]: exact, randomized, Lanczos, with rank chosen by count, energy or error tolerance)
//! and the quality certificate of every result ([`certificate`]). No file, network, async or
//! CLI code lives here.
//!
//! ```
//! use lowrank_core::op::DenseOp;
//! use lowrank_core::svd::{compute, RankSpec, SvdParams, Method};
//! use faer::Mat;
//!
//! let a = Mat::<f64>::from_fn(6, 4, |i, j| (i as f64 + 1.0) * (j as f64 + 1.0));
//! let params = SvdParams { rank: RankSpec::Fixed(1), method: Method::Exact, ..SvdParams::default() };
//! let out = compute(&DenseOp::new(a.as_ref()), &params, &mut lowrank_core::NoObserver).unwrap();
//! // A rank-one matrix: σ₁ = ‖(1..6)‖·‖(1..4)‖.
//! let expected = (91.0f64).sqrt() * (30.0f64).sqrt();
//! assert!((out.svd.s[0] - expected).abs() < 1e-12 * expected);
//! ```

pub mod anomaly;
pub mod certificate;
pub mod denoise;
pub mod drift;
pub mod error;
pub mod memory;
pub mod observe;
pub mod op;
pub mod pca;
pub mod ridge;
pub mod svd;

pub use error::SvdError;
pub use observe::{NoObserver, Observer, Progress};
