//! Layout and drawing of charts into SVG text.

use std::fmt::Write as _;

use crate::svg::{esc, text_width, N};
use crate::thin::{thin_line, thin_scatter};
use crate::ticks::Axis;
use crate::{Chart, Mark, Scale};

/// Okabe–Ito colour-blind-safe palette, most legible on white first.
pub(crate) const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
];
/// Beyond eight series, colours repeat with these dash patterns.
const DASHES: [&str; 3] = ["", "7 3", "2 3"];

const FONT_FAMILY: &str = "Helvetica, Arial, sans-serif";
const TICK_SIZE: f64 = 12.0;
const LABEL_SIZE: f64 = 13.0;
const TITLE_SIZE: f64 = 16.0;
const TEXT: &str = "#222222";
const GRID: &str = "#e6e6e6";
const AXIS: &str = "#444444";
const REF: &str = "#555555";
/// Markers of a line-and-points series are drawn only up to this many points.
const MARKERS_MAX: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn new(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect {
            x0: x,
            y0: y,
            x1: x + w,
            y1: y + h,
        }
    }
    fn w(&self) -> f64 {
        self.x1 - self.x0
    }
    fn h(&self) -> f64 {
        self.y1 - self.y0
    }
    fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
    fn contains(&self, p: (f64, f64)) -> bool {
        p.0 >= self.x0 && p.0 <= self.x1 && p.1 >= self.y0 && p.1 <= self.y1
    }
    /// Whether segment `p`–`q` meets the rectangle (Liang–Barsky clipping).
    fn hit_by(&self, p: (f64, f64), q: (f64, f64)) -> bool {
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (pp, qq) in [
            (-dx, p.0 - self.x0),
            (dx, self.x1 - p.0),
            (-dy, p.1 - self.y0),
            (dy, self.y1 - p.1),
        ] {
            if pp == 0.0 {
                if qq < 0.0 {
                    return false;
                }
            } else {
                let t = qq / pp;
                if pp < 0.0 {
                    if t > t1 {
                        return false;
                    }
                    t0 = t0.max(t);
                } else {
                    if t < t0 {
                        return false;
                    }
                    t1 = t1.min(t);
                }
            }
        }
        true
    }
}

/// The texts around the plot area.
struct Texts<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
}

/// Plot area for a `w`×`h` picture whose widest y tick label is `y_tick_w` pixels wide.
fn layout(w: f64, h: f64, texts: &Texts<'_>, y_tick_w: f64, right: f64) -> Rect {
    let top = if texts.title.is_empty() { 16.0 } else { 44.0 };
    let bottom = if texts.x_label.is_empty() { 30.0 } else { 52.0 };
    let left = (y_tick_w + if texts.y_label.is_empty() { 18.0 } else { 40.0 }).max(40.0);
    let right = right.max(20.0);
    let x1 = (w - right).max(left + 20.0);
    let y1 = (h - bottom).max(top + 20.0);
    Rect {
        x0: left,
        y0: top,
        x1,
        y1,
    }
}

fn x_px(plot: &Rect, axis: &Axis, t: f64) -> f64 {
    plot.x0 + axis.frac_t(t) * plot.w()
}

fn y_px(plot: &Rect, axis: &Axis, t: f64) -> f64 {
    plot.y1 - axis.frac_t(t) * plot.h()
}

fn begin(w: f64, h: f64, title: &str) -> String {
    let mut s = String::with_capacity(32 * 1024);
    let (w, h) = (N(w), N(h));
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}" font-size="{TICK_SIZE}">"#
    );
    if !title.is_empty() {
        let _ = writeln!(s, "<title>{}</title>", esc(title));
    }
    let _ = writeln!(
        s,
        r##"<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>"##
    );
    s
}

fn finish(mut s: String) -> String {
    s.push_str("</svg>");
    s
}

fn text(s: &mut String, x: f64, y: f64, anchor: &str, content: &str) {
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="{anchor}">{}</text>"#,
        N(x),
        N(y),
        esc(content)
    );
}

