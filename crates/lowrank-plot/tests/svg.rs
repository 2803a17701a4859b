//! Structure checks on the SVG text of charts, with a small XML checker.

use lowrank_plot::{bar_chart, Chart, Mark, Series};

/// One element: its name, attributes and character data (direct text children).
#[derive(Debug)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    /// `class` attributes of the enclosing elements.
    classes: Vec<String>,
}

const ELEMENTS: [&str; 9] = [
    "svg", "title", "rect", "line", "polyline", "path", "circle", "text", "g",
];
const NUMERIC: [&str; 13] = [
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "width",
    "height",
    "stroke-width",
];

fn check_entities(s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        let end = rest[i..].find(';').expect("unterminated entity") + i;
        let ent = &rest[i + 1..end];
        assert!(
            ["amp", "lt", "gt", "quot", "#39"].contains(&ent),
            "unknown entity &{ent}; in {s:?}"
        );
        rest = &rest[end + 1..];
    }
    assert!(!s.contains('<'));
}

fn parse_attrs(tag: &str) -> (String, Vec<(String, String)>) {
    let name_end = tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len());
    let name = tag[..name_end].to_string();
    let mut attrs = Vec::new();
    let mut rest = tag[name_end..].trim_start();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .unwrap_or_else(|| panic!("attribute without value in <{tag}>"));
        let key = rest[..eq].trim();
        assert!(
            !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'),
            "bad attribute name {key:?} in <{tag}>"
        );
        rest = &rest[eq + 1..];
        assert!(rest.starts_with('"'), "unquoted attribute {key} in <{tag}>");
        let close = rest[1..].find('"').expect("unterminated attribute") + 1;
        let value = &rest[1..close];
        check_entities(value);
        assert!(
            !attrs.iter().any(|(k, _): &(String, String)| k == key),
            "duplicate {key}"
        );
        attrs.push((key.to_string(), value.to_string()));
        rest = rest[close + 1..].trim_start();
    }
    (name, attrs)
}

/// Checks well-formedness of the subset of XML the crate writes and returns all elements.
fn check_svg(svg: &str) -> Vec<Element> {
    assert!(svg.starts_with("<svg"), "does not start with <svg");
    assert!(svg.ends_with("</svg>"), "does not end with </svg>");
    for bad in ["NaN", "nan", "inf", "Inf"] {
        assert!(!svg.contains(bad), "output contains {bad}");
    }
    let mut elements: Vec<Element> = Vec::new();
    // Open elements: index into `elements`.
    let mut stack: Vec<usize> = Vec::new();
    let mut rest = svg;
    let mut closed_root = false;
    while let Some(lt) = rest.find('<') {
        let between = &rest[..lt];
        check_entities(between);
        if let Some(&top) = stack.last() {
            elements[top].text.push_str(between);
        } else {
            assert!(
                between.trim().is_empty(),
                "text outside the root: {between:?}"
            );
        }
        assert!(!closed_root, "content after the root element");
        let gt = rest[lt..].find('>').expect("unterminated tag") + lt;
        let tag = &rest[lt + 1..gt];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().unwrap_or_else(|| panic!("stray </{name}>"));
            assert_eq!(elements[top].name, name.trim(), "mismatched closing tag");
            closed_root = stack.is_empty();
        } else {
            let self_closing = tag.ends_with('/');
            let (name, attrs) = parse_attrs(tag.trim_end_matches('/').trim_end());
            assert!(
                ELEMENTS.contains(&name.as_str()),
                "unexpected element <{name}>"
            );
            assert!(
                stack.is_empty() == elements.is_empty(),
                "more than one root element"
            );
            for (k, v) in &attrs {
                if NUMERIC.contains(&k.as_str()) && !v.ends_with('%') {
                    let x: f64 = v
                        .parse()
                        .unwrap_or_else(|_| panic!("{k}={v:?} is not a number"));
                    assert!(x.is_finite());
                }
                if k == "points" {
                    for pair in v.split(' ') {
                        let (a, b) = pair.split_once(',').expect("point without comma");
                        assert!(a.parse::<f64>().unwrap().is_finite());
                        assert!(b.parse::<f64>().unwrap().is_finite());
                    }
                }
            }
            let classes = stack
                .iter()
                .filter_map(|&i| attr(&elements[i], "class").map(str::to_string))
                .collect();
            elements.push(Element {
                name,
                attrs,
                text: String::new(),
                classes,
            });
            if !self_closing {
                stack.push(elements.len() - 1);
            } else if stack.is_empty() {
                closed_root = true;
            }
        }
        rest = &rest[gt + 1..];
    }
    assert!(rest.is_empty(), "trailing text {rest:?}");
    assert!(stack.is_empty(), "unclosed elements");
    let root = &elements[0];
    assert_eq!(root.name, "svg");
    assert_eq!(attr(root, "xmlns"), Some("http://www.w3.org/2000/svg"));
    assert_eq!(attr(root, "version"), Some("1.1"));
    assert!(attr(root, "viewBox").is_some());
    elements
}

