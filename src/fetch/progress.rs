//! Download feedback: a progress bar per repository on a terminal, one line
//! per repository on stderr otherwise (CI logs), nothing when turned off.
//!
//! It only counts and displays bytes; it does not know where they come from.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How downloads are shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// Bars when stderr is a terminal, otherwise one line per repository.
    #[default]
    Auto,
    /// A bar per repository.
    Bar,
    /// One line per repository on stderr when it is done.
    Lines,
    /// Nothing.
    #[value(name = "never")]
    Off,
}

/// The display shared by all repositories of a run.
pub(crate) struct Progress {
    mode: ProgressMode,
    multi: Option<MultiProgress>,
}

impl Progress {
    /// Resolves `Auto` against stderr.
    pub(crate) fn new(mode: ProgressMode) -> Progress {
        let mode = match mode {
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Bar,
            ProgressMode::Auto => ProgressMode::Lines,
            m => m,
        };
        let multi = (mode == ProgressMode::Bar).then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Progress { mode, multi }
    }

    /// A counter for one repository.
    pub(crate) fn repo(&self, name: &str) -> RepoProgress {
        RepoProgress {
            name: name.to_owned(),
            mode: self.mode,
            multi: self.multi.clone(),
            bytes: AtomicU64::new(0),
            state: Mutex::new(State::default()),
        }
    }
}

#[derive(Default)]
struct State {
    started: Option<Instant>,
    bar: Option<ProgressBar>,
}

/// Bytes downloaded for one repository since its last [`RepoProgress::done`].
pub(crate) struct RepoProgress {
    name: String,
    mode: ProgressMode,
    multi: Option<MultiProgress>,
    bytes: AtomicU64,
    state: Mutex<State>,
}

impl RepoProgress {
    /// Records `n` bytes received.
    pub(crate) fn add(&self, n: u64) {
        let total = self.bytes.fetch_add(n, Ordering::Relaxed) + n;
        let Ok(mut state) = self.state.lock() else { return };
        if state.started.is_none() {
            state.started = Some(Instant::now());
        }
        if let Some(multi) = &self.multi {
            let bar = state.bar.get_or_insert_with(|| {
                let bar = multi.add(ProgressBar::new_spinner());
                if let Ok(style) =
                    ProgressStyle::with_template("{prefix:>16} {spinner} {bytes:>10} {bytes_per_sec:>12} {msg}")
                {
                    bar.set_style(style);
                }
                bar.set_prefix(self.name.clone());
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            });
            bar.set_position(total);
        }
    }

    /// Ends the display for what was downloaded so far (nothing if nothing was).
    pub(crate) fn done(&self) {
        let bytes = self.bytes.swap(0, Ordering::Relaxed);
        let Ok(mut state) = self.state.lock() else { return };
        let started = state.started.take();
        let bar = state.bar.take();
        let (Some(started), true) = (started, bytes > 0) else {
            return;
        };
        let secs = started.elapsed().as_secs_f64();
        match self.mode {
            ProgressMode::Bar => {
                if let Some(bar) = bar {
                    bar.finish_with_message(format!("{} in {secs:.2} s", human_bytes(bytes)));
                }
            }
            ProgressMode::Lines => {
                eprintln!("repo '{}': downloaded {} in {secs:.2} s", self.name, human_bytes(bytes));
            }
            ProgressMode::Off | ProgressMode::Auto => {}
        }
    }
}

/// `12.3 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
