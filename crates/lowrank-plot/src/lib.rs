//! # lowrank-plot
//!
//! Small, dependency-free charts written as standalone SVG 1.1 text, for the pictures the
//! `lowrank` CLI writes next to its numbers: learning curves (train and validation RMSE per
//! epoch with a marker at the best epoch), scree plots ([`bar_chart`], or a [`Chart`] with a
//! log y axis), L-curves (log-log), score-over-index plots with a threshold line, and 2-D
//! scatter plots.
//!
//! Every picture has a white background, light grid lines at "nice" tick values (1, 2 or
//! 5 × 10^k, 4 to 8 per linear axis; powers of ten on wide log axes), axis labels, the title on
//! top and, with more than one series, a legend placed in the corner that covers the least
//! data. Colours come from the colour-blind-safe Okabe–Ito palette.
//!
//! Rendering never fails and never panics on odd data: non-finite points (and non-positive
//! values on a log axis) are skipped, a single point or equal values get a padded range, an
//! empty chart says "no data", and no `NaN` or `inf` can appear in the output. Long line
//! series are thinned to at most four points per pixel column (the first, lowest, highest and
//! last), so a 100 000-point score plot stays a small file.
//!
//! ```
//! use lowrank_plot::{bar_chart, Chart};
//!
//! // A scree plot on a log axis.
//! let sigma = [3.2, 1.1, 0.4, 1e-3, 2e-9];
//! let bars: Vec<(String, f64)> =
//!     sigma.iter().enumerate().map(|(i, &s)| ((i + 1).to_string(), s)).collect();
//! let svg = bar_chart("Singular values", "component", "σ", &bars, true);
//! assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
//! ```
#![forbid(unsafe_code)]

mod render;
mod svg;
mod thin;
mod ticks;

/// How values map to positions along an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scale {
    /// Evenly spaced values.
    #[default]
    Linear,
    /// Evenly spaced powers of ten; non-positive values are skipped.
    Log10,
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// A line through the points in their given order.
    Line,
    /// A dot at each point (a scatter plot).
    Points,
    /// A line with a dot at each point (dots are left out above 1000 points).
    LineAndPoints,
}

/// One named set of `(x, y)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Name shown in the legend (the legend appears when a chart has more than one series).
    pub name: String,
    /// The points, in drawing order; non-finite ones are skipped.
    pub points: Vec<(f64, f64)>,
    /// How the points are drawn.
    pub mark: Mark,
}

impl Series {
    /// A series from any iterator of points.
    pub fn new(
        name: impl Into<String>,
        points: impl IntoIterator<Item = (f64, f64)>,
        mark: Mark,
    ) -> Self {
        Series {
            name: name.into(),
            points: points.into_iter().collect(),
            mark,
        }
    }
}

/// An x-y chart: any number of series plus labelled reference lines, rendered by
/// [`Chart::to_svg`].
///
/// A learning curve with the best epoch marked:
///
/// ```
/// use lowrank_plot::Chart;
///
/// let train = [1.10, 0.97, 0.91, 0.88, 0.86];
/// let valid = [1.15, 1.02, 0.99, 1.00, 1.01];
/// let epochs = |v: &[f64]| -> Vec<(f64, f64)> {
///     v.iter().enumerate().map(|(i, &r)| ((i + 1) as f64, r)).collect()
/// };
/// let svg = Chart::new("Training <ALS> & co", "epoch", "RMSE")
///     .line("train", epochs(&train))
///     .line("validation", epochs(&valid))
///     .vline(3.0, "best epoch 3")
///     .to_svg();
/// assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
/// assert!(svg.contains("Training &lt;ALS&gt; &amp; co"));
/// assert!(svg.contains("validation") && svg.contains("best epoch 3"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Title above the plot (empty: none).
    pub title: String,
    /// Label under the x axis (empty: none).
    pub x_label: String,
    /// Label left of the y axis (empty: none).
    pub y_label: String,
    /// Scale of the x axis.
    pub x_scale: Scale,
    /// Scale of the y axis.
    pub y_scale: Scale,
    /// The series, drawn in order with the palette's colours in order.
    pub series: Vec<Series>,
    /// Vertical reference lines at an x value, with a label (e.g. "best epoch 23").
    pub vlines: Vec<(f64, String)>,
    /// Horizontal reference lines at a y value, with a label (e.g. a threshold).
    pub hlines: Vec<(f64, String)>,
    /// Picture width in pixels (at least 160 is used).
    pub width: u32,
    /// Picture height in pixels (at least 120 is used).
    pub height: u32,
}

impl Chart {
    /// Default picture width in pixels.
    pub const DEFAULT_WIDTH: u32 = 720;
    /// Default picture height in pixels.
    pub const DEFAULT_HEIGHT: u32 = 440;

    /// An empty chart with linear axes, 720 × 440 pixels.
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Chart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            series: Vec::new(),
            vlines: Vec::new(),
            hlines: Vec::new(),
            width: Self::DEFAULT_WIDTH,
            height: Self::DEFAULT_HEIGHT,
        }
    }

    /// Adds a series.
    pub fn series(mut self, s: Series) -> Self {
        self.series.push(s);
        self
    }

    /// Adds a [`Mark::Line`] series.
    pub fn line(
        self,
        name: impl Into<String>,
        points: impl IntoIterator<Item = (f64, f64)>,
    ) -> Self {
        self.series(Series::new(name, points, Mark::Line))
    }

    /// Adds a [`Mark::Points`] (scatter) series.
    pub fn points(
        self,
        name: impl Into<String>,
        points: impl IntoIterator<Item = (f64, f64)>,
    ) -> Self {
        self.series(Series::new(name, points, Mark::Points))
    }

    /// Adds a [`Mark::LineAndPoints`] series.
    pub fn line_and_points(
        self,
        name: impl Into<String>,
        points: impl IntoIterator<Item = (f64, f64)>,
    ) -> Self {
        self.series(Series::new(name, points, Mark::LineAndPoints))
    }

    /// Uses a log10 x axis.
    pub fn log_x(mut self) -> Self {
        self.x_scale = Scale::Log10;
        self
    }

    /// Uses a log10 y axis.
    pub fn log_y(mut self) -> Self {
        self.y_scale = Scale::Log10;
        self
    }

    /// Adds a dashed vertical reference line at `x` with a label at its top.
    pub fn vline(mut self, x: f64, label: impl Into<String>) -> Self {
        self.vlines.push((x, label.into()));
        self
    }

    /// Adds a dashed horizontal reference line at `y` with a label at its right end.
    pub fn hline(mut self, y: f64, label: impl Into<String>) -> Self {
        self.hlines.push((y, label.into()));
        self
    }

    /// Sets the picture size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.width = width;
        self.height = height;
        self
    }

    /// The chart as a standalone SVG 1.1 document: starts with `<svg`, ends with `</svg>`.
    /// The axis ranges cover all drawn points and reference lines.
    pub fn to_svg(&self) -> String {
        render::render_chart(self)
    }
}

/// A bar chart with one bar per `(label, value)`, 720 × 440 pixels, for scree plots of up to a
/// few hundred components. Bars start at zero (at the bottom of the axis with `log_y`);
/// non-finite values (and, with `log_y`, non-positive ones) leave their slot empty. Category
/// labels are shown for every bar, or every 2nd, 5th, 10th, ... bar when they would overlap.
pub fn bar_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    bars: &[(String, f64)],
    log_y: bool,
) -> String {
    render::render_bars(title, x_label, y_label, bars, log_y)
}