fn attr<'a>(e: &'a Element, key: &str) -> Option<&'a str> {
    e.attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Texts of the `<text>` elements inside a group of the given class.
fn texts_in(elements: &[Element], class: &str) -> Vec<String> {
    elements
        .iter()
        .filter(|e| e.name == "text" && e.classes.iter().any(|c| c == class))
        .map(|e| e.text.clone())
        .collect()
}

fn count(elements: &[Element], name: &str, class: &str) -> usize {
    elements
        .iter()
        .filter(|e| e.name == name && e.classes.iter().any(|c| c == class))
        .count()
}

fn epochs(v: &[f64]) -> Vec<(f64, f64)> {
    v.iter()
        .enumerate()
        .map(|(i, &r)| ((i + 1) as f64, r))
        .collect()
}

#[test]
fn learning_curve_is_well_formed() {
    let train: Vec<f64> = (0..40)
        .map(|i| 0.85 + 0.3 * (-(i as f64) / 8.0).exp())
        .collect();
    let valid: Vec<f64> = (0..40)
        .map(|i| 0.9 + 0.3 * (-(i as f64) / 6.0).exp() + 0.002 * i as f64)
        .collect();
    let svg = Chart::new("Learning curve", "epoch", "RMSE")
        .line("train", epochs(&train))
        .line("validation", epochs(&valid))
        .vline(17.0, "best epoch 17")
        .to_svg();
    let el = check_svg(&svg);
    assert_eq!(texts_in(&el, "legend"), ["train", "validation"]);
    assert_eq!(texts_in(&el, "reference-labels"), ["best epoch 17"]);
    assert_eq!(count(&el, "polyline", "series"), 2);
    let x_ticks = texts_in(&el, "x-axis");
    assert!((4..=8).contains(&x_ticks.len()), "{x_ticks:?}");
    let y_ticks = texts_in(&el, "y-axis");
    assert!((4..=8).contains(&y_ticks.len()), "{y_ticks:?}");
    // Nice, evenly spaced values.
    let v: Vec<f64> = y_ticks.iter().map(|t| t.parse().unwrap()).collect();
    let step = v[1] - v[0];
    assert!(v.windows(2).all(|w| ((w[1] - w[0]) - step).abs() < 1e-9));
    let mantissa = step / 10f64.powf(step.log10().floor());
    assert!(
        [1.0, 2.0, 5.0].iter().any(|m| (m - mantissa).abs() < 1e-9),
        "step {step}"
    );
    // Title on top, axis labels present.
    assert!(el
        .iter()
        .any(|e| e.name == "title" && e.text == "Learning curve"));
    assert_eq!(texts_in(&el, "axis-labels"), ["epoch", "RMSE"]);
}

#[test]
fn single_series_has_no_legend() {
    let svg = Chart::new("t", "x", "y")
        .line("only", [(0.0, 1.0), (1.0, 2.0)])
        .to_svg();
    let el = check_svg(&svg);
    assert!(texts_in(&el, "legend").is_empty());
}

#[test]
fn non_finite_inputs_never_reach_the_output() {
    let pts = vec![
        (0.0, 1.0),
        (1.0, f64::NAN),
        (f64::INFINITY, 2.0),
        (2.0, f64::NEG_INFINITY),
        (3.0, 0.5),
        (f64::NAN, f64::NAN),
    ];
    for (log_x, log_y) in [(false, false), (true, false), (false, true), (true, true)] {
        let mut c = Chart::new("odd data", "x", "y")
            .line("a", pts.clone())
            .points("b", pts.clone())
            .line_and_points("c", pts.clone())
            .vline(f64::NAN, "v")
            .vline(f64::INFINITY, "w")
            .hline(f64::NEG_INFINITY, "h")
            .hline(0.75, "threshold");
        if log_x {
            c = c.log_x();
        }
        if log_y {
            c = c.log_y();
        }
        let el = check_svg(&c.to_svg());
        assert_eq!(texts_in(&el, "reference-labels"), ["threshold"]);
    }
    let bars = vec![
        ("a".to_string(), f64::NAN),
        ("b".to_string(), 2.0),
        ("c".to_string(), f64::INFINITY),
    ];
    check_svg(&bar_chart("bars", "x", "y", &bars, false));
    check_svg(&bar_chart("bars", "x", "y", &bars, true));
}

