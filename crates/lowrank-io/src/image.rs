//! PNG and JPEG images as matrices, for `lowrank denoise`.
//!
//! # Conventions
//! - **Channels**: a grey image gives one matrix, a colour image three (red, green, blue), each
//!   `height × width` (row = pixel row, top first).
//! - **Values** are in `[0, 255]` whatever the bit depth, so figures such as PSNR use the usual
//!   8-bit peak of 255. 16-bit PNGs are read and scaled by `1/257` (65535 → 255); the values
//!   then keep their fractional part, and a note says so.
//! - **Alpha** is dropped, with a note: denoising works on the colour channels, and the output
//!   is an opaque image.
//! - **Writing** ([`write_png`]) rounds to the nearest integer and clamps to `[0, 255]` (NaN
//!   becomes 0); the file is 8-bit grey or RGB and written atomically.
//!
//! The format is taken from the file's content (its magic bytes), not from its name. Errors
//! name the file and say what is wrong: unreadable, cut short, corrupt, or not PNG/JPEG.
//!
//! ```
//! use faer::Mat;
//! use lowrank_io::image::{read_image, write_png, Color};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("ramp.png");
//! let grey = Mat::<f64>::from_fn(4, 6, |i, j| (40 * i + 10 * j) as f64 + 0.4);
//! write_png(&path, &[grey.as_ref()]).unwrap();
//! let back = read_image(&path).unwrap();
//! assert_eq!((back.height, back.width, back.color), (4, 6, Color::Grey));
//! assert_eq!(back.channels[0][(3, 5)], 170.0); // 40·3 + 10·5 + 0.4, rounded
//! ```

use std::io::Write;
use std::path::Path;

use faer::{Mat, MatRef};
use image::{ColorType, ImageError, ImageFormat, ImageReader};

use crate::IoError;

/// Grey or colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    /// One channel.
    Grey,
    /// Three channels: red, green, blue.
    Rgb,
}

impl Color {
    /// Channel names in order (`grey`, or `red`, `green`, `blue`).
    pub fn channel_names(self) -> &'static [&'static str] {
        match self {
            Color::Grey => &["grey"],
            Color::Rgb => &["red", "green", "blue"],
        }
    }

    /// `grey` or `rgb`.
    pub fn name(self) -> &'static str {
        match self {
            Color::Grey => "grey",
            Color::Rgb => "rgb",
        }
    }
}

/// An image read as matrices (see the module docs for the conventions).
#[derive(Debug, Clone)]
pub struct Image {
    /// Pixels per row.
    pub width: usize,
    /// Rows of pixels.
    pub height: usize,
    /// Grey or colour.
    pub color: Color,
    /// One `height × width` matrix per channel, values in `[0, 255]`.
    pub channels: Vec<Mat<f64>>,
    /// `png` or `jpeg`, from the file's content.
    pub format: &'static str,
    /// Bits per sample in the file (8 or 16).
    pub bit_depth: u8,
    /// What was changed on reading (alpha dropped, 16-bit scaled).
    pub notes: Vec<String>,
    /// Size of the file.
    pub bytes_read: u64,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
}

/// Is this a path the image reader handles, by its extension (`.png`, `.jpg`, `.jpeg`, any
/// case)?
pub fn is_image_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
        .unwrap_or(false)
}

fn decode_error(path: &Path, format: Option<ImageFormat>, e: ImageError) -> IoError {
    let what = match format {
        Some(ImageFormat::Png) => "PNG",
        Some(ImageFormat::Jpeg) => "JPEG",
        _ => "image",
    };
    match e {
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            IoError::format(
                path,
                format!("the {what} data is cut short (truncated file?): {io}"),
            )
        }
        ImageError::IoError(io) => IoError::io(path, io),
        ImageError::Decoding(d) => {
            IoError::format(path, format!("not a valid {what} (corrupt data): {d}"))
        }
        ImageError::Limits(l) => IoError::unsupported(path, format!("the image is too large: {l}")),
        ImageError::Unsupported(u) => IoError::unsupported(
            path,
            format!("{u}; lowrank reads PNG and JPEG images (8- or 16-bit, grey or RGB)"),
        ),
        other => IoError::format(path, other.to_string()),
    }
}

