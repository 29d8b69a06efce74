//! Smoke test of `scim-entra-sim report`: a tiny report (200 hosts, sizes
//! 100 and 200, 2 s of steady lookups, SQLite only) against the real
//! `scim-server-example` binary, written to a temp directory. It checks
//! that the markdown, the charts and the JSON are produced and that no
//! request failed; it asserts no timings.
//!
//! The server binary is the one `cargo test --workspace` builds next to
//! this package's binary (`SCIM_SERVER_BIN` names another); without it the
//! test is skipped with a message.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_scim-entra-sim");

fn server_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SCIM_SERVER_BIN") {
        return Some(PathBuf::from(path));
    }
    let sibling = PathBuf::from(BIN).parent()?.join(format!(
        "scim-server-example{}",
        std::env::consts::EXE_SUFFIX
    ));
    sibling.is_file().then_some(sibling)
}

#[test]
fn a_tiny_report_writes_the_markdown_and_the_charts() {
    let Some(server) = server_binary() else {
        eprintln!(
            "skipping the report smoke test: no scim-server-example binary next to {BIN} \
             (run `cargo build -p scim-server-example` or `cargo test --workspace`, or set SCIM_SERVER_BIN)"
        );
        return;
    };
    let out = std::env::temp_dir().join(format!("scim-report-smoke-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(BIN)
        .args(["report", "--server"])
        .arg(&server)
        .args([
            "--hosts",
            "200",
            "--sizes",
            "100,200",
            "--steady-duration",
            "2s",
            "--skip-postgres",
            "--member-changes",
            "20",
            "--samples",
            "5",
            "--fsync-rounds",
            "20",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "report failed ({}):\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );

    let md = std::fs::read_to_string(out.join("scale-report.md")).unwrap();
    for needle in [
        "# Scale report",
        "do not edit by hand",
        "cargo run --release -p scim-entra-sim -- report",
        "## Machine",
        "## Targets",
        "initial sync of 100,000 hosts (lookups and creates) < 60 s",
        "steady lookups ≥ 0.30 × bare hyper",
        "member change on the 50,000-member group < 2 ms p99",
        "peak RSS < 150 MB",
        "### SQLite",
        "### bare hyper",
        "| member-change |",
        "## Cost growth",
        "| request shape | returns | 100 | 200 |",
        "`userName co`",
        "cursor step",
        "scale-report/throughput.svg",
    ] {
        assert!(md.contains(needle), "no {needle:?} in:\n{md}");
    }
    assert!(
        !md.contains("PostgreSQL |"),
        "--skip-postgres ran PostgreSQL:\n{md}"
    );
    for svg in ["throughput.svg", "p99.svg", "growth-sqlite.svg"] {
        let text = std::fs::read_to_string(out.join("scale-report").join(svg)).unwrap();
        assert!(text.starts_with("<svg"), "{svg} is not an SVG");
        assert!(text.contains("SQLite"), "{svg} has no SQLite series");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("scale-report/report.json")).unwrap())
            .unwrap();
    assert_eq!(json["workload"]["hosts"], 200);
    assert_eq!(json["stores"][0]["store"], "SQLite");
    assert_eq!(json["stores"][0]["phases"].as_array().unwrap().len(), 4);
    assert_eq!(
        json["stores"][0]["growth"]["sizes"],
        serde_json::json!([100, 200])
    );
    assert_eq!(json["bare"]["phases"][0]["phase"], "steady");
    std::fs::remove_dir_all(&out).unwrap();
}