#[test]
fn log_axes_skip_non_positive_values() {
    let pts = vec![
        (-1.0, 1.0),
        (0.0, 2.0),
        (1.0, 0.0),
        (2.0, -3.0),
        (3.0, 1e-3),
        (4.0, 1e3),
    ];
    let svg = Chart::new("log", "x", "y")
        .log_x()
        .log_y()
        .line_and_points("s", pts)
        .to_svg();
    let el = check_svg(&svg);
    // Only (3, 1e-3) and (4, 1e3) remain.
    assert_eq!(count(&el, "circle", "series"), 2);
    let bars = vec![
        ("a".to_string(), 0.0),
        ("b".to_string(), -1.0),
        ("c".to_string(), 4.0),
    ];
    let el = check_svg(&bar_chart("bars", "x", "y", &bars, true));
    assert_eq!(count(&el, "rect", "bars"), 1);
}

#[test]
fn markup_in_texts_is_escaped() {
    let title = r#"a < b & c > "d" 'e'"#;
    let svg = Chart::new(title, "x <i>", "y & z")
        .line("<script>", [(0.0, 0.0), (1.0, 1.0)])
        .line("b&b", [(0.0, 1.0), (1.0, 0.0)])
        .vline(0.5, "<v>")
        .to_svg();
    let el = check_svg(&svg);
    assert!(svg.contains("a &lt; b &amp; c &gt; &quot;d&quot; &#39;e&#39;"));
    assert!(!svg.contains("<script>") && !svg.contains("<i>"));
    assert!(el
        .iter()
        .any(|e| e.name == "title" && e.text.starts_with("a &lt; b")));
    assert_eq!(texts_in(&el, "legend"), ["&lt;script&gt;", "b&amp;b"]);
    let bars = vec![("<1>".to_string(), 1.0), ("&2".to_string(), 2.0)];
    let svg = bar_chart("<bars>", "<x>", "<y>", &bars, false);
    check_svg(&svg);
    assert!(svg.contains("&lt;bars&gt;") && svg.contains("&lt;1&gt;") && svg.contains("&amp;2"));
}

#[test]
fn log_axis_ticks_are_powers_of_ten() {
    let sigma: Vec<(f64, f64)> = (0..60)
        .map(|i| ((i + 1) as f64, 10f64.powf(-(i as f64) * 8.0 / 59.0)))
        .collect();
    let svg = Chart::new("scree", "component", "σ")
        .log_y()
        .line_and_points("σ", sigma)
        .to_svg();
    let el = check_svg(&svg);
    let labels = texts_in(&el, "y-axis");
    assert!(labels.len() >= 4, "{labels:?}");
    for l in &labels {
        let v: f64 = l.parse().unwrap();
        let e = v.log10();
        assert!((e - e.round()).abs() < 1e-12, "{l} is not a power of ten");
    }
    assert!(labels.contains(&"1e-8".to_string()), "{labels:?}");
    // An L-curve, log-log over many decades.
    let pts: Vec<(f64, f64)> = (0..50)
        .map(|i| {
            (
                10f64.powf(i as f64 / 10.0 - 2.0),
                10f64.powf(1.0 - i as f64 / 7.0),
            )
        })
        .collect();
    let el = check_svg(
        &Chart::new("L", "residual", "norm")
            .log_x()
            .log_y()
            .line("L", pts)
            .to_svg(),
    );
    for class in ["x-axis", "y-axis"] {
        for l in texts_in(&el, class) {
            let e = l.parse::<f64>().unwrap().log10();
            assert!((e - e.round()).abs() < 1e-12, "{class}: {l}");
        }
    }
}

#[test]
fn empty_charts_say_no_data() {
    let cases = [
        Chart::new("empty", "x", "y").to_svg(),
        Chart::new("", "", "").to_svg(),
        Chart::new("all skipped", "x", "y")
            .line("a", [(f64::NAN, 1.0), (1.0, f64::INFINITY)])
            .to_svg(),
        Chart::new("log", "x", "y")
            .log_y()
            .points("a", [(1.0, 0.0), (2.0, -1.0)])
            .to_svg(),
        Chart::new("refs only", "x", "y")
            .vline(1.0, "v")
            .hline(2.0, "h")
            .to_svg(),
        Chart::new("empty series", "x", "y")
            .line("a", [])
            .line("b", [])
            .to_svg(),
        bar_chart("no bars", "x", "y", &[], false),
        bar_chart("no positive bars", "x", "y", &[("a".into(), 0.0)], true),
    ];
    for svg in &cases {
        let el = check_svg(svg);
        assert!(
            el.iter().any(|e| e.name == "text" && e.text == "no data"),
            "{svg}"
        );
    }
}

