//! Command-line arguments (clap). Validation that needs the input's shape happens in the
//! commands; here only what can be checked from the text alone.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  2  usage error: unknown flag, invalid value, impossible rank
  3  input error: unreadable or malformed file, NaN/Inf in the data
  4  refused: the job would exceed --max-memory, or the output exists (use --force)
  5  numerical failure: an iterative method did not converge
  6  output error: the results could not be written
  7  drift above a threshold (`lowrank drift --max-angle ...`)
  1  internal error (please report it)";

/// Low-rank matrix factorization: SVD of real matrices from real files, with a quality
/// certificate for every result.
#[derive(Parser, Debug)]
#[command(name = "lowrank", version, about, after_help = EXIT_CODES, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
    /// Worker threads (default: all cores). Truncated methods give identical bytes whatever
    /// the count; the exact method for a given count.
    #[arg(long, global = true, value_name = "N")]
    pub(crate) threads: Option<usize>,
    /// No progress bar (it is also off when stderr is not a terminal).
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
    /// Print a machine-readable JSON summary on stdout instead of text.
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Shape, stored entries, density, memory, Frobenius norm and checksum of a matrix file.
    #[command(after_help = "Examples (from the repository root):
  lowrank info testdata/mtx/bcsstk13.mtx
  lowrank info testdata/dense/lowrank_300x80.csv --json")]
    Info(InfoArgs),
    /// Singular value decomposition: exact, or truncated top-k (randomized, Lanczos).
    #[command(
        after_help = "Rank: give one of --rank K, --energy E, --max-error E (or --tol T without a rank).
Writes U.npy (m×k), S.npy (k), V.npy (n×k) and report.json into --out, atomically;
without --out, prints the singular values and the quality figures.

Examples (from the repository root):
  lowrank svd testdata/dense/lowrank_300x80.npy --rank 10 --out run1/
  lowrank svd testdata/mtx/illc1850.mtx --rank 20 --method lanczos --tol 1e-10 --out lsa/
  lowrank svd testdata/dense/lowrank_300x80.csv --energy 0.90 --max-rank 50 --out run2/
  lowrank svd testdata/mtx/well1033.mtx --method exact --values-only
  lowrank svd testdata/triplets/ratings_small.tsv --input-format triplets --rank 3 --json"
    )]
    Svd(SvdArgs),
    /// Recommenders: regularized matrix factorization of ratings or implicit feedback.
    #[command(subcommand)]
    Mf(MfCommand),
    /// Principal component analysis: fit (centring implicit, sparse input stays sparse),
    /// `transform` new rows, `inverse-transform` coordinates.
    #[command(
        after_help = PCA_HELP,
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true
    )]
    Pca(PcaArgs),
    /// Denoising and compression of a matrix or an image by a truncated SVD.
    Denoise(crate::cmd::denoise::DenoiseArgs),
    /// Latent semantic analysis of a text corpus: tf-idf, topics, similarity queries.
    Lsa(crate::cmd::lsa::LsaArgs),
    /// Anomaly scores: residuals of rows against a low-rank fit of normal data.
    Anomaly(crate::cmd::anomaly::AnomalyArgs),
    /// Ridge (Tikhonov) least squares from one SVD: the whole regularization path.
    Ridge(crate::cmd::ridge::RidgeArgs),
    /// Versioned store of results: put, list, show, promote, rollback, gc, verify.
    Store(crate::cmd::store::StoreArgs),
    /// Drift between two decompositions: principal angles, matched components, spectra.
    Drift(crate::cmd::drift::DriftArgs),
    /// HTTP service: projections, reconstructions, anomaly scores, recommendations, metrics.
    Serve(crate::cmd::serve::ServeArgs),
}

/// How the input file is read.
#[derive(Args, Debug, Clone)]
pub(crate) struct InputArgs {
    /// Input matrix: .npy, .csv/.tsv/.txt (dense), .mtx (Matrix Market), .triplets/.coo/.ijv
    /// (`row col value` with string or integer ids).
    pub(crate) input: PathBuf,
    #[command(flatten)]
    pub(crate) read: ReadFlags,
}

