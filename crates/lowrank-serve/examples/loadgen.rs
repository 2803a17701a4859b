//! Load generator for `lowrank serve` (run by `bench/serve_load.sh`): builds two synthetic
//! models, serves each in-process on a loopback port, and drives it with closed-loop clients
//! over keep-alive HTTP/1.1, bounded in time and in request count.
//!
//! - `recommend`: a biased-MF recommender with `--items` items (default 100 000) × `--factors`
//!   (64) and 1000 users; each request asks `GET /recommend?user=uN&n=10` for a random user.
//! - `project`: a PCA model with `--features` (1000) features × `--components` (32) axes; each
//!   request posts one random row.
//!
//! Prints one line per (scenario, clients) with throughput and latency percentiles (client
//! side, request written → response read), and with `--json FILE` / `--svg FILE` writes the
//! figures and a latency-distribution chart.
//!
//! ```text
//! cargo run --release -p lowrank-serve --example loadgen -- --seconds 5 --max-requests 50000
//! ```

use faer::Mat;
use lowrank_io::{IdMap, OutputDir, SavedModel, TrainingData};
use lowrank_mf::{Hyper, Model, ModelKind};
use lowrank_serve::{AppState, Config, DirSource};
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Builds one raw HTTP request (head and body) from the client's random stream.
type MakeRequest = Arc<dyn Fn(&mut Rng) -> Vec<u8> + Send + Sync>;

struct Opts {
    seconds: f64,
    max_requests: u64,
    clients: Vec<usize>,
    items: usize,
    factors: usize,
    features: usize,
    components: usize,
    json: Option<PathBuf>,
    svg: Option<PathBuf>,
}

fn opts() -> Opts {
    let mut o = Opts {
        seconds: 5.0,
        max_requests: 100_000,
        clients: vec![1, 2, 4],
        items: 100_000,
        factors: 64,
        features: 1000,
        components: 32,
        json: None,
        svg: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        let num = |v: &str| -> f64 {
            v.parse().unwrap_or_else(|_| {
                eprintln!("loadgen: {}: not a number: {v:?}", args[i]);
                std::process::exit(2)
            })
        };
        match args[i].as_str() {
            "--seconds" => o.seconds = num(&v),
            "--max-requests" => o.max_requests = num(&v) as u64,
            "--clients" => o.clients = v.split(',').map(|c| num(c) as usize).collect(),
            "--items" => o.items = num(&v) as usize,
            "--factors" => o.factors = num(&v) as usize,
            "--features" => o.features = num(&v) as usize,
            "--components" => o.components = num(&v) as usize,
            "--json" => o.json = Some(v.into()),
            "--svg" => o.svg = Some(v.into()),
            other => {
                eprintln!("loadgen: unknown option {other} (see the module documentation)");
                std::process::exit(2)
            }
        }
        i += 2;
    }
    assert!(
        o.seconds > 0.0 && o.seconds <= 120.0,
        "--seconds in (0, 120]"
    );
    assert!(o.max_requests > 0 && o.max_requests <= 10_000_000);
    o
}

/// splitmix64: a dependency-free, seeded stream of uniform numbers in [-1, 1).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

fn write_recommender(dir: &Path, items: usize, rank: usize) {
    let users = 1000;
    let mut r = Rng(1);
    let mut gen = |n: usize, s: f64| -> Vec<f64> { (0..n).map(|_| s * r.next()).collect() };
    let model = Model {
        kind: ModelKind::BiasedMf,
        rank,
        global_mean: 3.5,
        user_bias: gen(users, 0.3),
        item_bias: gen(items, 0.3),
        p: gen(users * rank, 0.2),
        q: gen(items * rank, 0.2),
        n_users: users,
        n_items: items,
        clip: Some((1.0, 5.0)),
        popularity: (0..items).map(|i| 1.0 + (i % 97) as f64).collect(),
        user_count: vec![20.0; users],
    };
    let saved = SavedModel {
        model,
        users: IdMap::from_ids((0..users).map(|u| format!("u{u}")).collect()).unwrap(),
        items: IdMap::from_ids((0..items).map(|i| format!("i{i}")).collect()).unwrap(),
        seen_ptr: vec![0; users + 1],
        seen_items: Vec::new(),
    };
    let hyper = Hyper {
        rank,
        ..Hyper::for_model(ModelKind::BiasedMf)
    };
    let out = OutputDir::create(dir, true).unwrap();
    let training = TrainingData {
        path: "synthetic".into(),
        sha256: "0".repeat(64),
        ratings: 0,
        duplicates: 0,
    };
    lowrank_io::write_model(&out, &saved, &hyper, training, json!({}), &[]).unwrap();
    out.commit().unwrap();
}

