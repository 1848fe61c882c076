//! The table `bbh bench` prints: one row per case, baseline and bbh side by side.

use super::cases::Case;
use super::load::Stats;
use std::fmt::{self, Write as _};
use std::time::Duration;

/// What one case measured: both servers at the throughput and at the latency load.
pub(crate) struct Row {
    /// The case.
    pub(crate) case: Case,
    /// The baseline under the throughput load.
    pub(crate) baseline: Stats,
    /// bbh under the throughput load.
    pub(crate) bbh: Stats,
    /// The baseline under the latency load.
    pub(crate) baseline_latency: Stats,
    /// bbh under the latency load.
    pub(crate) bbh_latency: Stats,
}

impl Row {
    /// Whether a request of the case failed on either server.
    pub(crate) fn failed(&self) -> bool {
        self.phases().iter().any(|(_, stats)| stats.errors > 0)
    }

    fn phases(&self) -> [(&'static str, &Stats); 4] {
        [
            ("baseline (throughput)", &self.baseline),
            ("bbh (throughput)", &self.bbh),
            ("baseline (latency)", &self.baseline_latency),
            ("bbh (latency)", &self.bbh_latency),
        ]
    }
}

/// The table: a header naming the loads, one line per row, then each failure.
pub(crate) struct Table<'a> {
    /// Connections of the throughput load.
    pub(crate) connections: usize,
    /// Connections of the latency load.
    pub(crate) latency_connections: usize,
    /// The rows.
    pub(crate) rows: &'a [Row],
}

/// The columns: name and width (right-aligned except the first).
const COLUMNS: [(&str, usize); 9] = [
    ("case", 17),
    ("baseline req/s", 14),
    ("bbh req/s", 10),
    ("bbh/base", 8),
    ("target", 12),
    ("base p50/p99", 15),
    ("bbh p50/p99", 15),
    ("base p50/p99", 15),
    ("bbh p50/p99", 15),
];

impl fmt::Display for Table<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let throughput = COLUMNS[..5]
            .iter()
            .map(|(_, width)| width + 2)
            .sum::<usize>();
        let loaded = format!("latency µs @{} conns", self.connections);
        let light = format!("latency µs @{} conns", self.latency_connections);
        writeln!(f, "{:throughput$}{loaded:<32}{light}", "")?;
        writeln!(f, "{}", padded(COLUMNS.map(|(name, _)| name)))?;
        for row in self.rows {
            let cells = [
                row.case.name().to_owned(),
                rate(&row.baseline),
                rate(&row.bbh),
                ratio(row),
                target(row),
                latency(&row.baseline),
                latency(&row.bbh),
                latency(&row.baseline_latency),
                latency(&row.bbh_latency),
            ];
            writeln!(f, "{}", padded(cells))?;
        }
        for row in self.rows {
            for (phase, stats) in row.phases() {
                if stats.errors > 0 {
                    writeln!(
                        f,
                        "FAILED {} {phase}: {} failed request(s); first: {}",
                        row.case.name(),
                        stats.errors,
                        stats.first_error.as_deref().unwrap_or("?")
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// One line of the table: each cell padded to its column's width (the first left-aligned,
/// the others right-aligned), two spaces apart, without trailing spaces.
fn padded(cells: [impl fmt::Display; COLUMNS.len()]) -> String {
    let mut line = String::new();
    for (index, (cell, (_, width))) in cells.iter().zip(COLUMNS).enumerate() {
        if index == 0 {
            let _ = write!(line, "{cell:<width$}  ");
        } else {
            let _ = write!(line, "{cell:>width$}  ");
        }
    }
    line.trim_end().to_owned()
}

fn rate(stats: &Stats) -> String {
    if stats.errors > 0 {
        "FAILED".into()
    } else {
        format!("{:.0}", stats.rate())
    }
}

fn ratio(row: &Row) -> String {
    match bbh_ratio(row) {
        Some(ratio) => format!("{ratio:.2}"),
        None => "-".into(),
    }
}

fn bbh_ratio(row: &Row) -> Option<f64> {
    let baseline = row.baseline.rate();
    (row.baseline.errors == 0 && row.bbh.errors == 0 && baseline > 0.0)
        .then(|| row.bbh.rate() / baseline)
}

fn target(row: &Row) -> String {
    match (row.case.target_ratio(), bbh_ratio(row)) {
        (Some(target), Some(ratio)) if ratio >= target => format!(">={target} met"),
        (Some(target), _) => format!(">={target} NOT met"),
        (None, _) => "-".into(),
    }
}

fn latency(stats: &Stats) -> String {
    if stats.errors > 0 {
        return "FAILED".into();
    }
    let micros = |duration: Duration| duration.as_micros();
    format!(
        "{}/{}",
        micros(stats.percentile(500)),
        micros(stats.percentile(990))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(requests: u64, errors: u64) -> Stats {
        let mut stats = Stats::default();
        stats.requests = requests;
        stats.errors = errors;
        stats.first_error = (errors > 0).then(|| "status 500".to_owned());
        stats.elapsed = Duration::from_secs(1);
        stats
    }

    fn row(case: Case, baseline: u64, bbh: u64, bbh_errors: u64) -> Row {
        Row {
            case,
            baseline: stats(baseline, 0),
            bbh: stats(bbh, bbh_errors),
            baseline_latency: stats(baseline, 0),
            bbh_latency: stats(bbh, 0),
        }
    }

    #[test]
    fn the_table_gives_ratios_targets_and_failures() {
        let rows = [
            row(Case::EobPage, 1000, 900, 0),
            row(Case::EobPageGzip, 1000, 700, 0),
            row(Case::PatientRead, 1000, 500, 0),
            row(Case::Refresh, 1000, 500, 3),
        ];
        let table = Table {
            connections: 8,
            latency_connections: 2,
            rows: &rows,
        }
        .to_string();
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].contains("@8 conns") && lines[0].contains("@2 conns"));
        assert!(lines[2].starts_with("eob-page-10 ") && lines[2].contains("0.90"));
        assert!(lines[2].contains(">=0.8 met"));
        assert!(lines[3].contains("0.70") && lines[3].contains(">=0.8 NOT met"));
        assert!(lines[4].contains("0.50") && !lines[4].contains("met"));
        assert!(lines[5].contains("FAILED"));
        assert_eq!(
            lines[6],
            "FAILED refresh-token bbh (throughput): 3 failed request(s); first: status 500"
        );
        assert!(rows[3].failed() && !rows[0].failed());
    }
}