/// How a matrix file is parsed, and the memory limit: shared by every command that reads one.
#[derive(Args, Debug, Clone, Default)]
pub(crate) struct ReadFlags {
    /// Override the format guessed from the extension.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) input_format: Option<InputFormat>,
    /// Delimited text: the first line is a header (default: detected).
    #[arg(long, conflicts_with = "no_header")]
    pub(crate) header: bool,
    /// Delimited text: there is no header line (default: detected).
    #[arg(long)]
    pub(crate) no_header: bool,
    /// Delimited text: field separator, one character, or `tab`/`space` (default: detected).
    #[arg(long, value_name = "CHAR")]
    pub(crate) delimiter: Option<String>,
    /// Refuse jobs whose estimated memory exceeds this (e.g. 8G, 512M, 60%).
    /// Default: 75% of physical memory.
    #[arg(long, value_name = "SIZE")]
    pub(crate) max_memory: Option<String>,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub(crate) enum InputFormat {
    Npy,
    Csv,
    Mtx,
    Triplets,
}

#[derive(Args, Debug)]
pub(crate) struct InfoArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MethodArg {
    /// Pick from shape, storage and rank; the report says which and why.
    Auto,
    /// Dense thin SVD of the whole matrix.
    Exact,
    /// Randomized range finder with power iterations.
    Randomized,
    /// Lanczos bidiagonalization with restarts (high accuracy, sparse input).
    Lanczos,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeFinderArg {
    /// Block Krylov subspace.
    Krylov,
    /// Subspace (power) iteration.
    Subspace,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    /// U.npy, S.npy, V.npy.
    Npy,
    /// factors.safetensors holding U, S, V.
    Safetensors,
}

#[derive(Args, Debug)]
pub(crate) struct SvdArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Number of singular triplets.
    #[arg(long, short = 'k', value_name = "K", alias = "k")]
    pub(crate) rank: Option<usize>,
    /// Smallest rank keeping this fraction of ‖A‖_F² (0 < E ≤ 1).
    #[arg(long, value_name = "E", conflicts_with = "rank")]
    pub(crate) energy: Option<f64>,
    /// Smallest rank with ‖A − A_k‖_F ≤ E·‖A‖_F.
    #[arg(long, value_name = "E", conflicts_with_all = ["rank", "energy"])]
    pub(crate) max_error: Option<f64>,
    /// Upper bound on the rank chosen by --energy / --max-error / --tol (default: min(m, n, 1000)).
    #[arg(long, value_name = "K")]
    pub(crate) max_rank: Option<usize>,
    /// With a rank: convergence tolerance, every triplet's ‖Aᵀu − σv‖ ≤ T·σ₁ (Lanczos) or the
    /// σ estimates settled to T·σ₁ (randomized); default 1e-10. Without a rank: choose the rank
    /// as --max-error T does.
    #[arg(long, value_name = "T")]
    pub(crate) tol: Option<f64>,
    /// Algorithm.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) method: MethodArg,
    /// Randomized: extra sketch columns.
    #[arg(long, default_value_t = 10, value_name = "P")]
    pub(crate) oversamples: usize,
    /// Randomized: power iterations, a number or `auto` (stop when the σ estimates settle).
    #[arg(long, default_value = "auto", value_name = "Q")]
    pub(crate) power_iters: String,
    /// Randomized: `krylov` keeps every power-iteration block (more accurate per pass over A;
    /// memory grows with the iterations, at most 8 with `--power-iters auto`); `subspace`
    /// keeps only the last block.
    #[arg(long, value_enum, default_value = "krylov")]
    pub(crate) range_finder: RangeFinderArg,
    /// Lanczos: restarts allowed before giving up.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub(crate) max_restarts: usize,
    /// Subtract the column means first (implicitly: a sparse matrix stays sparse).
    #[arg(long)]
    pub(crate) center: bool,
    /// Compute singular values only.
    #[arg(long)]
    pub(crate) values_only: bool,
    /// Seed of the random start; the same seed gives the same bytes.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Output directory (written atomically).
    #[arg(long, short, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Replace an existing output directory.
    #[arg(long)]
    pub(crate) force: bool,
    /// Factor file format.
    #[arg(long = "format", value_enum, default_value = "npy")]
    pub(crate) output_format: OutputFormat,
}

const MF_EXAMPLES: &str = "Examples (from the repository root):
  lowrank mf fit testdata/ratings/ratings_sample.tsv --out model/ --force
  lowrank mf fit testdata/ratings/ratings_sample.tsv --model svdpp --holdout 0.1 -o pp/ --force
  lowrank mf fit testdata/ratings/ratings_sample.tsv --model bayes-mf -o bayes/ --force
  lowrank mf cv testdata/ratings/ratings_sample.tsv --folds 3 --grid rank=8,16 --grid reg=0.05,0.1
  lowrank mf eval model/ testdata/ratings/ratings_sample.tsv
  lowrank mf recommend model/ --user 196 -n 5
  lowrank mf similar model/ --item 242 -n 5";

/// `lowrank mf ...`
#[derive(Subcommand, Debug)]
pub(crate) enum MfCommand {
    /// Fit a model to a ratings file and write it as a model directory.
    #[command(after_help = MF_EXAMPLES)]
    Fit(MfFitArgs),
    /// k-fold cross-validation over a grid (or a random sample of it); results sorted by
    /// validation error, epochs chosen on the held-out folds.
    #[command(after_help = MF_EXAMPLES)]
    Cv(MfCvArgs),
    /// Evaluate a model on a ratings file: RMSE/MAE (explicit), precision/recall/NDCG@k
    /// (implicit).
    #[command(after_help = MF_EXAMPLES)]
    Eval(MfEvalArgs),
    /// Top-n unseen items for a user, with scores.
    #[command(after_help = MF_EXAMPLES)]
    Recommend(MfRecommendArgs),
    /// Items most similar to an item (cosine of the item factors).
    #[command(after_help = MF_EXAMPLES)]
    Similar(MfSimilarArgs),
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModelArg {
    /// Global mean + regularized user and item biases.
    Baseline,
    /// Biases + rank-k factors ("Funk SVD"), by SGD or ALS.
    BiasedMf,
    /// Biased MF + the implicit signal of which items each user rated (Koren 2008).
    Svdpp,
    /// Implicit feedback (clicks, plays): confidence-weighted ALS with conjugate gradients.
    ImplicitAls,
    /// Bayesian biased MF by Gibbs sampling (BPMF): averages posterior samples, learns its own
    /// regularization (no --reg/--lr); an epoch is one sweep.
    BayesMf,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SolverArg {
    /// Stochastic gradient descent (parallel blocks).
    Sgd,
    /// Alternating least squares (weighted-λ).
    Als,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SplitArg {
    /// Random ratings.
    Random,
    /// The same fraction of each user's ratings.
    PerUser,
    /// The most recent ratings (needs a timestamp column).
    Time,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DuplicatesArg {
    /// The last occurrence in the file wins.
    Last,
    /// The mean of the duplicates.
    Mean,
    /// Refuse the file.
    Error,
}

/// How a ratings file is read.
#[derive(Args, Debug, Clone)]
pub(crate) struct RatingsInput {
    /// Ratings file: `user,item,rating[,timestamp]` (CSV, TSV, or whitespace), optional header,
    /// string or integer ids.
    pub(crate) ratings: PathBuf,
    /// The first line is a header (default: detected).
    #[arg(long, conflicts_with = "no_header")]
    pub(crate) header: bool,
    /// There is no header line (default: detected).
    #[arg(long)]
    pub(crate) no_header: bool,
    /// Field separator, one character, or `tab`/`space` (default: detected).
    #[arg(long, value_name = "CHAR")]
    pub(crate) delimiter: Option<String>,
    /// Repeated (user, item) pairs: keep the last, average them, or refuse the file.
    #[arg(long, value_enum, default_value = "last")]
    pub(crate) duplicates: DuplicatesArg,
    /// Declared rating scale `LO,HI`: ratings outside it are an error, predictions are clipped
    /// to it. Default: the range of the training ratings.
    #[arg(long, value_name = "LO,HI")]
    pub(crate) scale: Option<String>,
}

/// Model hyper-parameters; unset ones take the model's defaults (`docs/recommenders.md`).
#[derive(Args, Debug, Clone)]
pub(crate) struct HyperArgs {
    /// Model.
    #[arg(long, value_enum, default_value = "biased-mf")]
    pub(crate) model: ModelArg,
    /// Solver for biased-mf (svdpp uses SGD, implicit-als ALS).
    #[arg(long, value_enum)]
    pub(crate) solver: Option<SolverArg>,
    /// Number of latent factors [biased-mf 64, svdpp 64, implicit-als 64, bayes-mf 16].
    #[arg(long, short = 'k', value_name = "K")]
    pub(crate) rank: Option<usize>,
    /// L2 regularization of the factors [biased-mf 0.1, svdpp 0.1, implicit-als 0.1].
    #[arg(long, value_name = "R")]
    pub(crate) reg: Option<f64>,
    /// L2 regularization of the biases [0.01].
    #[arg(long, value_name = "R")]
    pub(crate) reg_bias: Option<f64>,
    /// SGD learning rate [biased-mf 0.01, svdpp 0.007].
    #[arg(long, value_name = "LR")]
    pub(crate) lr: Option<f64>,
    /// Learning-rate multiplier after each epoch, in (0, 1] [1 = constant].
    #[arg(long, value_name = "D")]
    pub(crate) lr_decay: Option<f64>,
    /// Maximum epochs [biased-mf 45, svdpp 22, implicit-als 15, baseline 10]; bayes-mf: Gibbs
    /// sweeps, burn-in included [200].
    #[arg(long, value_name = "N")]
    pub(crate) epochs: Option<usize>,
    /// Standard deviation of the initial factors [0.05; bayes-mf 0.1].
    #[arg(long, value_name = "S")]
    pub(crate) init_std: Option<f64>,
    /// implicit-als: confidence 1 + alpha·r [20].
    #[arg(long, value_name = "A")]
    pub(crate) alpha: Option<f64>,
    /// bayes-mf: sweeps discarded before samples are kept [50].
    #[arg(long, value_name = "N")]
    pub(crate) burn_in: Option<usize>,
    /// bayes-mf: keep every N-th sweep after the burn-in; the model stores
    /// (epochs − burn-in)/N samples of rank factors each [2].
    #[arg(long, value_name = "N")]
    pub(crate) thin: Option<usize>,
    /// bayes-mf: precision α of the rating noise, r ~ N(prediction, 1/α) [1.5].
    #[arg(long, value_name = "A")]
    pub(crate) noise_precision: Option<f64>,
    /// Seed of the initialisation, the SGD order and the splits.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
}

#[derive(Args, Debug)]
pub(crate) struct MfFitArgs {
    #[command(flatten)]
    pub(crate) input: RatingsInput,
    #[command(flatten)]
    pub(crate) hyper: HyperArgs,
    /// Hold out this fraction as a validation set: per-epoch validation error, early stopping
    /// with --patience, the best epoch kept. Default: none (train on everything).
    #[arg(long, value_name = "F")]
    pub(crate) holdout: Option<f64>,
    /// How the validation set is chosen.
    #[arg(long, value_enum, default_value = "random")]
    pub(crate) split: SplitArg,
    /// Early stopping: epochs without a better validation error before stopping (0 = never)
    /// [5; bayes-mf: does not apply, only 0 is accepted].
    #[arg(long, value_name = "N")]
    pub(crate) patience: Option<usize>,
    /// Output model directory (written atomically).
    #[arg(long, short, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Replace an existing output directory.
    #[arg(long)]
    pub(crate) force: bool,
    /// Refuse to train if the estimated memory exceeds this (e.g. 8G, 60%).
    /// Default: 75% of physical memory.
    #[arg(long, value_name = "SIZE")]
    pub(crate) max_memory: Option<String>,
}

#[derive(Args, Debug)]
pub(crate) struct MfCvArgs {
    #[command(flatten)]
    pub(crate) input: RatingsInput,
    #[command(flatten)]
    pub(crate) hyper: HyperArgs,
    /// Number of folds.
    #[arg(long, default_value_t = 5, value_name = "K")]
    pub(crate) folds: usize,
    /// A parameter and its values, e.g. `rank=16,32,64` (repeatable; keys: rank, reg,
    /// reg-bias, lr, lr-decay, epochs, init-std, alpha, burn-in, thin, noise-precision). The
    /// grid is their product.
    #[arg(long, value_name = "KEY=V1,V2,...")]
    pub(crate) grid: Vec<String>,
    /// Random search: evaluate this many combinations drawn from the grid (seeded).
    #[arg(long, value_name = "N")]
    pub(crate) random: Option<usize>,
    /// Write cv.json (every candidate, every fold) here (atomically).
    #[arg(long, short, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Replace an existing output directory.
    #[arg(long)]
    pub(crate) force: bool,
}

#[derive(Args, Debug)]
pub(crate) struct MfEvalArgs {
    /// Model directory written by `lowrank mf fit`.
    pub(crate) model: PathBuf,
    #[command(flatten)]
    pub(crate) input: RatingsInput,
    /// Cut-off for the ranking metrics.
    #[arg(long, short = 'n', default_value_t = 10, value_name = "K")]
    pub(crate) at: usize,
}

#[derive(Args, Debug)]
pub(crate) struct MfRecommendArgs {
    /// Model directory written by `lowrank mf fit`.
    pub(crate) model: PathBuf,
    /// User id as in the ratings file.
    #[arg(long, value_name = "ID")]
    pub(crate) user: String,
    /// Number of items.
    #[arg(long, short = 'n', default_value_t = 10, value_name = "N")]
    pub(crate) n: usize,
    /// Also recommend items the user already rated.
    #[arg(long)]
    pub(crate) include_seen: bool,
}

#[derive(Args, Debug)]
pub(crate) struct MfSimilarArgs {
    /// Model directory written by `lowrank mf fit`.
    pub(crate) model: PathBuf,
    /// Item id as in the ratings file.
    #[arg(long, value_name = "ID")]
    pub(crate) item: String,
    /// Number of items.
    #[arg(long, short = 'n', default_value_t = 10, value_name = "N")]
    pub(crate) n: usize,
}

const PCA_HELP: &str =
    "Components: --components K, --variance F (smallest k reaching that cumulative ratio),
or neither (automatic: ratio 0.95, at most 100 components). Explained variance uses the n-1
denominator; ratios are relative to the total variance of all components. --scale divides
every column by its standard deviation (n denominator, as scikit-learn's StandardScaler).
--out DIR writes components.npy (k×n), mean.npy, scale.npy (with --scale),
explained_variance.npy, explained_variance_ratio.npy, singular_values.npy, pca.json,
scree.svg and projection.svg, atomically.

Examples (from the repository root):
  lowrank pca testdata/dense/lowrank_300x80.npy --components 10 --out pca/
  lowrank pca testdata/dense/lowrank_300x80.csv --variance 0.9 --scale --out pca_scaled/
  lowrank pca testdata/mtx/illc1850.mtx --components 5 --method lanczos --json
  lowrank pca transform pca/ testdata/dense/lowrank_300x80.npy --out coords.npy
  lowrank pca inverse-transform pca/ coords.npy --out rows.npy";

/// `lowrank pca FILE ...` fits; `lowrank pca transform|inverse-transform MODEL ...` applies.
#[derive(Args, Debug)]
pub(crate) struct PcaArgs {
    #[command(subcommand)]
    pub(crate) action: Option<PcaAction>,
    /// Input matrix (rows = samples, columns = features): .npy, .csv/.tsv/.txt, .mtx,
    /// .triplets/.coo/.ijv.
    #[arg(required = true)]
    pub(crate) input: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) read: ReadFlags,
    /// Number of components.
    #[arg(long, short = 'k', value_name = "K")]
    pub(crate) components: Option<usize>,
    /// Smallest number of components whose cumulative explained variance ratio reaches F.
    #[arg(long, value_name = "F", conflicts_with = "components")]
    pub(crate) variance: Option<f64>,
    /// Scale every column to unit variance after centring.
    #[arg(long)]
    pub(crate) scale: bool,
    /// Whiten: divide every coordinate by the square root of its explained variance.
    #[arg(long)]
    pub(crate) whiten: bool,
    /// How the axes are computed: `covariance` eigendecomposes the n×n covariance (one pass
    /// over the data, dense input only); `lanczos` runs block Lanczos on the covariance
    /// operator without forming it (on dense input one pass per 16 basis vectors; fast when the
    /// spectrum has a gap after the wanted components, as signal plus noise does; falls back to
    /// `svd` with a note otherwise); `svd` takes the SVD of the centred data by --method.
    /// `auto`, for dense input with at most 1000 features and at least 10 samples per feature
    /// (scikit-learn's covariance rule) unless --method is given: `lanczos` within about half
    /// the covariance's flops (a basis of n_features/8 columns to the nearest block of 16, when
    /// the components fit and --scale is off), then `covariance` if it did not converge;
    /// otherwise svd.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) solver: PcaSolverArg,
    /// SVD algorithm (solver `svd`).
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) method: MethodArg,
    /// Convergence tolerance of the truncated methods.
    #[arg(long, default_value_t = 1e-10, value_name = "T")]
    pub(crate) tol: f64,
    /// Seed of the random start; the same seed gives the same bytes.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Output model directory (written atomically).
    #[arg(long, short, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    /// Replace an existing output directory.
    #[arg(long)]
    pub(crate) force: bool,
}

/// `lowrank pca --solver`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PcaSolverArg {
    /// Covariance for tall dense input (≤ 1000 features, ≥ 10 samples per feature), else SVD.
    Auto,
    /// Eigendecomposition of the covariance, then Rayleigh–Ritz on the data (dense only).
    Covariance,
    /// Block Lanczos on the covariance operator, never formed (falls back to svd).
    Lanczos,
    /// SVD of the implicitly centred data.
    Svd,
}

/// Applying a saved PCA model.
#[derive(Subcommand, Debug)]
pub(crate) enum PcaAction {
    /// Coordinates of new rows on a saved model's axes (rows need the model's feature count).
    #[command(after_help = PCA_HELP)]
    Transform(PcaApplyArgs),
    /// Rows back from coordinates (one column per component of the model).
    #[command(after_help = PCA_HELP)]
    InverseTransform(PcaApplyArgs),
}

#[derive(Args, Debug)]
pub(crate) struct PcaApplyArgs {
    /// Model directory written by `lowrank pca FILE --out DIR`.
    pub(crate) model: PathBuf,
    /// Input matrix (new rows, or coordinates for inverse-transform).
    pub(crate) input: PathBuf,
    /// Override the format guessed from the extension.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) input_format: Option<InputFormat>,
    /// Output .npy file (written atomically).
    #[arg(long, short, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// Replace an existing output file.
    #[arg(long)]
    pub(crate) force: bool,
}
