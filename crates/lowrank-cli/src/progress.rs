//! The progress bar: an [`Observer`] that draws with indicatif on stderr.
//!
//! Quiet when `--quiet` is given or stderr is not a terminal; otherwise it appears only once
//! work has run for most of a second, so quick jobs print nothing extra.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lowrank_core::{Observer, Progress};
use std::io::IsTerminal;
use std::ops::ControlFlow;
use std::time::Duration;

const SHOW_AFTER: Duration = Duration::from_millis(800);

/// Draws progress for one command.
pub(crate) struct Bar {
    bar: Option<ProgressBar>,
    phase: String,
}

impl Bar {
    pub(crate) fn new(quiet: bool) -> Self {
        let enabled = !quiet && std::io::stderr().is_terminal();
        let bar = enabled.then(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
            b.set_style(spinner_style());
            // Reveal the bar after a short delay from a helper thread, so that long steps that
            // report nothing (reading a large file) still show a live spinner.
            let delayed = b.clone();
            std::thread::spawn(move || {
                std::thread::sleep(SHOW_AFTER);
                if !delayed.is_finished() {
                    delayed.set_draw_target(ProgressDrawTarget::stderr());
                    delayed.enable_steady_tick(Duration::from_millis(120));
                }
            });
            b
        });
        Self {
            bar,
            phase: String::new(),
        }
    }

    /// A step without a count (reading a file, writing outputs): a spinner and the elapsed time.
    pub(crate) fn phase(&mut self, message: &str) {
        if let Some(b) = &self.bar {
            b.set_style(spinner_style());
            b.set_message(message.to_string());
            self.phase.clear();
        }
    }

    /// A counted step (epochs, fits): a bar with a message; ends when the counter is dropped.
    pub(crate) fn counter(&mut self, phase: &str, total: u64) -> Counter<'_> {
        if let Some(b) = &self.bar {
            b.set_style(bar_style());
            b.set_message(phase.to_string());
            b.set_length(total);
            b.set_position(0);
            self.phase = phase.to_string();
        }
        Counter { bar: self }
    }

    pub(crate) fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl Observer for Bar {
    fn progress(&mut self, p: &Progress<'_>) -> ControlFlow<()> {
        if let Some(b) = &self.bar {
            if self.phase != p.phase {
                self.phase = p.phase.to_string();
                b.set_style(bar_style());
                b.set_message(self.phase.clone());
            }
            b.set_length(p.total);
            b.set_position(p.done);
        }
        ControlFlow::Continue(())
    }
}

/// Progress of a counted step; see [`Bar::counter`].
pub(crate) struct Counter<'a> {
    bar: &'a mut Bar,
}

impl Counter<'_> {
    pub(crate) fn set(&mut self, done: u64, message: &str) {
        if let Some(b) = &self.bar.bar {
            b.set_position(done);
            b.set_message(message.to_string());
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.finish();
    }
}

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template")
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {msg:24} [{bar:30}] {pos}/{len} {elapsed}")
        .expect("valid template")
        .progress_chars("=> ")
}