/// Reads a PNG or JPEG file into channels of `f64` values in `[0, 255]`.
///
/// # Errors
/// [`IoError::Io`] when the file cannot be opened; [`IoError::Format`] when its content is not
/// PNG or JPEG, is corrupt or is cut short; [`IoError::Unsupported`] for pixel layouts other
/// than grey/RGB (with or without alpha) or images above the decoder's memory limits.
pub fn read_image(path: &Path) -> Result<Image, IoError> {
    let bytes_read = std::fs::metadata(path)
        .map_err(|e| IoError::io(path, e))?
        .len();
    // The format comes from the signature alone: the decoder library would fall back to the
    // file name, and call a text file named `x.png` a PNG with a bad signature.
    let (head, _) = crate::read_prefix(path, 8)?;
    let (format, format_name) = if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        (ImageFormat::Png, "png")
    } else if head.starts_with(&[0xff, 0xd8, 0xff]) {
        (ImageFormat::Jpeg, "jpeg")
    } else {
        let guessed = image::guess_format(&head).ok();
        return Err(match guessed {
            Some(other) => IoError::unsupported(
                path,
                format!(
                    "the content is a {other:?} image; lowrank reads PNG and JPEG images \
                     (convert it first)"
                ),
            ),
            None if head.is_empty() => IoError::format(path, "the file is empty, not an image"),
            None => IoError::format(
                path,
                "not a PNG or JPEG image: the content starts with neither signature (corrupt, \
                 or another kind of file)",
            ),
        });
    };
    let mut reader = ImageReader::open(path).map_err(|e| IoError::io(path, e))?;
    reader.set_format(format);
    let format = Some(format);
    let img = reader.decode().map_err(|e| decode_error(path, format, e))?;
    let mut notes = Vec::new();
    let source = img.color();
    let (color, bit_depth, has_alpha) = match source {
        ColorType::L8 => (Color::Grey, 8, false),
        ColorType::La8 => (Color::Grey, 8, true),
        ColorType::Rgb8 => (Color::Rgb, 8, false),
        ColorType::Rgba8 => (Color::Rgb, 8, true),
        ColorType::L16 => (Color::Grey, 16, false),
        ColorType::La16 => (Color::Grey, 16, true),
        ColorType::Rgb16 => (Color::Rgb, 16, false),
        ColorType::Rgba16 => (Color::Rgb, 16, true),
        other => {
            return Err(IoError::unsupported(
                path,
                format!("pixel layout {other:?}; lowrank reads grey or RGB, 8- or 16-bit"),
            ))
        }
    };
    if has_alpha {
        notes.push(format!(
            "{}: the alpha channel was dropped (only the {} channels are denoised; the output is \
             opaque)",
            path.display(),
            color.name()
        ));
    }
    if bit_depth == 16 {
        notes.push(format!(
            "{}: 16-bit samples were scaled to 0..255 (divided by 257); the output PNG is 8-bit",
            path.display()
        ));
    }
    let (w, h) = (img.width() as usize, img.height() as usize);
    let nc = color.channel_names().len();
    let channels: Vec<Mat<f64>> = match (bit_depth, color) {
        (8, Color::Grey) => split(&img.to_luma8().into_raw(), w, h, 1, 1.0),
        (8, Color::Rgb) => split(&img.to_rgb8().into_raw(), w, h, 3, 1.0),
        (_, Color::Grey) => split(&img.to_luma16().into_raw(), w, h, 1, 1.0 / 257.0),
        (_, Color::Rgb) => split(&img.to_rgb16().into_raw(), w, h, 3, 1.0 / 257.0),
    };
    debug_assert_eq!(channels.len(), nc);
    drop(img);
    Ok(Image {
        width: w,
        height: h,
        color,
        channels,
        format: format_name,
        bit_depth,
        notes,
        bytes_read,
        sha256: crate::sha256_file(path)?,
    })
}

/// Interleaved samples (row-major, `nc` per pixel) into `nc` matrices.
fn split<T: Copy + Into<f64>>(
    raw: &[T],
    w: usize,
    h: usize,
    nc: usize,
    scale: f64,
) -> Vec<Mat<f64>> {
    (0..nc)
        .map(|c| Mat::<f64>::from_fn(h, w, |i, j| raw[(i * w + j) * nc + c].into() * scale))
        .collect()
}

/// The 8-bit sample a value is stored as: rounded to nearest, clamped to `[0, 255]`, NaN → 0.
pub fn to_u8(v: f64) -> u8 {
    if v.is_nan() {
        0
    } else {
        v.round().clamp(0.0, 255.0) as u8
    }
}

/// The values [`write_png`] stores for a channel, as `f64` (so figures can be computed on the
/// pixels actually written).
pub fn quantize(channel: MatRef<'_, f64>) -> Mat<f64> {
    Mat::<f64>::from_fn(channel.nrows(), channel.ncols(), |i, j| {
        to_u8(channel[(i, j)]) as f64
    })
}

