//! What the numbers were measured on: CPU, memory, kernel, the disk under
//! the data directory and its fsync latency.

use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;

/// The machine, as far as Linux tells; `unknown` where it does not.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Machine {
    /// `model name` of the first CPU.
    pub(crate) cpu: String,
    /// CPUs this process may use.
    pub(crate) cores: usize,
    /// `MemTotal`, in bytes.
    pub(crate) memory_bytes: Option<u64>,
    /// Kernel release.
    pub(crate) kernel: String,
    /// The distribution (`PRETTY_NAME`).
    pub(crate) os: String,
    /// The file system under the data directory: device, type, and what
    /// `/sys/block` says of the disk.
    pub(crate) disk: String,
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

impl Machine {
    /// Describes this machine; `dir` is where the databases live.
    pub(crate) fn describe(dir: &Path) -> Self {
        let cpu = read("/proc/cpuinfo")
            .and_then(|text| {
                text.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
        let memory_bytes = read("/proc/meminfo").and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: u64 = line
                .trim_start_matches("MemTotal:")
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()?;
            Some(kib * 1024)
        });
        let kernel = read("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|| std::env::consts::OS.to_owned());
        let os = read("/etc/os-release")
            .and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                    .map(|v| v.trim_matches('"').to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        Self {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            memory_bytes,
            kernel,
            os,
            disk: disk(dir),
        }
    }
}

/// The mount holding `dir` (the longest mount point that prefixes it) and,
/// for a block device, whether it rotates and its model.
fn disk(dir: &Path) -> String {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let Some(mounts) = read("/proc/self/mounts") else {
        return "unknown".to_owned();
    };
    let best = mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?, f.next()?, f.next()?))
        })
        .filter(|(_, point, _)| dir.starts_with(point))
        .max_by_key(|(_, point, _)| point.len());
    let Some((device, point, fs)) = best else {
        return "unknown".to_owned();
    };
    let mut text = format!("{device} ({fs}, mounted on {point})");
    if let Some(name) = device.strip_prefix("/dev/") {
        let name = name.rsplit('/').next().unwrap_or(name);
        // A partition's queue is its parent disk's.
        let sys = Path::new("/sys/class/block").join(name);
        let disk_dir = if sys.join("partition").exists() {
            sys.canonicalize()
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf))
        } else {
            Some(sys)
        };
        if let Some(d) = disk_dir {
            let rotational = std::fs::read_to_string(d.join("queue/rotational")).ok();
            match rotational.as_deref().map(str::trim) {
                Some("0") => text.push_str(", non-rotational"),
                Some("1") => text.push_str(", rotational"),
                _ => {}
            }
            if let Ok(model) = std::fs::read_to_string(d.join("device/model")) {
                let model = model.trim();
                if !model.is_empty() {
                    text.push_str(", ");
                    text.push_str(model);
                }
            }
        }
    }
    text
}

/// Latency of `write` + `fsync` of 4 KiB.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Fsync {
    /// Where it was measured.
    pub(crate) dir: String,
    /// Rounds.
    pub(crate) rounds: usize,
    /// Median, milliseconds.
    pub(crate) p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub(crate) p99_ms: f64,
    /// Slowest, milliseconds.
    pub(crate) max_ms: f64,
}

/// Writes 4 KiB at the start of a file in `dir` and fsyncs it, `rounds`
/// times; the file is removed afterwards.
pub(crate) fn fsync_latency(dir: &Path, rounds: usize) -> anyhow::Result<Fsync> {
    let path = dir.join("fsync-probe");
    let mut file = std::fs::File::create(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let block = [0x5a_u8; 4096];
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&block)?;
        file.sync_all()?;
        times.push(started.elapsed());
    }
    drop(file);
    let _ = std::fs::remove_file(&path);
    Ok(Fsync {
        dir: dir.display().to_string(),
        rounds,
        p50_ms: quantile_ms(&mut times, 0.5),
        p99_ms: quantile_ms(&mut times, 0.99),
        max_ms: quantile_ms(&mut times, 1.0),
    })
}

/// The `q` quantile (nearest rank) of `times` in milliseconds; 0 for none.
pub(crate) fn quantile_ms(times: &mut [Duration], q: f64) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    times.sort_unstable();
    let rank = ((q * times.len() as f64).ceil() as usize).clamp(1, times.len());
    times
        .get(rank - 1)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn quantiles_are_nearest_rank() {
        let mut t: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        assert!((quantile_ms(&mut t, 0.5) - 50.0).abs() < 1e-9);
        assert!((quantile_ms(&mut t, 0.99) - 99.0).abs() < 1e-9);
        assert!((quantile_ms(&mut t, 1.0) - 100.0).abs() < 1e-9);
        assert!((quantile_ms(&mut [Duration::from_millis(3)], 0.5) - 3.0).abs() < 1e-9);
        assert_eq!(quantile_ms(&mut [], 0.5), 0.0);
    }

    #[test]
    fn the_machine_and_fsync_are_measured() {
        let dir = std::env::temp_dir().join(format!("scim-fsync-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let m = Machine::describe(&dir);
        assert!(m.cores >= 1);
        assert!(!m.cpu.is_empty());
        let f = fsync_latency(&dir, 3).unwrap();
        assert_eq!(f.rounds, 3);
        assert!(f.p50_ms <= f.p99_ms && f.p99_ms <= f.max_ms);
        assert!(!dir.join("fsync-probe").exists());
        std::fs::remove_dir(&dir).unwrap();
    }
}
