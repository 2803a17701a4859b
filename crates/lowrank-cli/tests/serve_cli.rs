//! End-to-end tests of `lowrank serve`: the real binary on a loopback port (`--addr
//! 127.0.0.1:0`, port read from its `listening on` line), models fitted by the CLI from the
//! committed test data, and a minimal HTTP/1.1 client over `TcpStream`. Every route, every
//! error path, a hot swap under concurrent requests, a corrupted model that must not be
//! served, graceful shutdown on SIGTERM, and the `--help` examples.

mod util;

use faer::Mat;
use lowrank_core::anomaly::{AnomalyModel, ThresholdRule};
use lowrank_core::pca::PcaModel;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use util::*;

const DENSE_NPY: &str = "dense/lowrank_300x80.npy";
const RATINGS: &str = "ratings/ratings_sample.tsv";

/// A running `lowrank serve`; killed on drop if a test failed before stopping it.
struct Server {
    child: Child,
    port: u16,
    stderr_path: PathBuf,
}

impl Server {
    fn start(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
        let stderr_path = cwd.join(format!("serve-stderr-{}.txt", args.join("_").len()));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lowrank"));
        cmd.current_dir(cwd)
            .arg("serve")
            .args(args)
            .args(["--addr", "127.0.0.1:0"])
            .env_remove("LOWRANK_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start lowrank serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(addr) = line.trim().strip_prefix("listening on ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "no `listening on` line (got {line:?}); stderr:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            );
        };
        let port = addr.rsplit(':').next().unwrap().parse().unwrap();
        Server {
            child,
            port,
            stderr_path,
        }
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let (s, b) = http(self.port, "GET", path, &[], None);
        (s, parse(&b))
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (s, b) = http(
            self.port,
            "POST",
            path,
            &[("Content-Type", "application/json")],
            Some(body.to_string().as_bytes()),
        );
        (s, parse(&b))
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// SIGTERM, then the exit code.
    fn terminate(mut self) -> (Option<i32>, String) {
        sigterm(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return (st.code(), self.stderr());
            }
            assert!(
                Instant::now() < deadline,
                "server did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sigterm(pid: u32) {
    let st = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success());
}

fn parse(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_string()))
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`); returns status and body.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    if let Some(b) = body {
        // The server may answer (413) and close before reading all of a large body.
        let _ = s.write_all(b);
    }
    read_response(&mut s)
}

fn read_response(s: &mut TcpStream) -> (u16, String) {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP response: {text:?}"));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head:?}"));
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

fn dechunk(mut b: &str) -> String {
    let mut out = String::new();
    loop {
        let Some((size, rest)) = b.split_once("\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            return out;
        }
        out.push_str(&rest[..n]);
        b = &rest[n + 2..];
    }
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("<no error code>")
}

fn fit_pca(dir: &Path, out: &str, k: &str) {
    lowrank(dir, ["pca", &td(DENSE_NPY), "-k", k, "--out", out, "-q"]).ok();
}

fn data_rows(range: std::ops::Range<usize>) -> Vec<Vec<f64>> {
    let a = read_npy(&testdata_root().join(DENSE_NPY));
    range
        .map(|i| (0..a.ncols()).map(|j| a.at(i, j)).collect())
        .collect()
}

fn mat(rows: &[Vec<f64>]) -> Mat<f64> {
    Mat::from_fn(rows.len(), rows[0].len(), |i, j| rows[i][j])
}

fn rows_of(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(f64s)
        .collect()
}

fn vec_of(path: &Path) -> Vec<f64> {
    read_npy(path).data
}

/// The PCA model rebuilt from the files `lowrank pca --out` wrote (not through the server's
/// loader), so the library's `transform` is an independent reference.
fn pca_from_files(dir: &Path) -> PcaModel {
    let c = read_npy(&dir.join("components.npy"));
    let doc = read_json(&dir.join("pca.json"));
    PcaModel {
        n_samples: doc["n_samples"].as_u64().unwrap() as usize,
        n_features: c.ncols(),
        components: Mat::from_fn(c.nrows(), c.ncols(), |i, j| c.at(i, j)),
        singular_values: vec_of(&dir.join("singular_values.npy")),
        explained_variance: vec_of(&dir.join("explained_variance.npy")),
        explained_variance_ratio: vec_of(&dir.join("explained_variance_ratio.npy")),
        total_variance: num(&doc["total_variance"]),
        mean: vec_of(&dir.join("mean.npy")),
        scale: None,
        whiten: false,
        noise_variance: 0.0,
    }
}

fn flat(m: &Mat<f64>) -> Vec<f64> {
    (0..m.nrows())
        .flat_map(|i| (0..m.ncols()).map(move |j| m[(i, j)]))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Subspace models: every route, against the library.
// ---------------------------------------------------------------------------------------------

#[test]
fn pca_model_routes_match_the_library() {
    let dir = scratch();
    fit_pca(dir.path(), "model", "5");
    let srv = Server::start(dir.path(), &["--dir", "model", "--model", "demo"], &[]);
    let model = pca_from_files(&dir.path().join("model"));

    let (s, v) = srv.get("/healthz");
    assert_eq!((s, v["status"].as_str()), (200, Some("ok")));
    let (s, v) = srv.get("/readyz");
    assert_eq!((s, v["status"].as_str()), (200, Some("ready")));
    let (s, v) = srv.get("/v1/models");
    assert_eq!(s, 200);
    let m = &v["models"][0];
    assert_eq!(m["name"], "demo");
    assert_eq!(m["kind"], "pca");
    assert_eq!(m["components"], 5);
    assert_eq!(m["n_features"], 80);
    assert_eq!(m["live"], true);
    assert_eq!(m["versions"].as_array().unwrap().len(), 1);
    let version = m["version"].as_str().unwrap().to_string();
    let (s, one) = srv.get("/v1/models/demo");
    assert_eq!((s, one["version"].as_str()), (200, Some(version.as_str())));
    let (s, api) = srv.get("/v1/openapi.json");
    assert_eq!(s, 200);
    assert!(api["paths"]["/v1/models/{name}/project"]["post"].is_object());

    // project = PcaModel::transform. The server runs the same arithmetic on the same sizes and
    // JSON carries f64 exactly (shortest round-trip printing, `float_roundtrip` parsing), so
    // only summation-order differences could appear: 1e-12 relative is ample.
    let rows = data_rows(0..7);
    let x = mat(&rows);
    let (s, v) = srv.post("/v1/models/demo/project", &json!({ "rows": rows }));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["version"], version.as_str());
    let coords = rows_of(&v["coords"]);
    let expected = model.transform(x.as_ref()).unwrap();
    assert_close("project", &coords.concat(), &flat(&expected), 1e-12);

    // reconstruct from rows = inverse_transform(transform(x)); from coords = inverse_transform.
    let (s, v) = srv.post("/v1/models/demo/reconstruct", &json!({ "rows": rows }));
    assert_eq!(s, 200, "{v}");
    let back = model.inverse_transform(expected.as_ref()).unwrap();
    assert_close(
        "reconstruct",
        &rows_of(&v["rows"]).concat(),
        &flat(&back),
        1e-12,
    );
    let (s, v) = srv.post("/v1/models/demo/reconstruct", &json!({ "coords": coords }));
    assert_eq!(s, 200, "{v}");
    assert_close(
        "reconstruct coords",
        &rows_of(&v["rows"]).concat(),
        &flat(&back),
        1e-12,
    );

    // score = the anomaly module's residual norm (an independent implementation), and
    // ‖z‖² = ‖coords‖² + score² (orthonormal axes): 1e-9 relative covers rounding in the
    // 80-term sums of squares.
    let (s, v) = srv.post("/v1/models/demo/score", &json!({ "rows": rows }));
    assert_eq!(s, 200, "{v}");
    let scores = f64s(&v["scores"]);
    let detector = AnomalyModel {
        pca: model.clone(),
        rule: ThresholdRule::Quantile(0.99),
        threshold: f64::INFINITY,
        median: 0.0,
        mad: 0.0,
    };
    assert_close(
        "score",
        &scores,
        &detector.score(x.as_ref()).unwrap(),
        1e-10,
    );
    for (i, r) in rows.iter().enumerate() {
        let z2: f64 = r
            .iter()
            .zip(&model.mean)
            .map(|(a, m)| (a - m) * (a - m))
            .sum();
        let c2: f64 = coords[i].iter().map(|c| c * c).sum();
        let lhs = c2 + scores[i] * scores[i];
        assert!((lhs - z2).abs() <= 1e-9 * z2, "row {i}: {lhs} vs {z2}");
    }

    // Metrics: requests per route/status, live version, decomposition metrics.
    let (s, text) = http(srv.port, "GET", "/metrics", &[], None);
    assert_eq!(s, 200);
    for needle in [
        "lowrank_http_requests_total{route=\"/v1/models/{name}/project\",method=\"POST\",status=\"200\"} 1",
        "lowrank_http_request_duration_seconds_bucket{route=\"/v1/models/{name}/score\",method=\"POST\",status=\"200\",le=\"+Inf\"} 1",
        &format!("lowrank_model_info{{model=\"demo\",version=\"{version}\",kind=\"pca\"}} 1"),
        "lowrank_model_metric{model=\"demo\",name=\"relative_error\"}",
        "lowrank_model_metric{model=\"demo\",name=\"energy_retained\"}",
        "lowrank_model_age_seconds{model=\"demo\"}",
        "lowrank_model_loads_total 1",
        "lowrank_ready 1",
    ] {
        assert!(text.contains(needle), "metrics lack {needle}:\n{text}");
    }
    let (code_, _) = srv.terminate();
    assert_eq!(code_, Some(0));
}

#[test]
fn every_error_path_is_a_json_4xx() {
    let dir = scratch();
    fit_pca(dir.path(), "model", "5");
    let srv = Server::start(
        dir.path(),
        &[
            "--dir",
            "model",
            "--model",
            "demo",
            "--max-body",
            "20000",
            "--max-rows",
            "5",
        ],
        &[],
    );
    let p = "/v1/models/demo/project";
    let row = vec![0.5; 80];
    let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
        (
            "wrong dimension",
            json!({"rows": [row.clone(), vec![1.0; 79]]}),
            400,
            "wrong_dimension",
            "rows[1] has 79 values",
        ),
        // JSON has no NaN: `null`, a string or an out-of-range number never become one.
        (
            "null for NaN",
            json!({"rows": [[null]]}),
            422,
            "invalid_body",
            "null",
        ),
        (
            "string for NaN",
            json!({"rows": [["NaN"]]}),
            422,
            "invalid_body",
            "string",
        ),
        (
            "empty rows",
            json!({"rows": []}),
            400,
            "empty_rows",
            "empty",
        ),
        (
            "too many rows",
            json!({"rows": vec![row.clone(); 6]}),
            413,
            "too_many_rows",
            "at most 5",
        ),
        (
            "unknown field",
            json!({"rows": [row.clone()], "x": 1}),
            422,
            "invalid_body",
            "unknown field",
        ),
    ];
    for (what, body, status, want, msg) in cases {
        let (s, v) = srv.post(p, &body);
        assert_eq!((s, code(&v)), (status, want), "{what}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(msg),
            "{what}: {v}"
        );
    }
    let raw = |body: &[u8], headers: &[(&str, &str)]| {
        let (s, b) = http(srv.port, "POST", p, headers, Some(body));
        (s, parse(&b))
    };
    let ct = [("Content-Type", "application/json")];
    // An overflowing literal would become infinity: serde refuses it while parsing.
    let (s, v) = raw(b"{\"rows\": [[1e999]]}", &ct);
    assert_eq!((s, code(&v)), (400, "malformed_json"), "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("out of range"),
        "{v}"
    );
    let (s, v) = raw(b"{\"rows\": [[1, 2", &ct);
    assert_eq!((s, code(&v)), (400, "malformed_json"), "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("line 1"),
        "{v}"
    );
    let (s, v) = raw(b"{\"rows\": [[1]]}", &[]);
    assert_eq!((s, code(&v)), (415, "unsupported_media_type"), "{v}");
    // 20 000 values are about 80 kB: four times the --max-body of 20 000 bytes.
    let huge = format!("{{\"rows\": [[{}]]}}", vec!["0.5"; 20000].join(","));
    let (s, v) = raw(huge.as_bytes(), &ct);
    assert_eq!((s, code(&v)), (413, "payload_too_large"), "{v}");

    let (s, v) = srv.post("/v1/models/nope/project", &json!({"rows": [row.clone()]}));
    assert_eq!((s, code(&v)), (404, "unknown_model"), "{v}");
    let (s, v) = srv.get("/v1/models/nope");
    assert_eq!((s, code(&v)), (404, "unknown_model"), "{v}");
    let (s, v) = srv.get("/v2/whatever");
    assert_eq!((s, code(&v)), (404, "no_route"), "{v}");
    let (s, v) = srv.get(p);
    assert_eq!((s, code(&v)), (405, "method_not_allowed"), "{v}");
    let (s, v) = srv.get("/v1/models/demo/recommend?user=1");
    assert_eq!((s, code(&v)), (400, "wrong_model_kind"), "{v}");
    let (s, v) = srv.get("/v1/models/demo/similar?item=1");
    assert_eq!((s, code(&v)), (400, "wrong_model_kind"), "{v}");
    let (s, v) = srv.post(
        "/v1/models/demo/reconstruct",
        &json!({"rows": [row.clone()], "coords": [[1, 2, 3, 4, 5]]}),
    );
    assert_eq!((s, code(&v)), (422, "invalid_body"), "{v}");
    let (s, v) = srv.post("/v1/models/demo/reconstruct", &json!({"coords": [[1, 2]]}));
    assert_eq!((s, code(&v)), (400, "wrong_dimension"), "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expects 5"),
        "{v}"
    );
    // The server still answers after all that.
    let (s, _) = srv.post(p, &json!({"rows": [row]}));
    assert_eq!(s, 200);
}

#[test]
fn svd_model_projects_on_v() {
    let dir = scratch();
    lowrank(
        dir.path(),
        ["svd", &td(DENSE_NPY), "--rank", "4", "--out", "svd", "-q"],
    )
    .ok();
    let srv = Server::start(dir.path(), &["--dir", "svd", "--model", "s"], &[]);
    let v = read_npy(&dir.path().join("svd/V.npy"));
    let vm = Mat::from_fn(v.nrows(), v.ncols(), |i, j| v.at(i, j));
    let rows = data_rows(10..14);
    let x = mat(&rows);
    // Reference: x·V and x·V·Vᵀ, computed here from V.npy. Same products as the server up to
    // summation order over 80 terms: 1e-12 relative.
    let xv = &x * &vm;
    let (s, got) = srv.post("/v1/models/s/project", &json!({ "rows": rows }));
    assert_eq!(s, 200, "{got}");
    assert_eq!(rows_of(&got["coords"])[0].len(), 4);
    assert_close("x·V", &rows_of(&got["coords"]).concat(), &flat(&xv), 1e-12);
    let xvvt = &xv * vm.transpose();
    let (s, got) = srv.post("/v1/models/s/reconstruct", &json!({ "rows": rows }));
    assert_eq!(s, 200, "{got}");
    assert_close(
        "x·V·Vᵀ",
        &rows_of(&got["rows"]).concat(),
        &flat(&xvvt),
        1e-12,
    );
    let (s, got) = srv.post("/v1/models/s/score", &json!({ "rows": rows }));
    assert_eq!(s, 200, "{got}");
    let resid: Vec<f64> = (0..x.nrows())
        .map(|i| {
            (0..x.ncols())
                .map(|j| (x[(i, j)] - xvvt[(i, j)]).powi(2))
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    // The residual is small against ‖x‖ (the data are nearly rank 4): compare absolutely,
    // at 1e-12·‖x‖ (cancellation in x − x·V·Vᵀ).
    let xnorm = flat(&x).iter().map(|a| a * a).sum::<f64>().sqrt();
    for (a, b) in f64s(&got["scores"]).iter().zip(&resid) {
        assert!((a - b).abs() <= 1e-12 * xnorm, "{a} vs {b}");
    }
    let (_, m) = srv.get("/v1/models/s");
    assert_eq!(m["kind"], "svd");
    assert_eq!(m["centered"], false);
}

// ---------------------------------------------------------------------------------------------
// Recommenders.
// ---------------------------------------------------------------------------------------------

fn cli_items(dir: &Path, args: &[&str]) -> Vec<(String, f64)> {
    let mut a = vec!["mf"];
    a.extend_from_slice(args);
    a.push("--json");
    let out = lowrank(dir, &a);
    out.ok();
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    api_items(&v)
}

fn api_items(v: &Value) -> Vec<(String, f64)> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {v}"))
        .iter()
        .map(|i| (i["item"].as_str().unwrap().to_string(), num(&i["score"])))
        .collect()
}

#[test]
fn recommender_routes_match_the_cli() {
    let dir = scratch();
    lowrank(dir.path(), ["mf", "fit", &td(RATINGS), "--out", "mf", "-q"]).ok();
    let srv = Server::start(dir.path(), &["--dir", "mf", "--model", "rec"], &[]);
    let users = std::fs::read_to_string(dir.path().join("mf/users.txt")).unwrap();
    let items = std::fs::read_to_string(dir.path().join("mf/items.txt")).unwrap();
    let user = users.lines().next().unwrap();
    let item = items.lines().next().unwrap();

    // The same library calls as `lowrank mf recommend/similar`; scores travel as shortest
    // round-trip decimals both ways, so they are equal exactly.
    let (s, v) = srv.get(&format!("/v1/models/rec/recommend?user={user}&n=7"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["known_user"], true);
    assert_eq!(
        api_items(&v),
        cli_items(dir.path(), &["recommend", "mf", "--user", user, "-n", "7"])
    );
    let (s, v) = srv.get(&format!("/v1/models/rec/similar?item={item}&n=5"));
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        api_items(&v),
        cli_items(dir.path(), &["similar", "mf", "--item", item, "-n", "5"])
    );
    // Unknown user: the documented fallback (most popular items), flagged.
    let (s, v) = srv.get("/v1/models/rec/recommend?user=no-such-user&n=3");
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["known_user"], false);
    assert_eq!(v["basis"], "popularity (unknown user)");
    assert_eq!(
        api_items(&v),
        cli_items(
            dir.path(),
            &["recommend", "mf", "--user", "no-such-user", "-n", "3"]
        )
    );
    let (s, v) = srv.get("/v1/models/rec/recommend?user=1&n=0");
    assert_eq!((s, code(&v)), (400, "invalid_parameter"), "{v}");
    let (s, v) = srv.get("/v1/models/rec/recommend?user=1&n=abc");
    assert_eq!((s, code(&v)), (400, "invalid_parameter"), "{v}");
    let (s, v) = srv.get("/v1/models/rec/recommend?n=3");
    assert_eq!((s, code(&v)), (400, "missing_parameter"), "{v}");
    let (s, v) = srv.get("/v1/models/rec/similar?item=no-such-item");
    assert_eq!((s, code(&v)), (404, "unknown_item"), "{v}");
    let (s, v) = srv.post("/v1/models/rec/project", &json!({"rows": [[1.0]]}));
    assert_eq!((s, code(&v)), (400, "wrong_model_kind"), "{v}");
    let (s, v) = srv.get("/v1/models");
    assert_eq!(s, 200);
    assert_eq!(v["models"][0]["kind"], "recommender");
    let (_, text) = http(srv.port, "GET", "/metrics", &[], None);
    assert!(
        text.contains("lowrank_model_metric{model=\"rec\",name=\"train_rmse\"}"),
        "{text}"
    );
}

#[test]
fn corrupted_model_is_never_served() {
    let dir = scratch();
    let d = dir.path();
    lowrank(d, ["mf", "fit", &td(RATINGS), "--out", "mf", "-q"]).ok();
    lowrank(
        d,
        [
            "mf",
            "fit",
            &td(RATINGS),
            "--seed",
            "7",
            "--out",
            "next",
            "-q",
        ],
    )
    .ok();
    // Flip one byte in the middle of the new version's item factors.
    let f = d.join("next/item_factors.npy");
    let mut bytes = std::fs::read(&f).unwrap();
    let mid = bytes.len() / 2 + 3;
    bytes[mid] ^= 0x40;
    std::fs::write(&f, bytes).unwrap();

    // At start-up: refused with the file named, exit 3.
    let out = lowrank(
        d,
        [
            "serve",
            "--dir",
            "next",
            "--model",
            "rec",
            "--addr",
            "127.0.0.1:0",
        ],
    );
    out.code(3).stderr_has(&["item_factors.npy", "checksum"]);

    // As a new version of a running service: the reload fails, the old version stays live.
    let srv = Server::start(
        d,
        &["--dir", "mf", "--model", "rec"],
        &[("LOWRANK_TOKEN", "tok")],
    );
    let (_, before) = srv.get("/v1/models/rec");
    std::fs::rename(d.join("mf"), d.join("old")).unwrap();
    std::fs::rename(d.join("next"), d.join("mf")).unwrap();
    let (s, b) = http(
        srv.port,
        "POST",
        "/v1/admin/reload",
        &[("Authorization", "Bearer tok")],
        None,
    );
    let v = parse(&b);
    assert_eq!((s, code(&v)), (500, "reload_failed"), "{v}");
    assert!(b.contains("item_factors.npy"), "{b}");
    let (_, after) = srv.get("/v1/models/rec");
    assert_eq!(after["version"], before["version"]);
    let (s, _) = srv.get("/v1/models/rec/recommend?user=1&n=2");
    assert_eq!(s, 200);
    let (_, text) = http(srv.port, "GET", "/metrics", &[], None);
    assert!(
        text.contains("lowrank_model_load_failures_total 1"),
        "{text}"
    );
    assert!(text.contains("lowrank_model_swaps_total 0"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Admin token, hot swap under load, graceful shutdown.
// ---------------------------------------------------------------------------------------------

#[test]
fn hot_swap_under_concurrent_requests_fails_none() {
    let dir = scratch();
    let d = dir.path();
    fit_pca(d, "model", "5");
    std::fs::write(d.join("token"), "s3cret\n").unwrap();
    let srv = Server::start(
        d,
        &["--dir", "model", "--model", "m", "--token-file", "token"],
        &[],
    );
    let port = srv.port;
    let (_, v0) = srv.get("/v1/models/m");
    let v0 = v0["version"].as_str().unwrap().to_string();

    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let body = json!({ "rows": data_rows(0..3) }).to_string();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (stop, failures, body) = (stop.clone(), failures.clone(), body.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let (s, b) = http(
                        port,
                        "POST",
                        "/v1/models/m/project",
                        &[("Content-Type", "application/json")],
                        Some(body.as_bytes()),
                    );
                    let v = parse(&b);
                    // Each answer must be whole and consistent: k = 5 before, 3 after.
                    let k = v["coords"][0].as_array().map_or(0, Vec::len);
                    let ver = v["version"].as_str().unwrap_or("").to_string();
                    if s != 200 || !(k == 5 || k == 3) {
                        failures.fetch_add(1, Ordering::SeqCst);
                        eprintln!("failed request: {s} {b}");
                    }
                    seen.push((ver, k));
                }
                seen
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    // Write the new version beside the old one, then swap directories (atomic renames).
    fit_pca(d, "model-new", "3");
    let (s, v) = http(port, "POST", "/v1/admin/reload", &[], None);
    assert_eq!((s, code(&parse(&v))), (401, "unauthorized"));
    let (s, v) = http(
        port,
        "POST",
        "/v1/admin/reload",
        &[("Authorization", "Bearer wrong")],
        None,
    );
    assert_eq!((s, code(&parse(&v))), (401, "unauthorized"));
    std::fs::rename(d.join("model"), d.join("model-old")).unwrap();
    std::fs::rename(d.join("model-new"), d.join("model")).unwrap();
    let (s, b) = http(
        port,
        "POST",
        "/v1/admin/reload",
        &[("Authorization", "Bearer s3cret")],
        None,
    );
    let r = parse(&b);
    assert_eq!(s, 200, "{b}");
    assert_eq!(r["changed"], true);
    assert_eq!(r["previous"], v0.as_str());
    let v1 = r["version"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.join().unwrap());
    }
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "failed requests during the swap"
    );
    let old = all.iter().filter(|(v, k)| *v == v0 && *k == 5).count();
    let new = all.iter().filter(|(v, k)| *v == v1 && *k == 3).count();
    assert_eq!(old + new, all.len(), "a response mixed versions");
    assert!(
        old > 0 && new > 0,
        "old {old}, new {new}: the swap happened under load"
    );
    let (_, m) = srv.get("/v1/models");
    let versions = m["models"][0]["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[1]["live"], true);
    // Reloading again with no change is a no-op.
    let (s, b) = http(
        port,
        "POST",
        "/v1/admin/reload",
        &[("Authorization", "Bearer s3cret")],
        None,
    );
    assert_eq!(s, 200);
    assert_eq!(parse(&b)["changed"], false);
    let (_, text) = http(port, "GET", "/metrics", &[], None);
    assert!(text.contains("lowrank_model_swaps_total 1"), "{text}");
    assert!(text.contains(&format!("version=\"{v1}\"")), "{text}");
}

#[test]
fn polling_picks_up_a_new_version() {
    let dir = scratch();
    let d = dir.path();
    fit_pca(d, "model", "5");
    let srv = Server::start(
        d,
        &["--dir", "model", "--model", "m", "--poll-ms", "100"],
        &[],
    );
    fit_pca(d, "model-new", "2");
    std::fs::rename(d.join("model"), d.join("model-old")).unwrap();
    std::fs::rename(d.join("model-new"), d.join("model")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, m) = srv.get("/v1/models/m");
        if m["components"] == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "the poller did not swap: {m}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_finishes_in_flight_requests_then_exits_0() {
    let dir = scratch();
    fit_pca(dir.path(), "model", "5");
    let srv = Server::start(dir.path(), &["--dir", "model", "--model", "m"], &[]);
    let body = json!({ "rows": data_rows(0..2) }).to_string();
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    // A request in flight: headers and half the body sent.
    let mut s = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST /v1/models/m/project HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(first).unwrap();
    s.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    sigterm(srv.child.id());
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(rest).unwrap();
    let (status, b) = read_response(&mut s);
    assert_eq!(status, 200, "in-flight request after SIGTERM: {b}");
    assert_eq!(rows_of(&parse(&b)["coords"]).len(), 2);
    let (code_, stderr) = srv.terminate_waiting();
    assert_eq!(code_, Some(0), "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
}

impl Server {
    /// Waits for an exit already requested.
    fn terminate_waiting(mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return (st.code(), self.stderr());
            }
            assert!(Instant::now() < deadline, "server did not stop");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Usage errors and the --help examples.
// ---------------------------------------------------------------------------------------------

#[test]
fn usage_and_input_errors_have_their_exit_codes() {
    let dir = scratch();
    let d = dir.path();
    lowrank(d, ["serve", "--model", "m"])
        .code(2)
        .stderr_has(&["--dir"]);
    lowrank(d, ["serve", "--dir", "nowhere", "--model", "m"])
        .code(3)
        .stderr_has(&["nowhere", "pca.json"]);
    fit_pca(d, "model", "3");
    lowrank(
        d,
        [
            "serve",
            "--dir",
            "model",
            "--model",
            "m",
            "--token-file",
            "missing",
        ],
    )
    .code(3)
    .stderr_has(&["--token-file missing"]);
    lowrank(d, ["serve", "--dir", "model", "--model", "a/b"])
        .code(2)
        .stderr_has(&["--model"]);
    // The token is never a flag value.
    lowrank(
        d,
        ["serve", "--dir", "model", "--model", "m", "--token", "x"],
    )
    .code(2);
    // A centred SVD cannot centre new rows: refused at start-up.
    lowrank(
        d,
        [
            "svd",
            &td(DENSE_NPY),
            "--rank",
            "3",
            "--center",
            "--out",
            "c",
            "-q",
        ],
    )
    .ok();
    lowrank(d, ["serve", "--dir", "c", "--model", "m"])
        .code(3)
        .stderr_has(&["--center"]);
}

#[test]
fn serve_help_examples_run_as_written() {
    let dir = scratch();
    let d = dir.path();
    let help = lowrank(d, ["serve", "--help"]);
    help.ok();
    let examples: Vec<String> = help
        .stdout
        .lines()
        .filter(|l| l.starts_with("  lowrank "))
        .map(str::to_string)
        .collect();
    assert_eq!(examples.len(), 5, "{examples:?}");
    std::os::unix::fs::symlink(testdata_root(), d.join("testdata")).unwrap();
    let mut servers = 0;
    for ex in &examples {
        let words: Vec<&str> = ex.split_whitespace().skip(1).collect();
        if words[0] != "serve" {
            lowrank(d, &words).ok();
            continue;
        }
        // A serve example runs until stopped: start it as written, query it, stop it.
        let words = &words[1..];
        let addr_at = words.iter().position(|w| *w == "--addr").unwrap();
        assert_eq!(words[addr_at + 1], "127.0.0.1:0");
        let args: Vec<&str> = words
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != addr_at && *i != addr_at + 1)
            .map(|(_, w)| *w)
            .collect();
        let srv = Server::start(d, &args, &[]);
        let (s, v) = srv.get("/v1/models/demo");
        assert_eq!((s, v["kind"].as_str()), (200, Some("pca")), "{ex}: {v}");
        let (c, stderr) = srv.terminate();
        assert_eq!(c, Some(0), "{ex}: {stderr}");
        servers += 1;
    }
    assert_eq!(servers, 2);
}

// ---------------------------------------------------------------------------------------------
// Store mode (issue 5): promote / rollback under load, corrupted blobs, anomaly models.
// ---------------------------------------------------------------------------------------------

fn store_ok(d: &Path, args: &[&str]) {
    let mut all = vec!["store", "--store", "st"];
    all.extend_from_slice(args);
    lowrank(d, &all).ok();
}

/// The live version `/v1/models/{name}` reports.
fn live_version(srv: &Server, name: &str) -> String {
    let (_, v) = srv.get(&format!("/v1/models/{name}"));
    v["version"].as_str().unwrap_or("").to_string()
}

fn wait_for_version(srv: &Server, name: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while live_version(srv, name) != want {
        assert!(
            Instant::now() < deadline,
            "the poller did not switch to version {want}; stderr:\n{}",
            srv.stderr()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The blob file that holds `file` of a run directory.
fn blob_of(d: &Path, run: &str, file: &str) -> PathBuf {
    let sha = lowrank_io::sha256_file(&d.join(run).join(file)).unwrap();
    d.join("st/blobs/sha256").join(&sha[..2]).join(&sha[2..])
}

fn flip_a_byte(path: &Path) {
    let mut b = std::fs::read(path).unwrap();
    let last = b.len() - 1;
    b[last] ^= 0x01;
    std::fs::write(path, b).unwrap();
}

/// A metric's value from the Prometheus text (the first sample whose line starts with
/// `series`).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// Largest principal angle (degrees) between the leading `k` axes (rows of components.npy) of
/// two PCA directories, from a dense SVD of C₁·C₂ᵀ: cos θᵢ are its singular values. Independent
/// of the server's QR-based `principal_angles`.
fn reference_max_angle(a: &Path, b: &Path, k: usize) -> f64 {
    let ca = read_npy(&a.join("components.npy"));
    let cb = read_npy(&b.join("components.npy"));
    let ma = Mat::<f64>::from_fn(k, ca.ncols(), |i, j| ca.at(i, j));
    let mb = Mat::<f64>::from_fn(k, cb.ncols(), |i, j| cb.at(i, j));
    let s = (&ma * mb.transpose()).singular_values().unwrap();
    let smallest = s.iter().copied().fold(f64::INFINITY, f64::min).min(1.0);
    smallest.acos().to_degrees()
}

/// Prints the measured figures of the promote/rollback run (visible with `--nocapture`) and,
/// when `SERVE_SWAP_SVG=path` is set, draws the latency of every request over time, by the
/// version that answered it (docs/img/serve_store_swap.svg).
fn swap_figures(timeline: &[(f64, f64, String)], [promoted, live2, rolled_back, live1]: [f64; 4]) {
    let mut ms: Vec<f64> = timeline.iter().map(|t| t.1 * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let q = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    eprintln!(
        "swap under load: {} requests, 0 failed; latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
         promote → live in {:.0} ms, rollback → live in {:.0} ms (poll 50 ms)",
        ms.len(),
        q(0.5),
        q(0.99),
        ms[ms.len() - 1],
        (live2 - promoted) * 1e3,
        (live1 - rolled_back) * 1e3
    );
    let Ok(path) = std::env::var("SERVE_SWAP_SVG") else {
        return;
    };
    let by = |v: &str| -> Vec<(f64, f64)> {
        timeline
            .iter()
            .filter(|t| t.2 == v)
            .map(|t| (t.0, (t.1 * 1e3).max(0.01)))
            .collect()
    };
    let svg = lowrank_plot::Chart::new(
        "lowrank serve --store: 4 clients through promote and rollback",
        "time (s)",
        "request latency (ms)",
    )
    .log_y()
    .points("answered by version 1", by("1"))
    .points("answered by version 2", by("2"))
    .vline(promoted, "store promote")
    .vline(rolled_back, "store rollback")
    .to_svg();
    std::fs::write(&path, svg).unwrap();
}

/// Issue 5: `lowrank store promote` and `rollback` (real processes) switch a `--store` server
/// while 4 client threads hammer `project`: no request fails, every answer is whole (version 1
/// has k = 5 axes, version 2 has k = 3), both versions are seen, and the rollback is seen too.
/// The drift gauge matches an independent principal-angle computation.
#[test]
fn store_promote_and_rollback_swap_under_load_fail_none() {
    let dir = scratch();
    let d = dir.path();
    fit_pca(d, "v1", "5");
    // A different subspace: standardised columns.
    lowrank(
        d,
        [
            "pca",
            &td(DENSE_NPY),
            "-k",
            "3",
            "--scale",
            "--out",
            "v2",
            "-q",
        ],
    )
    .ok();
    store_ok(d, &["put", "--model", "m", "v1"]);
    store_ok(d, &["promote", "--model", "m", "--latest"]);
    let srv = Server::start(
        d,
        &["--store", "st", "--model", "m", "--poll-ms", "50"],
        &[],
    );
    assert_eq!(live_version(&srv, "m"), "1");
    let port = srv.port;
    let t0 = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let body = json!({ "rows": data_rows(0..3) }).to_string();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (stop, failures, body) = (stop.clone(), failures.clone(), body.clone());
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut timeline = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let sent = t0.elapsed().as_secs_f64();
                    let (s, b) = http(
                        port,
                        "POST",
                        "/v1/models/m/project",
                        &[("Content-Type", "application/json")],
                        Some(body.as_bytes()),
                    );
                    let v = parse(&b);
                    let k = v["coords"][0].as_array().map_or(0, Vec::len);
                    let ver = v["version"].as_str().unwrap_or("").to_string();
                    let whole = matches!((ver.as_str(), k), ("1", 5) | ("2", 3));
                    if s != 200 || !whole || v["coords"].as_array().map_or(0, Vec::len) != 3 {
                        failures.fetch_add(1, Ordering::SeqCst);
                        eprintln!("failed request: {s} {b}");
                    }
                    timeline.push((sent, t0.elapsed().as_secs_f64() - sent, ver.clone()));
                    seen.push(ver);
                }
                (seen, timeline)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    store_ok(d, &["put", "--model", "m", "v2"]);
    store_ok(d, &["promote", "--model", "m", "--latest"]);
    let promoted = t0.elapsed().as_secs_f64();
    wait_for_version(&srv, "m", "2");
    let live2 = t0.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(300));
    store_ok(d, &["rollback", "--model", "m"]);
    let rolled_back = t0.elapsed().as_secs_f64();
    wait_for_version(&srv, "m", "1");
    let live1 = t0.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let mut per_thread = Vec::new();
    let mut timeline = Vec::new();
    for w in workers {
        let (seen, t) = w.join().unwrap();
        per_thread.push(seen);
        timeline.extend(t);
    }
    swap_figures(&timeline, [promoted, live2, rolled_back, live1]);
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "failed requests during promote/rollback"
    );
    let all: Vec<&String> = per_thread.iter().flatten().collect();
    let v1 = all.iter().filter(|v| v.as_str() == "1").count();
    let v2 = all.iter().filter(|v| v.as_str() == "2").count();
    assert!(
        v1 > 0 && v2 > 0,
        "v1 {v1}, v2 {v2}: both versions under load"
    );
    // Every thread's answers go 1 → 2 → 1 at most once each way (never back and forth: a
    // swap is atomic and requests after it see the new version).
    for seen in &per_thread {
        let mut changes: Vec<&str> = Vec::new();
        for v in seen {
            if changes.last() != Some(&v.as_str()) {
                changes.push(v);
            }
        }
        assert!(
            ["1", "1 2", "1 2 1", "2", "2 1"].contains(&changes.join(" ").as_str()),
            "a client saw versions {changes:?}"
        );
    }
    assert!(
        per_thread
            .iter()
            .any(|s| s.last().map(String::as_str) == Some("1") && s.iter().any(|v| v == "2")),
        "the rollback was observed under load"
    );
    // /v1/models: the store's versions, the live one marked; what this process served.
    let (_, m) = srv.get("/v1/models");
    let m = &m["models"][0];
    let versions = m["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2, "{m}");
    assert_eq!(versions[0]["version"], "1");
    assert_eq!(versions[0]["live"], true);
    assert_eq!(versions[0]["aliases"], json!(["production"]));
    assert_eq!(versions[1]["live"], false);
    let served: Vec<&str> = m["served"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(served, ["1", "2", "1"]);
    let (_, text) = http(port, "GET", "/metrics", &[], None);
    assert_eq!(
        sample(&text, "lowrank_model_swaps_total "),
        Some(2.0),
        "{text}"
    );
    assert_eq!(sample(&text, "lowrank_model_version{"), Some(1.0), "{text}");
    assert!(
        sample(&text, "lowrank_model_age_seconds{").is_some(),
        "{text}"
    );
    // Drift at the last swap (2 → 1): the leading 3 axes of each. The angle is tens of
    // degrees; an O(ε) error in a cosine moves it by O(ε)/sin θ rad, so 1e-6° is generous.
    let drift = sample(&text, "lowrank_model_drift_max_angle_degrees{").expect("drift gauge");
    let reference = reference_max_angle(&d.join("v1"), &d.join("v2"), 3);
    assert!(
        reference > 1.0,
        "the two versions must differ: {reference}°"
    );
    eprintln!("drift gauge {drift}°, reference {reference}°");
    assert!(
        (drift - reference).abs() < 1e-6,
        "drift {drift}° vs reference {reference}°"
    );
    let (c, stderr) = srv.terminate();
    assert_eq!(c, Some(0), "{stderr}");
    assert!(stderr.contains("now serving version 2 (was 1)"), "{stderr}");
}

/// Issue 5: a newly promoted version with a corrupted blob is never served: the old version
/// keeps answering, the failure is counted and logged, `/v1/models` still marks the old one
/// live; putting the run again repairs the blob and the next promotion is served.
#[test]
fn store_corrupted_blob_is_never_served() {
    let dir = scratch();
    let d = dir.path();
    fit_pca(d, "v1", "5");
    fit_pca(d, "v2", "2");
    store_ok(d, &["put", "--model", "m", "v1"]);
    store_ok(d, &["promote", "--model", "m", "--latest"]);
    // Polling is off so the corruption lands between the promotion and the load; the reload
    // is asked for explicitly, as the poller would.
    let srv = Server::start(d, &["--store", "st", "--model", "m", "--poll-ms", "0"], &[]);
    store_ok(d, &["put", "--model", "m", "v2"]);
    store_ok(d, &["promote", "--model", "m", "--latest"]);
    let blob = blob_of(d, "v2", "components.npy");
    flip_a_byte(&blob);
    let (s, b) = http(srv.port, "POST", "/v1/admin/reload", &[], None);
    let v = parse(&b);
    assert_eq!((s, code(&v)), (500, "reload_failed"), "{b}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("corrupt blob") && msg.contains("components.npy") && msg.contains("version 2"),
        "{msg}"
    );
    // The old version still serves.
    let (s, v) = srv.post("/v1/models/m/project", &json!({ "rows": data_rows(0..2) }));
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["version"], "1");
    assert_eq!(rows_of(&v["coords"])[0].len(), 5);
    let (_, m) = srv.get("/v1/models");
    let m = &m["models"][0];
    assert_eq!(m["version"], "1");
    let versions = m["versions"].as_array().unwrap();
    assert_eq!(versions[0]["live"], true, "{m}");
    assert_eq!(versions[1]["live"], false, "{m}");
    assert_eq!(versions[1]["aliases"], json!(["production"]), "{m}");
    let (_, text) = http(srv.port, "GET", "/metrics", &[], None);
    assert_eq!(
        sample(&text, "lowrank_model_load_failures_total "),
        Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "lowrank_model_swaps_total "), Some(0.0));
    assert_eq!(sample(&text, "lowrank_model_version{"), Some(1.0));
    assert!(
        srv.stderr().contains("not loaded, still serving 1"),
        "{}",
        srv.stderr()
    );
    // Putting the run again re-stores the damaged blob (the store repairs it); promoting the
    // new version makes it live.
    store_ok(d, &["put", "--model", "m", "v2"]);
    store_ok(d, &["promote", "--model", "m", "--latest"]);
    let (s, b) = http(srv.port, "POST", "/v1/admin/reload", &[], None);
    assert_eq!(s, 200, "{b}");
    assert_eq!(parse(&b)["version"], "3");
    let (s, v) = srv.post("/v1/models/m/project", &json!({ "rows": data_rows(0..2) }));
    assert_eq!((s, rows_of(&v["coords"])[0].len()), (200, 2), "{v}");
}

/// Issue 5: a promoted version that cannot be loaded stops the server at start-up with exit
/// code 3 and the store's message; so does an alias that is not set.
#[test]
fn store_start_up_refuses_an_unloadable_version() {
    let dir = scratch();
    let d = dir.path();
    fit_pca(d, "v1", "4");
    store_ok(d, &["put", "--model", "m", "v1"]);
    lowrank(d, ["serve", "--store", "st", "--model", "m"])
        .code(3)
        .stderr_has(&["alias \"production\" of model \"m\" is not set", "promote"]);
    store_ok(d, &["promote", "--model", "m", "--latest"]);
    flip_a_byte(&blob_of(d, "v1", "mean.npy"));
    lowrank(d, ["serve", "--store", "st", "--model", "m"])
        .code(3)
        .stderr_has(&["corrupt blob", "mean.npy", "version 1"]);
    lowrank(d, ["serve", "--store", "nowhere", "--model", "m"]).code(3);
    lowrank(d, ["serve", "--store", "st", "--dir", "v1", "--model", "m"]).code(2);
    lowrank(d, ["serve", "--dir", "v1", "--model", "m", "--alias", "x"])
        .code(2)
        .stderr_has(&["--alias"]);
}

/// `lowrank anomaly --out` directories are servable: `/score` equals scores.csv and `flagged`
/// equals its flagged column (the stored threshold); `/project` equals the coordinates on the
/// written axes. Served from the store, as a deployment would.
#[test]
fn anomaly_model_scores_and_flags_like_the_cli() {
    let dir = scratch();
    let d = dir.path();
    lowrank(
        d,
        [
            "anomaly",
            &td("anomaly/windows.csv"),
            "--train",
            &td("anomaly/normal.csv"),
            "--scale",
            "--out",
            "an",
            "-q",
        ],
    )
    .ok();
    store_ok(d, &["put", "--model", "det", "an"]);
    store_ok(d, &["promote", "--model", "det", "--latest"]);
    let srv = Server::start(d, &["--store", "st", "--model", "det"], &[]);
    let (s, m) = srv.get("/v1/models/det");
    assert_eq!((s, m["kind"].as_str()), (200, Some("anomaly")), "{m}");
    let report = read_json(&d.join("an/anomaly.json"));
    assert_eq!(num(&m["threshold"]), num(&report["threshold"]["value"]));
    // windows.csv: header line, then 600 rows of 12 values.
    let text = std::fs::read_to_string(testdata_root().join("anomaly/windows.csv")).unwrap();
    let rows: Vec<Vec<f64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|x| x.trim().parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 600);
    let csv = std::fs::read_to_string(d.join("an/scores.csv")).unwrap();
    let expected: Vec<(f64, bool)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[1].parse().unwrap(), f[3] == "1")
        })
        .collect();
    let mut flagged = 0;
    for chunk in 0..6 {
        let part = &rows[chunk * 100..(chunk + 1) * 100];
        let (s, v) = srv.post("/v1/models/det/score", &json!({ "rows": part }));
        assert_eq!(s, 200, "{v}");
        let scores = f64s(&v["scores"]);
        let flags: Vec<bool> = v["flagged"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b.as_bool().unwrap())
            .collect();
        for (i, (sc, fl)) in scores.iter().zip(&flags).enumerate() {
            let (want, want_flag) = expected[chunk * 100 + i];
            // scores.csv keeps 10 significant digits: 5e-10 relative, plus summation order.
            assert!(
                (sc - want).abs() <= 1e-9 * want,
                "row {}: {sc} vs {want}",
                chunk * 100 + i
            );
            assert_eq!(*fl, want_flag, "row {}", chunk * 100 + i);
            flagged += usize::from(*fl);
        }
    }
    assert_eq!(
        flagged as u64,
        report["counts"]["flagged"].as_u64().unwrap()
    );
    // project = ((x − mean)/scale)·Cᵀ from the written files (1e-12: same arithmetic).
    let c = read_npy(&d.join("an/components.npy"));
    let mean = vec_of(&d.join("an/mean.npy"));
    let scale = vec_of(&d.join("an/scale.npy"));
    let (s, v) = srv.post("/v1/models/det/project", &json!({ "rows": &rows[..5] }));
    assert_eq!(s, 200, "{v}");
    let coords = rows_of(&v["coords"]);
    for (i, r) in rows[..5].iter().enumerate() {
        for (a, got) in coords[i].iter().enumerate() {
            let want: f64 = (0..r.len())
                .map(|j| (r[j] - mean[j]) / scale[j] * c.at(a, j))
                .sum();
            assert!(
                (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
                "row {i} axis {a}"
            );
        }
    }
}