/// Writes 1 (grey) or 3 (RGB) channels of equal shape as an 8-bit PNG, atomically; values are
/// rounded and clamped to `[0, 255]`.
///
/// # Errors
/// [`IoError::Serialize`] for a wrong number of channels, channels of different shapes, or an
/// empty image; [`IoError::Io`] when the file cannot be written.
pub fn write_png(path: &Path, channels: &[MatRef<'_, f64>]) -> Result<(), IoError> {
    let bad = |message: String| IoError::Serialize {
        path: path.to_path_buf(),
        message,
    };
    let color = match channels.len() {
        1 => image::ExtendedColorType::L8,
        3 => image::ExtendedColorType::Rgb8,
        n => return Err(bad(format!("a PNG needs 1 or 3 channels, got {n}"))),
    };
    let (h, w) = channels[0].shape();
    if channels.iter().any(|c| c.shape() != (h, w)) {
        return Err(bad("the channels have different shapes".into()));
    }
    if h == 0 || w == 0 || h > u32::MAX as usize || w > u32::MAX as usize {
        return Err(bad(format!("cannot write a {h}x{w} image")));
    }
    let nc = channels.len();
    let mut buf = vec![0u8; h * w * nc];
    for (c, ch) in channels.iter().enumerate() {
        for i in 0..h {
            for j in 0..w {
                buf[(i * w + j) * nc + c] = to_u8(ch[(i, j)]);
            }
        }
    }
    crate::write_atomic_with(path, |out: &mut dyn Write| {
        use image::ImageEncoder;
        image::codecs::png::PngEncoder::new(out)
            .write_image(&buf, w as u32, h as u32, color)
            .map_err(|e| match e {
                ImageError::IoError(io) => io,
                other => std::io::Error::other(other.to_string()),
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgb_round_trip_keeps_every_pixel() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("rgb.png");
        let chans: Vec<Mat<f64>> = (0..3)
            .map(|c| Mat::<f64>::from_fn(7, 5, |i, j| ((i * 31 + j * 17 + c * 80) % 256) as f64))
            .collect();
        let refs: Vec<MatRef<'_, f64>> = chans.iter().map(|m| m.as_ref()).collect();
        write_png(&p, &refs).unwrap();
        let a = read_image(&p).unwrap();
        assert_eq!(
            (a.color, a.width, a.height, a.bit_depth),
            (Color::Rgb, 5, 7, 8)
        );
        assert_eq!(a.format, "png");
        for (c, (got, want)) in a.channels.iter().zip(&chans).enumerate() {
            assert_eq!(got, want, "channel {c}");
        }
        // Read → write → read gives the same pixels.
        let p2 = dir.path().join("again.png");
        let refs: Vec<MatRef<'_, f64>> = a.channels.iter().map(|m| m.as_ref()).collect();
        write_png(&p2, &refs).unwrap();
        let b = read_image(&p2).unwrap();
        assert_eq!(a.channels, b.channels);
    }

    #[test]
    fn clamps_and_rounds() {
        assert_eq!(to_u8(-3.0), 0);
        assert_eq!(to_u8(255.6), 255);
        assert_eq!(to_u8(12.5), 13);
        assert_eq!(to_u8(12.49), 12);
        assert_eq!(to_u8(f64::NAN), 0);
    }

    #[test]
    fn alpha_is_dropped_and_16_bit_scaled_with_notes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("la16.png");
        let img = image::ImageBuffer::<image::LumaA<u16>, Vec<u16>>::from_fn(3, 2, |x, y| {
            image::LumaA([(x * 1000 + y * 20000) as u16 + 257, 65535])
        });
        img.save(&p).unwrap();
        let a = read_image(&p).unwrap();
        assert_eq!(
            (a.color, a.bit_depth, a.channels.len()),
            (Color::Grey, 16, 1)
        );
        assert_eq!(a.notes.len(), 2, "{:?}", a.notes);
        // (2·1000 + 1·20000 + 257)/257
        assert!((a.channels[0][(1, 2)] - 22257.0 / 257.0).abs() < 1e-12);
    }

    #[test]
    fn truncated_and_foreign_files_are_named_errors() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("g.png");
        let m = Mat::<f64>::from_fn(64, 64, |i, j| ((i * j) % 251) as f64);
        write_png(&good, &[m.as_ref()]).unwrap();
        let bytes = std::fs::read(&good).unwrap();
        let cut = dir.path().join("cut.png");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let e = read_image(&cut).unwrap_err().to_string();
        assert!(e.contains("cut.png") && e.contains("PNG"), "{e}");
        let text = dir.path().join("text.png");
        std::fs::write(&text, b"hello, not an image").unwrap();
        let e = read_image(&text).unwrap_err().to_string();
        assert!(
            e.contains("text.png") && e.contains("not a PNG or JPEG"),
            "{e}"
        );
        let missing = read_image(&dir.path().join("nope.png")).unwrap_err();
        assert!(matches!(missing, IoError::Io { .. }));
        assert!(is_image_path(Path::new("a/B.JPG")) && !is_image_path(Path::new("a.npy")));
    }
}