fn write_pca(dir: &Path, n: usize, k: usize) {
    let out = OutputDir::create(dir, true).unwrap();
    let mut r = Rng(2);
    let c = Mat::<f64>::from_fn(k, n, |_, _| r.next() / (n as f64).sqrt());
    lowrank_io::write_npy(&out.file("components.npy"), c.as_ref()).unwrap();
    let mean: Vec<f64> = (0..n).map(|_| r.next()).collect();
    lowrank_io::write_npy_vec(&out.file("mean.npy"), &mean).unwrap();
    let ev: Vec<f64> = (0..k).map(|i| 1.0 / (i + 1) as f64).collect();
    for name in [
        "singular_values.npy",
        "explained_variance.npy",
        "explained_variance_ratio.npy",
    ] {
        lowrank_io::write_npy_vec(&out.file(name), &ev).unwrap();
    }
    let doc = json!({"schema": "lowrank.pca.model/1", "n_samples": 10000, "n_features": n,
        "components": k, "scale": false, "whiten": false, "total_variance": 10.0, "noise_variance": 0.0});
    std::fs::write(out.file("pca.json"), doc.to_string()).unwrap();
    out.commit().unwrap();
}

/// One keep-alive connection.
struct Conn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Conn {
    fn new(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        Conn {
            writer: s.try_clone().unwrap(),
            reader: BufReader::new(s),
        }
    }

    /// Sends one request; returns the status.
    fn request(&mut self, head_and_body: &[u8]) -> u16 {
        self.writer.write_all(head_and_body).unwrap();
        let mut line = String::new();
        self.reader.read_line(&mut line).unwrap();
        let status = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        let mut len = 0;
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body).unwrap();
        status
    }
}

struct Run {
    scenario: &'static str,
    clients: usize,
    requests: u64,
    errors: u64,
    seconds: f64,
    latencies_ms: Vec<f64>,
}

fn pct(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

/// Closed-loop clients until the time or the request budget runs out.
fn drive(
    addr: SocketAddr,
    scenario: &'static str,
    clients: usize,
    o: &Opts,
    make: MakeRequest,
) -> Run {
    let budget = Arc::new(AtomicU64::new(o.max_requests));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(o.seconds);
    let start = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let (budget, errors, make) = (budget.clone(), errors.clone(), make.clone());
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr);
                let mut rng = Rng(100 + c as u64);
                // Warm-up, not recorded: connection, caches, page faults of the model.
                for _ in 0..20 {
                    conn.request(&make(&mut rng));
                }
                let mut lat = Vec::new();
                while Instant::now() < deadline
                    && budget
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
                        .is_ok()
                {
                    let req = make(&mut rng);
                    let t = Instant::now();
                    if conn.request(&req) != 200 {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                    lat.push(t.elapsed().as_secs_f64() * 1e3);
                }
                lat
            })
        })
        .collect();
    let mut latencies_ms: Vec<f64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let seconds = start.elapsed().as_secs_f64();
    latencies_ms.sort_by(f64::total_cmp);
    Run {
        scenario,
        clients,
        requests: latencies_ms.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        seconds,
        latencies_ms,
    }
}