/// Title, axis labels and the frame of the plot area.
fn decorations(s: &mut String, w: f64, plot: &Rect, texts: &Texts<'_>, y_tick_w: f64) {
    let _ = writeln!(
        s,
        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{AXIS}" stroke-width="1" shape-rendering="crispEdges"/>"#,
        N(plot.x0),
        N(plot.y0),
        N(plot.w()),
        N(plot.h())
    );
    if !texts.title.is_empty() {
        let _ = writeln!(
            s,
            r#"<text x="{}" y="28" text-anchor="middle" font-size="{TITLE_SIZE}" font-weight="bold" fill="{TEXT}">{}</text>"#,
            N(w / 2.0),
            esc(&fit(texts.title, w - 16.0, TITLE_SIZE))
        );
    }
    let _ = writeln!(
        s,
        r#"<g class="axis-labels" font-size="{LABEL_SIZE}" fill="{TEXT}">"#
    );
    if !texts.x_label.is_empty() {
        let label = fit(texts.x_label, plot.w() + 40.0, LABEL_SIZE);
        text(
            s,
            (plot.x0 + plot.x1) / 2.0,
            plot.y1 + 42.0,
            "middle",
            &label,
        );
    }
    if !texts.y_label.is_empty() {
        let x = plot.x0 - 8.0 - y_tick_w - 12.0;
        let y = (plot.y0 + plot.y1) / 2.0;
        let _ = writeln!(
            s,
            r#"<text transform="translate({},{}) rotate(-90)" text-anchor="middle">{}</text>"#,
            N(x),
            N(y),
            esc(&fit(texts.y_label, plot.h() + 30.0, LABEL_SIZE))
        );
    }
    s.push_str("</g>\n");
}

fn y_tick_width(axis: &Axis) -> f64 {
    axis.major
        .iter()
        .map(|t| text_width(&t.label, TICK_SIZE))
        .fold(0.0, f64::max)
}

/// Horizontal grid lines at the y ticks.
fn y_grid(s: &mut String, plot: &Rect, axis: &Axis) {
    for tick in &axis.major {
        let y = N(y_px(plot, axis, tick.t));
        let _ = writeln!(
            s,
            r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}"/>"#,
            N(plot.x0),
            N(plot.x1)
        );
    }
}

/// Vertical grid lines at the x ticks.
fn x_grid(s: &mut String, plot: &Rect, axis: &Axis) {
    for tick in &axis.major {
        let x = N(x_px(plot, axis, tick.t));
        let _ = writeln!(
            s,
            r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}"/>"#,
            N(plot.y0),
            N(plot.y1)
        );
    }
}

fn open_grid(s: &mut String) {
    let _ = writeln!(
        s,
        r#"<g class="grid" stroke="{GRID}" stroke-width="1" shape-rendering="crispEdges">"#
    );
}

