//! Writes example charts as SVG files, for looking at them:
//! `cargo run -p lowrank-plot --example gallery [-- DIR]` (default `/tmp/plot-examples`).

use std::path::PathBuf;

use lowrank_plot::{bar_chart, Chart};

fn main() -> std::io::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/plot-examples".into()),
    );
    std::fs::create_dir_all(&dir)?;

    // Learning curve: train keeps improving, validation turns up after its best epoch.
    let epochs = 60;
    let train: Vec<(f64, f64)> = (1..=epochs)
        .map(|e| (f64::from(e), 0.78 + 0.35 * (-f64::from(e) / 9.0).exp()))
        .collect();
    let valid: Vec<(f64, f64)> = (1..=epochs)
        .map(|e| {
            let e = f64::from(e);
            (
                e,
                0.905 + 0.32 * (-e / 7.0).exp() + 0.0004 * (e - 23.0).max(0.0).powf(1.3),
            )
        })
        .collect();
    let best = valid
        .iter()
        .copied()
        .fold((0.0, f64::INFINITY), |b, p| if p.1 < b.1 { p } else { b });
    let chart = Chart::new(
        "ALS training on ratings.csv (rank 32, λ = 0.05)",
        "epoch",
        "RMSE",
    )
    .line("train", train)
    .line("validation", valid)
    .vline(
        best.0,
        format!("best epoch {} (RMSE {:.4})", best.0, best.1),
    );
    std::fs::write(dir.join("learning-curve.svg"), chart.to_svg())?;

    // Scree plot: singular values over 8 decades, log axis.
    let bars: Vec<(String, f64)> = (0..120)
        .map(|i| {
            let i = f64::from(i);
            (
                (i + 1.0).to_string(),
                3.0 * 10f64.powf(-i / 15.0) + 1e-9 * (1.0 + (i * 0.7).sin().abs()),
            )
        })
        .collect();
    std::fs::write(
        dir.join("scree-log.svg"),
        bar_chart(
            "Singular values of A (120 of 2000)",
            "component",
            "σᵢ",
            &bars,
            true,
        ),
    )?;

    // L-curve, log-log.
    let l: Vec<(f64, f64)> = (0..40)
        .map(|i| {
            let lam = 10f64.powf(-6.0 + f64::from(i) * 0.2);
            (
                1e-3 + lam.sqrt() * 0.5 + lam * 2.0,
                1.0 / (lam + 1e-4).sqrt(),
            )
        })
        .collect();
    let chart = Chart::new("L-curve", "residual norm ‖Ax − b‖", "solution norm ‖x‖")
        .log_x()
        .log_y()
        .line_and_points("λ from 1e-6 to 1e2", l);
    std::fs::write(dir.join("l-curve.svg"), chart.to_svg())?;

    // 100k scores with a threshold.
    let scores: Vec<(f64, f64)> = (0..100_000)
        .map(|i| {
            let x = f64::from(i);
            let noise = ((x * 12.9898).sin() * 43758.5453).fract().abs();
            (x, 0.2 + 0.1 * (x / 9000.0).sin() + 0.5 * noise.powi(6))
        })
        .collect();
    let chart = Chart::new("Anomaly scores", "row", "score")
        .line("score", scores)
        .hline(0.6, "threshold 0.6");
    std::fs::write(dir.join("scores.svg"), chart.to_svg())?;

    // 2-D scatter of two clusters.
    let cluster = |cx: f64, cy: f64, seed: f64| -> Vec<(f64, f64)> {
        (0..400)
            .map(|i| {
                let t = f64::from(i) + seed;
                let r = ((t * 78.233).sin() * 43758.5453).fract().abs().sqrt();
                let a = ((t * 12.9898).sin() * 23421.631).fract() * std::f64::consts::TAU;
                (cx + r * a.cos(), cy + 0.6 * r * a.sin())
            })
            .collect()
    };
    let chart = Chart::new("Row embedding (first two components)", "u₁σ₁", "u₂σ₂")
        .points("cluster A", cluster(-1.0, 0.5, 0.0))
        .points("cluster B", cluster(1.2, -0.4, 1000.0));
    std::fs::write(dir.join("scatter.svg"), chart.to_svg())?;

    println!("wrote 5 charts to {}", dir.display());
    Ok(())
}