fn main() {
    let o = opts();
    let tmp = std::env::temp_dir().join(format!("lowrank-loadgen-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let t = Instant::now();
    write_recommender(&tmp.join("rec"), o.items, o.factors);
    write_pca(&tmp.join("pca"), o.features, o.components);
    eprintln!("models written in {:.1} s", t.elapsed().as_secs_f64());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "| scenario | clients | requests | errors | seconds | req/s | p50 ms | p90 ms | p99 ms | max ms |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut runs = Vec::new();
    let features = o.features;
    let scenarios: Vec<(&'static str, &'static str, MakeRequest)> = vec![
        (
            "recommend",
            "rec",
            Arc::new(|r: &mut Rng| {
                let u = ((r.next() + 1.0) * 500.0) as usize % 1000;
                format!("GET /v1/models/m/recommend?user=u{u}&n=10 HTTP/1.1\r\nHost: l\r\n\r\n")
                    .into_bytes()
            }),
        ),
        (
            "project",
            "pca",
            Arc::new(move |r: &mut Rng| {
                let row: Vec<String> = (0..features).map(|_| format!("{:.6}", r.next())).collect();
                let body = format!("{{\"rows\":[[{}]]}}", row.join(","));
                format!(
                    "POST /v1/models/m/project HTTP/1.1\r\nHost: l\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes()
            }),
        ),
    ];
    for (name, dir, make) in scenarios {
        let config = Config {
            model_name: "m".into(),
            ..Config::default()
        };
        let state = AppState::new(config, Arc::new(DirSource::new(tmp.join(dir)))).unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = rt.spawn(lowrank_serve::serve(listener, state, async {
            let _ = stopped.await;
        }));
        for &c in &o.clients {
            let run = drive(addr, name, c, &o, make.clone());
            let l = &run.latencies_ms;
            println!(
                "| {} | {} | {} | {} | {:.1} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
                run.scenario,
                run.clients,
                run.requests,
                run.errors,
                run.seconds,
                run.requests as f64 / run.seconds,
                pct(l, 0.5),
                pct(l, 0.9),
                pct(l, 0.99),
                l[l.len() - 1]
            );
            runs.push(run);
        }
        let _ = stop.send(());
        let _ = rt.block_on(server);
    }
    let _ = std::fs::remove_dir_all(&tmp);
    if let Some(p) = &o.json {
        let doc = json!({
            "cores": cores,
            "items": o.items, "factors": o.factors, "features": o.features, "components": o.components,
            "runs": runs.iter().map(|r| json!({
                "scenario": r.scenario, "clients": r.clients, "requests": r.requests,
                "errors": r.errors, "seconds": r.seconds,
                "throughput_per_s": r.requests as f64 / r.seconds,
                "p50_ms": pct(&r.latencies_ms, 0.5), "p90_ms": pct(&r.latencies_ms, 0.9),
                "p99_ms": pct(&r.latencies_ms, 0.99),
                "max_ms": r.latencies_ms[r.latencies_ms.len() - 1],
            })).collect::<Vec<_>>(),
        });
        write_or_exit(p, &serde_json::to_string_pretty(&doc).unwrap_or_default());
    }
    if let Some(p) = &o.svg {
        // Latency quantile curves (log x): where each scenario's p50 and p99 sit.
        let mut chart = lowrank_plot::Chart::new(
            format!("lowrank serve latency on {cores} cores (loopback, closed loop)"),
            "latency (ms, log scale)",
            "fraction of requests answered",
        )
        .log_x()
        .hline(0.99, "p99");
        for r in runs
            .iter()
            .filter(|r| r.clients == cores || o.clients.len() == 1)
        {
            let l = &r.latencies_ms;
            let pts: Vec<(f64, f64)> = (0..=200)
                .map(|i| {
                    let q = i as f64 / 200.0;
                    (pct(l, q).max(1e-3), q)
                })
                .collect();
            chart = chart.line(
                format!(
                    "{} {} ({} clients, {:.0} req/s)",
                    r.scenario,
                    if r.scenario == "recommend" {
                        format!("{}k items x {}", o.items / 1000, o.factors)
                    } else {
                        format!("{} features", o.features)
                    },
                    r.clients,
                    r.requests as f64 / r.seconds
                ),
                pts,
            );
        }
        chart = chart.vline(10.0, "10 ms target");
        write_or_exit(p, &chart.to_svg());
    }
}

/// Writes a report the user asked for (`--json`, `--svg`), or says why it could not and exits 1.
fn write_or_exit(path: &Path, contents: &str) {
    if let Err(e) = std::fs::write(path, contents) {
        eprintln!("loadgen: cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
}
