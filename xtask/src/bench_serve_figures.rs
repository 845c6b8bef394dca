//! What `cargo xtask bench serve` measures against one server, read from its client's report,
//! and the rows of its chat and concurrency tables.

use serde_json::Value;

use crate::bench_serve::ROUNDS;
use crate::cmd::Result;

/// Several clients at once.
pub(crate) struct Level {
    pub(crate) clients: usize,
    /// Median over the rounds of all tokens over the round's wall time.
    pub(crate) aggregate_tps: f64,
    /// Median of the requests' own decode speeds.
    pub(crate) request_tps: f64,
    pub(crate) ttft_p50_ms: f64,
    pub(crate) ttft_p95_ms: f64,
}

/// What the client measured against one server.
pub(crate) struct Figures {
    pub(crate) ttft_p50_ms: f64,
    pub(crate) ttft_p95_ms: f64,
    pub(crate) decode_tps: f64,
    /// Per count of clients at once.
    pub(crate) levels: Vec<Level>,
    /// Ours only: the server's peak resident memory and the pool's peak accounted use while the
    /// client ran.
    pub(crate) peak_rss_bytes: u64,
    pub(crate) peak_accounted_bytes: u64,
    /// Ours only: the server's resident memory before the first request (no model loaded).
    pub(crate) idle_rss_bytes: u64,
    /// Time to first token of each turn of a 4-turn chat, and of the same turn made uncacheable.
    pub(crate) chat_cached_ms: Vec<f64>,
    pub(crate) chat_uncached_ms: Vec<f64>,
}

/// The chat table's rows for one model: turn 1 has nothing to reuse; turns 2-4 have goals.
pub(crate) fn chat_table_rows(fixture: &str, ours: &Figures, theirs: &Figures) -> Vec<String> {
    let mark = |met: bool| if met { " " } else { "!" };
    (0..ours.chat_cached_ms.len())
        .map(|turn| {
            let cached = ours.chat_cached_ms[turn];
            let uncached = ours.chat_uncached_ms.get(turn).copied().unwrap_or(f64::NAN);
            let reference = theirs.chat_cached_ms.get(turn).copied().unwrap_or(f64::NAN);
            let (to_uncached, to_reference) = (cached / uncached, cached / reference);
            let goal = turn > 0;
            format!(
                "| {:<17} | {:>4} | {:>6.1} ms | {:>8.1} ms | {:>5.2}{} | {:>6.1} ms | {:>5.2}{} |",
                fixture,
                turn + 1,
                cached,
                uncached,
                to_uncached,
                mark(!goal || to_uncached <= 0.3),
                reference,
                to_reference,
                mark(!goal || to_reference <= 1.0),
            )
        })
        .collect()
}

/// The concurrency table's rows for one model; "× solo" is ours against our one client.
pub(crate) fn batch_table_rows(fixture: &str, ours: &Figures, theirs: &Figures) -> Vec<String> {
    let mark = |met: bool| if met { " " } else { "!" };
    let solo = ours
        .levels
        .first()
        .map_or(f64::NAN, |level| level.aggregate_tps);
    ours.levels
        .iter()
        .zip(&theirs.levels)
        .map(|(level, reference)| {
            let ratio = level.aggregate_tps / reference.aggregate_tps;
            let scaling = level.aggregate_tps / solo;
            let goal = fixture == "smollm2-135m-f32" && level.clients == 4;
            format!(
                "| {:<17} | {:>7} | {:>5.0} t/s | {:>5.0} t/s | {:>5.2}{} | {:>6.2}{} | {:>5.1} t/s | {:>5.1} t/s | {:>6.0} ms | {:>6.0} ms | {:>6.0} ms | {:>6.0} ms |",
                fixture,
                level.clients,
                level.aggregate_tps,
                reference.aggregate_tps,
                ratio,
                mark(!goal || ratio >= 1.5),
                scaling,
                mark(!goal || scaling >= 2.5),
                level.request_tps,
                reference.request_tps,
                level.ttft_p50_ms,
                reference.ttft_p50_ms,
                level.ttft_p95_ms,
                reference.ttft_p95_ms,
            )
        })
        .collect()
}

/// One count of clients' figures from the client's report.
pub(crate) fn level(report: &Value, clients: usize) -> Result<Level> {
    let sorted = |values: Vec<f64>| {
        let mut values = values;
        values.sort_by(f64::total_cmp);
        values
    };
    let requests = report["requests"]
        .as_array()
        .ok_or("no concurrent requests")?;
    let field = |name: &str| sorted(requests.iter().filter_map(|r| r[name].as_f64()).collect());
    let aggregates = report["aggregate_tps"].as_array().ok_or("no aggregate")?;
    let aggregates = sorted(aggregates.iter().filter_map(Value::as_f64).collect());
    let (ttft, speeds) = (field("ttft_ms"), field("decode_tps"));
    if ttft.len() != clients * ROUNDS || aggregates.len() != ROUNDS {
        return Err(format!("incomplete report for {clients} clients: {report}"));
    }
    let percentile =
        |values: &[f64], p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
    Ok(Level {
        clients,
        aggregate_tps: percentile(&aggregates, 0.5),
        request_tps: percentile(&speeds, 0.5),
        ttft_p50_ms: percentile(&ttft, 0.5),
        ttft_p95_ms: percentile(&ttft, 0.95),
    })
}