/// Tick marks and labels of the y axis; labels that would overlap the previous one are left out.
fn y_ticks(s: &mut String, plot: &Rect, axis: &Axis) {
    let _ = writeln!(s, r#"<g class="y-axis" fill="{TEXT}" stroke="none">"#);
    let mut marks = String::new();
    for &t in &axis.minor {
        let y = N(y_px(plot, axis, t));
        let _ = write!(marks, "M{} {y}h3", N(plot.x0 - 3.0));
    }
    let mut last = f64::INFINITY;
    for tick in &axis.major {
        let y = y_px(plot, axis, tick.t);
        let _ = write!(marks, "M{} {}h5", N(plot.x0 - 5.0), N(y));
        if last - y >= TICK_SIZE + 2.0 {
            text(s, plot.x0 - 8.0, y + 4.0, "end", &tick.label);
            last = y;
        }
    }
    let _ = writeln!(
        s,
        r#"<path d="{marks}" fill="none" stroke="{AXIS}" stroke-width="1"/>"#
    );
    s.push_str("</g>\n");
}

/// Tick marks and labels of a numeric x axis; labels that would overlap are left out.
fn x_ticks(s: &mut String, plot: &Rect, axis: &Axis) {
    let _ = writeln!(s, r#"<g class="x-axis" fill="{TEXT}" stroke="none">"#);
    let mut marks = String::new();
    for &t in &axis.minor {
        let _ = write!(marks, "M{} {}v3", N(x_px(plot, axis, t)), N(plot.y1));
    }
    let mut last_right = f64::NEG_INFINITY;
    for tick in &axis.major {
        let x = x_px(plot, axis, tick.t);
        let _ = write!(marks, "M{} {}v5", N(x), N(plot.y1));
        let half = text_width(&tick.label, TICK_SIZE) / 2.0;
        if x - half >= last_right + 6.0 {
            text(s, x, plot.y1 + 18.0, "middle", &tick.label);
            last_right = x + half;
        }
    }
    let _ = writeln!(
        s,
        r#"<path d="{marks}" fill="none" stroke="{AXIS}" stroke-width="1"/>"#
    );
    s.push_str("</g>\n");
}

/// The box behind a label drawn by [`boxed_label`].
fn label_box(x: f64, baseline: f64, anchor: &str, label: &str) -> Rect {
    let tw = text_width(label, TICK_SIZE);
    let left = if anchor == "end" { x - tw } else { x };
    Rect::new(left - 3.0, baseline - 12.0, tw + 6.0, 16.0)
}

/// A label with a translucent white box behind it.
fn boxed_label(s: &mut String, x: f64, baseline: f64, anchor: &str, label: &str) -> Rect {
    let r = label_box(x, baseline, anchor, label);
    let _ = writeln!(
        s,
        r##"<rect x="{}" y="{}" width="{}" height="{}" fill="#ffffff" fill-opacity="0.85"/>"##,
        N(r.x0),
        N(r.y0),
        N(r.w()),
        N(r.h())
    );
    text(s, x, baseline, anchor, label);
    r
}

/// `s`, cut with an ellipsis to fit in `max_w` pixels at font size `size`.
fn fit(s: &str, max_w: f64, size: f64) -> String {
    if text_width(s, size) <= max_w {
        return s.to_string();
    }
    let keep = ((max_w / (size * 0.6)).floor() as usize).saturating_sub(1);
    let mut out: String = s.chars().take(keep).collect();
    out.push('…');
    out
}

/// A picture with a frame and a "no data" note: for empty charts and charts whose points were
/// all skipped.
fn no_data(w: f64, h: f64, texts: &Texts<'_>) -> String {
    let mut s = begin(w, h, texts.title);
    let plot = layout(w, h, texts, 0.0, 20.0);
    decorations(&mut s, w, &plot, texts, 0.0);
    let _ = writeln!(
        s,
        r##"<text class="no-data" x="{}" y="{}" text-anchor="middle" font-size="14" fill="#888888">no data</text>"##,
        N((plot.x0 + plot.x1) / 2.0),
        N((plot.y0 + plot.y1) / 2.0 + 5.0)
    );
    finish(s)
}

/// Where a series ends up on the page, for drawing and for keeping the legend off it.
struct Drawn {
    line: Vec<(f64, f64)>,
    markers: Vec<(f64, f64)>,
}

fn keep(scale: Scale, v: f64) -> bool {
    v.is_finite() && (scale == Scale::Linear || v > 0.0)
}

fn extent(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

pub(crate) fn render_chart(c: &Chart) -> String {
    let (w, h) = (f64::from(c.width.max(160)), f64::from(c.height.max(120)));
    let texts = Texts {
        title: &c.title,
        x_label: &c.x_label,
        y_label: &c.y_label,
    };
    let data: Vec<Vec<(f64, f64)>> = c
        .series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .copied()
                .filter(|&(x, y)| keep(c.x_scale, x) && keep(c.y_scale, y))
                .collect()
        })
        .collect();
    let vlines: Vec<&(f64, String)> = c.vlines.iter().filter(|l| keep(c.x_scale, l.0)).collect();
    let hlines: Vec<&(f64, String)> = c.hlines.iter().filter(|l| keep(c.y_scale, l.0)).collect();
    let all = || data.iter().flatten();
    let (Some(xr), Some(yr)) = (
        extent(all().map(|p| p.0).chain(vlines.iter().map(|l| l.0))),
        extent(all().map(|p| p.1).chain(hlines.iter().map(|l| l.0))),
    ) else {
        return no_data(w, h, &texts);
    };
    if data.iter().all(Vec::is_empty) {
        return no_data(w, h, &texts);
    }
    let xa = Axis::new(c.x_scale, xr.0, xr.1);
    let ya = Axis::new(c.y_scale, yr.0, yr.1);
    let y_tick_w = y_tick_width(&ya);
    let last_x_label = xa
        .major
        .last()
        .map_or(0.0, |t| text_width(&t.label, TICK_SIZE));
    let plot = layout(w, h, &texts, y_tick_w, last_x_label / 2.0 + 8.0);

    let mut s = begin(w, h, &c.title);
    open_grid(&mut s);
    x_grid(&mut s, &plot, &xa);
    y_grid(&mut s, &plot, &ya);
    s.push_str("</g>\n");
    decorations(&mut s, w, &plot, &texts, y_tick_w);
    x_ticks(&mut s, &plot, &xa);
    y_ticks(&mut s, &plot, &ya);

    // Reference lines under the data, their labels over it.
    let vx: Vec<f64> = vlines.iter().map(|l| x_px(&plot, &xa, xa.t(l.0))).collect();
    let hy: Vec<f64> = hlines.iter().map(|l| y_px(&plot, &ya, ya.t(l.0))).collect();
    if !vx.is_empty() || !hy.is_empty() {
        let _ = writeln!(
            s,
            r#"<g class="reference-lines" stroke="{REF}" stroke-width="1.2" stroke-dasharray="6 4">"#
        );
        for &x in &vx {
            let _ = writeln!(
                s,
                r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}"/>"#,
                N(plot.y0),
                N(plot.y1),
                x = N(x)
            );
        }
        for &y in &hy {
            let _ = writeln!(
                s,
                r#"<line x1="{}" y1="{y}" x2="{}" y2="{y}"/>"#,
                N(plot.x0),
                N(plot.x1),
                y = N(y)
            );
        }
        s.push_str("</g>\n");
    }

    let drawn: Vec<Drawn> = c
        .series
        .iter()
        .zip(&data)
        .map(|(series, pts)| {
            let px: Vec<(f64, f64)> = pts
                .iter()
                .map(|&(x, y)| (x_px(&plot, &xa, xa.t(x)), y_px(&plot, &ya, ya.t(y))))
                .collect();
            match series.mark {
                Mark::Line if px.len() == 1 => Drawn {
                    line: Vec::new(),
                    markers: px,
                },
                Mark::Line => Drawn {
                    line: thin_line(&px),
                    markers: Vec::new(),
                },
                Mark::Points => Drawn {
                    line: Vec::new(),
                    markers: thin_scatter(&px, 2.0),
                },
                Mark::LineAndPoints => {
                    let line = if px.len() > 1 {
                        thin_line(&px)
                    } else {
                        Vec::new()
                    };
                    let markers = if px.len() <= MARKERS_MAX {
                        px
                    } else {
                        Vec::new()
                    };
                    Drawn { line, markers }
                }
            }
        })
        .collect();

    for (i, (series, d)) in c.series.iter().zip(&drawn).enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let dash = DASHES[(i / PALETTE.len()) % DASHES.len()];
        let _ = writeln!(s, r#"<g class="series">"#);
        if d.line.len() > 1 {
            let mut pts = String::with_capacity(d.line.len() * 12);
            for (k, &(x, y)) in d.line.iter().enumerate() {
                if k > 0 {
                    pts.push(' ');
                }
                let _ = write!(pts, "{},{}", N(x), N(y));
            }
            let dash_attr = if dash.is_empty() {
                String::new()
            } else {
                format!(r#" stroke-dasharray="{dash}""#)
            };
            let _ = writeln!(
                s,
                r#"<polyline fill="none" stroke="{colour}" stroke-width="1.8" stroke-linejoin="round" stroke-linecap="round"{dash_attr} points="{pts}"/>"#
            );
        }
        markers(
            &mut s,
            &d.markers,
            colour,
            series.mark == Mark::LineAndPoints,
        );
        s.push_str("</g>\n");
    }

    // Reference labels: horizontal-line labels at the right (or left) end, above (or below) the
    // line; then vertical-line labels at the top, moved down a row while they overlap another.
    let mut obstacles = Vec::new();
    if !vx.is_empty() || !hy.is_empty() {
        let _ = writeln!(s, r##"<g class="reference-labels" fill="#333333">"##);
        for (&y, l) in hy.iter().zip(&hlines) {
            if l.1.is_empty() {
                continue;
            }
            let mut candidates = Vec::new();
            for (x, anchor) in [(plot.x1 - 6.0, "end"), (plot.x0 + 6.0, "start")] {
                if y - 18.0 >= plot.y0 {
                    candidates.push((x, y - 5.0, anchor));
                }
                if y + 18.0 <= plot.y1 || y - 18.0 < plot.y0 {
                    candidates.push((x, y + 15.0, anchor));
                }
            }
            obstacles.push(place_label(&mut s, &candidates, &obstacles, &l.1));
        }
        for (&x, l) in vx.iter().zip(&vlines) {
            if l.1.is_empty() {
                continue;
            }
            let anchor_x = if x + 6.0 + text_width(&l.1, TICK_SIZE) <= plot.x1 - 2.0 {
                (x + 5.0, "start")
            } else {
                (x - 5.0, "end")
            };
            // The first row down from the top where the label overlaps no other label.
            let rows = (0..6).map(|j| plot.y0 + 16.0 + 18.0 * f64::from(j));
            let candidates: Vec<(f64, f64, &str)> = rows
                .map(|baseline| (anchor_x.0, baseline, anchor_x.1))
                .collect();
            obstacles.push(place_label(&mut s, &candidates, &obstacles, &l.1));
        }
        s.push_str("</g>\n");
    }

    if c.series.len() > 1 {
        legend(&mut s, &plot, c, &drawn, &obstacles);
    }
    finish(s)
}

/// Draws a boxed label at the first candidate `(x, baseline, anchor)` that overlaps none of
/// `taken` (the first candidate if all do); returns its box.
fn place_label(
    s: &mut String,
    candidates: &[(f64, f64, &str)],
    taken: &[Rect],
    label: &str,
) -> Rect {
    let free = candidates
        .iter()
        .find(|&&(x, b, a)| {
            let r = label_box(x, b, a, label);
            !taken.iter().any(|t| t.overlaps(&r))
        })
        .or(candidates.first());
    match free {
        Some(&(x, baseline, anchor)) => boxed_label(s, x, baseline, anchor, label),
        None => Rect::new(0.0, 0.0, 0.0, 0.0),
    }
}

/// Circles for up to [`MARKERS_MAX`] points, else round dots of one path (much smaller).
fn markers(s: &mut String, pts: &[(f64, f64)], colour: &str, outlined: bool) {
    if pts.is_empty() {
        return;
    }
    if pts.len() <= MARKERS_MAX {
        let outline = if outlined {
            r##" stroke="#ffffff" stroke-width="0.8""##
        } else {
            ""
        };
        let _ = writeln!(s, r#"<g fill="{colour}"{outline}>"#);
        for &(x, y) in pts {
            let _ = writeln!(s, r#"<circle cx="{}" cy="{}" r="3"/>"#, N(x), N(y));
        }
        s.push_str("</g>\n");
    } else {
        let mut d = String::with_capacity(pts.len() * 14);
        for &(x, y) in pts {
            let _ = write!(d, "M{} {}h0", N(x), N(y));
        }
        let _ = writeln!(
            s,
            r#"<path fill="none" stroke="{colour}" stroke-opacity="0.7" stroke-width="4" stroke-linecap="round" d="{d}"/>"#
        );
    }
}

/// The legend, in the corner of the plot area where it covers the least data.
fn legend(s: &mut String, plot: &Rect, c: &Chart, drawn: &[Drawn], obstacles: &[Rect]) {
    const ROW: f64 = 18.0;
    const PAD: f64 = 8.0;
    const SAMPLE: f64 = 22.0;
    let name_w = c
        .series
        .iter()
        .map(|x| text_width(&x.name, TICK_SIZE))
        .fold(0.0, f64::max);
    let (lw, lh) = (
        PAD + SAMPLE + 6.0 + name_w + PAD,
        6.0 + ROW * c.series.len() as f64,
    );
    let corners = [
        (plot.x1 - 8.0 - lw, plot.y0 + 8.0),
        (plot.x0 + 8.0, plot.y0 + 8.0),
        (plot.x1 - 8.0 - lw, plot.y1 - 8.0 - lh),
        (plot.x0 + 8.0, plot.y1 - 8.0 - lh),
    ];
    let cost = |r: &Rect| {
        let hits: usize = drawn
            .iter()
            .map(|d| {
                d.line.windows(2).filter(|w| r.hit_by(w[0], w[1])).count()
                    + d.markers.iter().filter(|&&p| r.contains(p)).count()
            })
            .sum();
        hits + 1000 * obstacles.iter().filter(|o| o.overlaps(r)).count()
    };
    let mut best = (usize::MAX, corners[0]);
    for &(x, y) in &corners {
        let k = cost(&Rect::new(x - 3.0, y - 3.0, lw + 6.0, lh + 6.0));
        if k < best.0 {
            best = (k, (x, y));
        }
    }
    let (x, y) = best.1;
    let _ = writeln!(s, r#"<g class="legend">"#);
    let _ = writeln!(
        s,
        r##"<rect x="{}" y="{}" width="{}" height="{}" rx="3" fill="#ffffff" fill-opacity="0.9" stroke="#bbbbbb" stroke-width="1"/>"##,
        N(x),
        N(y),
        N(lw),
        N(lh)
    );
    for (i, series) in c.series.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let dash = DASHES[(i / PALETTE.len()) % DASHES.len()];
        let cy = y + 3.0 + ROW * (i as f64 + 0.5);
        let x0 = x + PAD;
        if series.mark != Mark::Points {
            let dash_attr = if dash.is_empty() {
                String::new()
            } else {
                format!(r#" stroke-dasharray="{dash}""#)
            };
            let _ = writeln!(
                s,
                r#"<line x1="{}" y1="{cy}" x2="{}" y2="{cy}" stroke="{colour}" stroke-width="2"{dash_attr}/>"#,
                N(x0),
                N(x0 + SAMPLE),
                cy = N(cy)
            );
        }
        if series.mark != Mark::Line {
            let _ = writeln!(
                s,
                r#"<circle cx="{}" cy="{}" r="3" fill="{colour}"/>"#,
                N(x0 + SAMPLE / 2.0),
                N(cy)
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" fill="{TEXT}">{}</text>"#,
            N(x0 + SAMPLE + 6.0),
            N(cy + 4.0),
            esc(&series.name)
        );
    }
    s.push_str("</g>\n");
}

/// Smallest of 1, 2, 5, 10, 20, 50, ... that is at least `need`.
fn nice_stride(need: f64) -> usize {
    let mut k = 1usize;
    let mut i = 0;
    while (k as f64) < need && k < usize::MAX / 10 {
        k = [1, 2, 5][i % 3] * 10usize.pow((i / 3) as u32);
        i += 1;
    }
    k
}

fn value_text(v: f64) -> String {
    if v == 0.0 || (1e-3..1e5).contains(&v.abs()) {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

pub(crate) fn render_bars(
    title: &str,
    x_label: &str,
    y_label: &str,
    bars: &[(String, f64)],
    log_y: bool,
) -> String {
    let (w, h) = (
        f64::from(crate::Chart::DEFAULT_WIDTH),
        f64::from(crate::Chart::DEFAULT_HEIGHT),
    );
    let texts = Texts {
        title,
        x_label,
        y_label,
    };
    let scale = if log_y { Scale::Log10 } else { Scale::Linear };
    let Some((lo, hi)) = extent(bars.iter().map(|b| b.1).filter(|&v| keep(scale, v))) else {
        return no_data(w, h, &texts);
    };
    let axis = if log_y {
        Axis::new(scale, lo, hi)
    } else {
        let (l, h) = (lo.min(0.0), hi.max(0.0));
        Axis::new(scale, l, if l == h { 1.0 } else { h })
    };
    let y_tick_w = y_tick_width(&axis);
    let plot = layout(w, h, &texts, y_tick_w, 20.0);
    let mut s = begin(w, h, title);
    open_grid(&mut s);
    y_grid(&mut s, &plot, &axis);
    s.push_str("</g>\n");

    let n = bars.len();
    let slot = plot.w() / n as f64;
    let gap = if slot >= 4.0 { slot * 0.2 } else { 0.0 };
    let base = y_px(&plot, &axis, if log_y { axis.lo } else { 0.0 });
    let _ = writeln!(s, r#"<g class="bars" fill="{}">"#, PALETTE[0]);
    for (i, (label, v)) in bars.iter().enumerate() {
        if !keep(scale, *v) {
            continue;
        }
        let top = y_px(&plot, &axis, axis.t(*v));
        let _ = writeln!(
            s,
            r#"<rect x="{}" y="{}" width="{}" height="{}"><title>{}: {}</title></rect>"#,
            N(plot.x0 + i as f64 * slot + gap / 2.0),
            N(top.min(base)),
            N(slot - gap),
            N((top - base).abs()),
            esc(label),
            value_text(*v)
        );
    }
    s.push_str("</g>\n");

    decorations(&mut s, w, &plot, &texts, y_tick_w);
    y_ticks(&mut s, &plot, &axis);
    // Category labels: every k-th bar (k = 1, 2, 5, 10, ...) so that labels do not overlap.
    let need = bars
        .iter()
        .map(|b| text_width(&b.0, TICK_SIZE))
        .fold(0.0, f64::max)
        + 8.0;
    let k = nice_stride(need / slot);
    let _ = writeln!(s, r#"<g class="x-axis" fill="{TEXT}" stroke="none">"#);
    let mut marks = String::new();
    for (i, (label, _)) in bars.iter().enumerate() {
        let labelled = (i + 1) % k == 0 || (i == 0 && (k == 1 || (k - 1) as f64 * slot >= need));
        if !labelled {
            continue;
        }
        let x = plot.x0 + (i as f64 + 0.5) * slot;
        let _ = write!(marks, "M{} {}v5", N(x), N(plot.y1));
        text(&mut s, x, plot.y1 + 18.0, "middle", label);
    }
    if !marks.is_empty() {
        let _ = writeln!(
            s,
            r#"<path d="{marks}" fill="none" stroke="{AXIS}" stroke-width="1"/>"#
        );
    }
    s.push_str("</g>\n");
    finish(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_rectangle_hits() {
        let r = Rect::new(10.0, 10.0, 10.0, 10.0);
        assert!(r.hit_by((0.0, 0.0), (30.0, 30.0)));
        assert!(r.hit_by((12.0, 12.0), (13.0, 13.0)));
        assert!(!r.hit_by((0.0, 0.0), (30.0, 0.0)));
        assert!(!r.hit_by((0.0, 30.0), (5.0, 0.0)));
        assert!(r.hit_by((15.0, 0.0), (15.0, 40.0)));
    }

    #[test]
    fn strides() {
        assert_eq!(nice_stride(0.3), 1);
        assert_eq!(nice_stride(1.0), 1);
        assert_eq!(nice_stride(1.5), 2);
        assert_eq!(nice_stride(3.0), 5);
        assert_eq!(nice_stride(13.0), 20);
    }
}