#[test]
fn degenerate_ranges_are_padded() {
    let cases = [
        Chart::new("one point", "x", "y")
            .line("a", [(3.0, 0.91)])
            .to_svg(),
        Chart::new("flat", "x", "y")
            .line("a", [(1.0, 2.0), (2.0, 2.0), (3.0, 2.0)])
            .to_svg(),
        Chart::new("zero", "x", "y")
            .points("a", [(0.0, 0.0)])
            .to_svg(),
        Chart::new("log one", "x", "y")
            .log_x()
            .log_y()
            .points("a", [(5.0, 1e-7)])
            .to_svg(),
        Chart::new("huge", "x", "y")
            .line("a", [(-f64::MAX, f64::MAX), (f64::MAX, -f64::MAX)])
            .to_svg(),
        Chart::new("tiny", "x", "y")
            .line("a", [(0.0, 5e-324), (1e-310, 1e-300)])
            .to_svg(),
        Chart::new("tiny log", "x", "y")
            .log_y()
            .line("a", [(0.0, 5e-324), (1.0, 1e300)])
            .to_svg(),
        bar_chart(
            "zeros",
            "x",
            "y",
            &[("a".into(), 0.0), ("b".into(), 0.0)],
            false,
        ),
        bar_chart("one", "x", "y", &[("a".into(), 1e-9)], true),
    ];
    for svg in &cases {
        let el = check_svg(svg);
        assert!(!texts_in(&el, "y-axis").is_empty(), "{svg}");
        // Distinct tick labels: the range is not collapsed.
        let labels = texts_in(&el, "y-axis");
        let mut dedup = labels.clone();
        dedup.dedup();
        assert_eq!(labels, dedup, "{svg}");
    }
    // A single-point line is drawn as a marker.
    let el = check_svg(&cases[0]);
    assert_eq!(count(&el, "circle", "series"), 1);
}

#[test]
fn long_series_are_thinned() {
    let n = 100_000;
    let scores: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let x = i as f64;
            (
                x,
                (x * 0.001).sin() + 0.3 * ((x * 12.9898).sin() * 43758.5453).fract(),
            )
        })
        .collect();
    let svg = Chart::new("scores", "row", "score")
        .line("score", scores.clone())
        .hline(0.9, "threshold 0.9")
        .to_svg();
    let el = check_svg(&svg);
    let line = el.iter().find(|e| e.name == "polyline").unwrap();
    let points = attr(line, "points").unwrap().split(' ').count();
    assert!(points <= 4000, "{points} points");
    assert!(svg.len() < 100_000, "{} bytes", svg.len());
    // A scatter of 100k points is reduced too, and drawn as one path of dots.
    let svg = Chart::new("scatter", "x", "y")
        .series(Series::new("s", scores, Mark::Points))
        .to_svg();
    check_svg(&svg);
    assert!(svg.len() < 1_000_000, "{} bytes", svg.len());
}

#[test]
fn scree_bar_chart_with_hundreds_of_bars() {
    let bars: Vec<(String, f64)> = (0..300)
        .map(|i| ((i + 1).to_string(), 10f64.powf(-(i as f64) / 30.0)))
        .collect();
    for log in [false, true] {
        let el = check_svg(&bar_chart("scree", "component", "σ", &bars, log));
        assert_eq!(count(&el, "rect", "bars"), 300);
        let labels = texts_in(&el, "x-axis");
        assert!((3..=30).contains(&labels.len()), "{labels:?}");
    }
}

#[test]
fn many_series_get_distinct_styles() {
    let mut c = Chart::new("many", "x", "y");
    for k in 0..10 {
        c = c.line(format!("s{k}"), (0..5).map(|i| (i as f64, (i * k) as f64)));
    }
    let svg = c.to_svg();
    let el = check_svg(&svg);
    assert_eq!(texts_in(&el, "legend").len(), 10);
    let styles: Vec<(String, Option<String>)> = el
        .iter()
        .filter(|e| e.name == "polyline")
        .map(|e| {
            (
                attr(e, "stroke").unwrap().to_string(),
                attr(e, "stroke-dasharray").map(str::to_string),
            )
        })
        .collect();
    let mut unique = styles.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10);
}
