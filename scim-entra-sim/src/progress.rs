//! Progress on stderr: an indicatif bar on a terminal, a plain line every
//! few seconds otherwise (CI logs, pipes).

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How often the plain form prints.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// Progress of one step of a phase.
#[derive(Debug)]
pub(crate) enum Progress {
    /// A terminal bar.
    Bar(ProgressBar),
    /// Plain lines.
    Plain {
        /// What is being done.
        label: String,
        /// How many items, when known.
        total: Option<u64>,
        /// Items done.
        done: AtomicU64,
        /// When the last line was printed.
        last: Mutex<Instant>,
    },
    /// Nothing (`--quiet`).
    Hidden,
}

impl Progress {
    /// Progress for `label` with `total` items (`None`: open-ended).
    pub(crate) fn new(label: &str, total: Option<u64>, quiet: bool) -> Self {
        if quiet {
            return Self::Hidden;
        }
        if std::io::stderr().is_terminal() {
            let bar = match total {
                Some(n) => {
                    let bar = ProgressBar::new(n);
                    if let Ok(style) = ProgressStyle::with_template(
                        "{prefix:>22} [{bar:40}] {pos}/{len} {elapsed} eta {eta}",
                    ) {
                        bar.set_style(style.progress_chars("=> "));
                    }
                    bar
                }
                None => {
                    let bar = ProgressBar::new_spinner();
                    if let Ok(style) = ProgressStyle::with_template(
                        "{prefix:>22} {spinner} {pos} requests {elapsed}",
                    ) {
                        bar.set_style(style);
                    }
                    bar.enable_steady_tick(Duration::from_millis(200));
                    bar
                }
            };
            bar.set_prefix(label.to_owned());
            Self::Bar(bar)
        } else {
            eprintln!(
                "{label}: started{}",
                total.map(|n| format!(", {n} to do")).unwrap_or_default()
            );
            Self::Plain {
                label: label.to_owned(),
                total,
                done: AtomicU64::new(0),
                last: Mutex::new(Instant::now()),
            }
        }
    }

    /// One more item done.
    pub(crate) fn inc(&self) {
        match self {
            Self::Bar(bar) => bar.inc(1),
            Self::Plain {
                label,
                total,
                done,
                last,
            } => {
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
                if last.elapsed() >= PLAIN_EVERY {
                    *last = Instant::now();
                    match total {
                        Some(t) => eprintln!("{label}: {n}/{t}"),
                        None => eprintln!("{label}: {n}"),
                    }
                }
            }
            Self::Hidden => {}
        }
    }

    /// The step is over.
    pub(crate) fn finish(&self) {
        match self {
            Self::Bar(bar) => bar.finish_and_clear(),
            Self::Plain { label, done, .. } => {
                eprintln!("{label}: done, {}", done.load(Ordering::Relaxed));
            }
            Self::Hidden => {}
        }
    }
}
