//! The report's charts, SVG drawn with plotters: throughput and p99 per
//! phase and store, and the cost-growth medians per store.

use std::path::Path;

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::growth::Growth;
use super::{ScaleReport, StoreRun};

const PHASES: [&str; 4] = ["initial", "update", "steady", "member-change"];
/// A store keeps its colour in every chart.
fn color(store: &str) -> RGBColor {
    match store {
        "SQLite" => RGBColor(0x1f, 0x77, 0xb4),
        "PostgreSQL" => RGBColor(0xff, 0x7f, 0x0e),
        _ => RGBColor(0x7f, 0x7f, 0x7f),
    }
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("cannot draw a chart: {e}")
}

/// Draws every chart into `dir`; returns (title, path relative to the
/// markdown next to `dir`) for each.
pub(crate) fn draw(report: &ScaleReport, dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let folder = dir.file_name().map_or_else(
        || "scale-report".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let runs: Vec<&StoreRun> = report.stores.iter().chain(report.bare.iter()).collect();
    let mut charts = Vec::new();

    let title = "Throughput per phase (requests per second)".to_owned();
    bars(
        &dir.join("throughput.svg"),
        &title,
        "requests/s",
        &runs,
        |p| p.throughput_rps,
    )?;
    charts.push((title, format!("{folder}/throughput.svg")));

    let title = "p99 latency per phase (ms)".to_owned();
    bars(&dir.join("p99.svg"), &title, "p99 ms", &runs, |p| {
        p.latency.p99_ms
    })?;
    charts.push((title, format!("{folder}/p99.svg")));

    for run in &report.stores {
        if let Some(g) = &run.growth {
            let file = format!("growth-{}.svg", run.store.to_lowercase());
            let title = format!("Cost growth, {}: median ms by hosts (log–log)", run.store);
            growth(&dir.join(&file), &title, g)?;
            charts.push((title, format!("{folder}/{file}")));
        }
    }
    Ok(charts)
}

/// Grouped bars: one group per phase, one bar per store that ran it.
fn bars(
    path: &Path,
    title: &str,
    y_desc: &str,
    runs: &[&StoreRun],
    value: fn(&crate::stats::PhaseReport) -> f64,
) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (960, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let values: Vec<Vec<Option<f64>>> = runs
        .iter()
        .map(|run| {
            PHASES
                .iter()
                .map(|name| run.phases.iter().find(|p| p.phase == *name).map(value))
                .collect()
        })
        .collect();
    let max = values
        .iter()
        .flatten()
        .flatten()
        .fold(0.0_f64, |a, &b| a.max(b));
    let top = if max > 0.0 { max * 1.15 } else { 1.0 };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..PHASES.len() as f64, 0.0..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(y_desc)
        .y_label_formatter(&|v| {
            if top >= 100.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        })
        .draw()
        .map_err(err)?;
    let width = 0.8 / runs.len().max(1) as f64;
    for (s, (run, row)) in runs.iter().zip(&values).enumerate() {
        let color = color(run.store);
        let rects = row.iter().enumerate().filter_map(|(i, v)| {
            v.map(|v| {
                let x0 = i as f64 + 0.1 + s as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width * 0.9, v)], color.filled())
            })
        });
        chart
            .draw_series(rects)
            .map_err(err)?
            .label(run.store)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .draw()
        .map_err(err)?;
    label_phases(&root, &chart)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Phase names under the bar groups (plotters places numeric labels only
/// at round values).
fn label_phases(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    chart: &ChartContext<
        '_,
        SVGBackend<'_>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
) -> anyhow::Result<()> {
    let style =
        TextStyle::from(("sans-serif", 15).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
    for (i, name) in PHASES.iter().enumerate() {
        let (x, y) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        root.draw(&Text::new(*name, (x, y + 8), style.clone()))
            .map_err(err)?;
    }
    Ok(())
}

/// One line per request shape: median latency against hosts, log–log.
fn growth(path: &Path, title: &str, g: &Growth) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (960, 560)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let sizes: Vec<f64> = g.sizes.iter().map(|&n| n as f64).collect();
    let (lo, hi) = match (sizes.first(), sizes.last()) {
        (Some(&a), Some(&b)) if b > a => (a / 1.2, b * 1.2),
        (Some(&a), _) => (a / 2.0, a * 2.0),
        _ => (1.0, 10.0),
    };
    let points = g.rows.iter().flat_map(|r| r.median_ms.iter().flatten());
    let (ymin, ymax) = points.fold((f64::MAX, 0.0_f64), |(a, b), &v| (a.min(v), b.max(v)));
    let (ymin, ymax) = if ymax > 0.0 {
        // Headroom above the lines for the legend.
        ((ymin / 2.0).max(1e-3), ymax * 8.0)
    } else {
        (0.01, 1.0)
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d((lo..hi).log_scale(), (ymin..ymax).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(5)
        .x_desc("hosts")
        .y_desc("median ms")
        .x_label_formatter(&|x| super::render::thousands(x.round() as usize))
        .draw()
        .map_err(err)?;
    for (i, row) in g.rows.iter().enumerate() {
        if row.unsupported.is_some() {
            continue;
        }
        let color = Palette99::pick(i).to_rgba();
        let line: Vec<(f64, f64)> = sizes
            .iter()
            .zip(&row.median_ms)
            .filter_map(|(&x, m)| m.map(|m| (x, m)))
            .collect();
        let label = row.shape.replace('`', "");
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
        chart
            .draw_series(line.into_iter().map(|p| Circle::new(p, 3, color.filled())))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
