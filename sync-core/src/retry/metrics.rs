//! Queue metrics: counters per (target, outcome) and latency histograms per target, rendered
//! as Prometheus text exposition (version 0.0.4).
//!
//! Invariants: counters only grow; a histogram's buckets are cumulative when rendered and its
//! `+Inf` bucket equals its count. Latencies come from the worker's `Clock`, in milliseconds.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// Upper bounds of the latency buckets, in milliseconds.
const BUCKETS_MS: [u64; 12] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 5_000, 30_000];

#[derive(Clone, Debug, Default)]
struct Histogram {
    buckets: [u64; BUCKETS_MS.len()],
    count: u64,
    sum_ms: u64,
}

impl Histogram {
    fn observe(&mut self, ms: u64) {
        if let Some(i) = BUCKETS_MS.iter().position(|&le| ms <= le) {
            self.buckets[i] += 1;
        }
        self.count += 1;
        self.sum_ms += ms;
    }
}

#[derive(Debug, Default)]
struct Inner {
    /// (target, outcome) -> count.
    jobs: BTreeMap<(String, &'static str), u64>,
    /// target -> provider call latency.
    call: BTreeMap<String, Histogram>,
    /// target -> time from the status change (enqueue) to the provider call.
    lag: BTreeMap<String, Histogram>,
}

/// The queue's metrics, shared by the workers of a process.
#[derive(Debug, Default)]
pub struct Metrics(Mutex<Inner>);

/// The outcomes counted in `tasksync_jobs_total`.
pub(crate) mod outcome {
    pub(crate) const SUCCEEDED: &str = "succeeded";
    pub(crate) const RETRIED: &str = "retried";
    pub(crate) const DEFERRED: &str = "deferred";
    pub(crate) const DEAD: &str = "dead";
    pub(crate) const TOKEN_REFRESHED: &str = "token_refreshed";
    pub(crate) const LEASE_LOST: &str = "lease_lost";
}

impl Metrics {
    /// Empty metrics.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one outcome of a job of `target`.
    pub(crate) fn count(&self, target: &str, outcome: &'static str) {
        *self
            .lock()
            .jobs
            .entry((target.to_owned(), outcome))
            .or_default() += 1;
    }

    /// Records a provider call's latency and the time since its status change.
    pub(crate) fn observe(&self, target: &str, call_ms: u64, lag_ms: u64) {
        let mut inner = self.lock();
        inner
            .call
            .entry(target.to_owned())
            .or_default()
            .observe(call_ms);
        inner
            .lag
            .entry(target.to_owned())
            .or_default()
            .observe(lag_ms);
    }

    /// How many jobs of `target` ended a step with `outcome` (`succeeded`, `retried`,
    /// `deferred`, `dead`, `token_refreshed`, `lease_lost`).
    pub fn jobs_total(&self, target: &str, outcome: &str) -> u64 {
        self.lock()
            .jobs
            .iter()
            .filter(|((t, o), _)| t == target && *o == outcome)
            .map(|(_, n)| n)
            .sum()
    }

    /// The Prometheus text exposition of every metric.
    pub fn render_prometheus(&self) -> String {
        let inner = self.lock();
        let mut out = String::new();
        out.push_str("# HELP tasksync_jobs_total Sync job steps by target and outcome.\n");
        out.push_str("# TYPE tasksync_jobs_total counter\n");
        for ((target, outcome), n) in &inner.jobs {
            let _ = writeln!(
                out,
                "tasksync_jobs_total{{target=\"{}\",outcome=\"{outcome}\"}} {n}",
                escape(target)
            );
        }
        render_histogram(
            &mut out,
            "tasksync_provider_call_seconds",
            "Provider call latency.",
            &inner.call,
        );
        render_histogram(
            &mut out,
            "tasksync_status_to_call_seconds",
            "Time from a status change to its provider call.",
            &inner.lag,
        );
        out
    }
}

fn render_histogram(
    out: &mut String,
    name: &str,
    help: &str,
    series: &BTreeMap<String, Histogram>,
) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} histogram");
    for (target, h) in series {
        let target = escape(target);
        let mut cumulative = 0;
        for (le, n) in BUCKETS_MS.iter().zip(h.buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "{name}_bucket{{target=\"{target}\",le=\"{}\"}} {cumulative}",
                *le as f64 / 1000.0
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{target=\"{target}\",le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(
            out,
            "{name}_sum{{target=\"{target}\"}} {}",
            h.sum_ms as f64 / 1000.0
        );
        let _ = writeln!(out, "{name}_count{{target=\"{target}\"}} {}", h.count);
    }
}

/// Escapes a label value (backslash, double quote, newline), per the exposition format.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
