//! `GET /metrics`: the server's counters in the Prometheus (OpenMetrics) text format, through
//! `prometheus-client`. HTTP requests are counted by route template (never a raw path with
//! ids), sign-ins by outcome, and the model pool's state is read at each scrape.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use mlx_manager_hub::downloads::DownloadActivity;
use mlx_manager_inference::generation::GenerationStats;
use mlx_manager_inference::generation::pool::PoolSnapshot;
use mlx_manager_serving::{EndedEarly, GenerationObserver};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use std::sync::Arc;
use std::sync::atomic::Ordering;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InferenceLabels {
    model: String,
    endpoint: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// 5 ms to ~80 s.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

/// 0.5 ms to ~16 s.
fn token_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    inference_requests: Family<InferenceLabels, Counter>,
    prompt_tokens: Family<ModelLabels, Counter>,
    generated_tokens: Family<ModelLabels, Counter>,
    time_to_first_token: Histogram,
    inter_token_latency: Histogram,
    http_requests: Family<RequestLabels, Counter>,
    http_duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
    logins: Family<OutcomeLabels, Counter>,
    loaded_models: Gauge,
    pool_limit: Gauge,
    model_memory: Family<ModelLabels, Gauge>,
    queue_depth: Family<ModelLabels, Gauge>,
    running: Family<ModelLabels, Gauge>,
    download_bytes: Counter,
    downloads_active: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("mlx_manager");
        let http_requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            http_requests.clone(),
        );
        let http_duration =
            Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                duration_histogram,
            );
        registry.register_with_unit(
            "http_request_duration",
            "Time to produce a response's head (a stream's body may run longer)",
            Unit::Seconds,
            http_duration.clone(),
        );
        let inference_requests = Family::<InferenceLabels, Counter>::default();
        registry.register(
            "inference_requests",
            "Model API generations, by model, endpoint and how they ended (ok, error, cancelled, refused)",
            inference_requests.clone(),
        );
        let prompt_tokens = Family::<ModelLabels, Counter>::default();
        registry.register("prompt_tokens", "Prompt tokens read", prompt_tokens.clone());
        let generated_tokens = Family::<ModelLabels, Counter>::default();
        registry.register(
            "generated_tokens",
            "Tokens generated",
            generated_tokens.clone(),
        );
        let time_to_first_token = duration_histogram();
        registry.register_with_unit(
            "time_to_first_token",
            "From a generation's start on the model to its first token",
            Unit::Seconds,
            time_to_first_token.clone(),
        );
        let inter_token_latency = token_histogram();
        registry.register_with_unit(
            "inter_token_latency",
            "Between two tokens of one answer, as the API receives them",
            Unit::Seconds,
            inter_token_latency.clone(),
        );
        let logins = Family::<OutcomeLabels, Counter>::default();
        registry.register("logins", "Sign-in attempts, by outcome", logins.clone());
        let loaded_models = Gauge::default();
        registry.register(
            "loaded_models",
            "Models in the pool (loading or ready)",
            loaded_models.clone(),
        );
        let pool_limit = Gauge::default();
        registry.register_with_unit(
            "pool_memory_limit",
            "The model pool's memory limit",
            Unit::Bytes,
            pool_limit.clone(),
        );
        let model_memory = Family::<ModelLabels, Gauge>::default();
        registry.register_with_unit(
            "model_memory",
            "Memory a model holds (a loading one: its estimate)",
            Unit::Bytes,
            model_memory.clone(),
        );
        let queue_depth = Family::<ModelLabels, Gauge>::default();
        registry.register(
            "queue_depth",
            "Requests waiting for a model",
            queue_depth.clone(),
        );
        let running = Family::<ModelLabels, Gauge>::default();
        registry.register(
            "running_requests",
            "Requests a model is answering",
            running.clone(),
        );
        let download_bytes = Counter::default();
        registry.register_with_unit(
            "download",
            "Bytes received from the hub by model downloads since the server started",
            Unit::Bytes,
            download_bytes.clone(),
        );
        let downloads_active = Gauge::default();
        registry.register(
            "downloads_active",
            "Download jobs transferring now (not those waiting for a slot)",
            downloads_active.clone(),
        );
        Self {
            registry,
            download_bytes,
            downloads_active,
            inference_requests,
            prompt_tokens,
            generated_tokens,
            time_to_first_token,
            inter_token_latency,
            http_requests,
            http_duration,
            logins,
            loaded_models,
            pool_limit,
            model_memory,
            queue_depth,
            running,
        }
    }

    /// A sign-in attempt: `success`, `failure` or `throttled`.
    pub fn login(&self, outcome: &'static str) {
        self.logins.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// The text of a scrape, the gauges set from the pool and the downloads first.
    pub fn render(&self, pool: &PoolSnapshot, downloads: DownloadActivity) -> String {
        self.download_bytes
            .inner()
            .store(downloads.fetched_bytes, Ordering::Relaxed);
        self.downloads_active
            .set(i64::try_from(downloads.active).unwrap_or(i64::MAX));
        self.loaded_models.set(pool.models.len() as i64);
        self.pool_limit
            .set(i64::try_from(pool.limits.memory_limit_bytes).unwrap_or(i64::MAX));
        // Models that left the pool leave the series.
        self.model_memory.clear();
        self.queue_depth.clear();
        self.running.clear();
        for model in &pool.models {
            let labels = ModelLabels {
                model: model.key.clone(),
            };
            let memory = i64::try_from(model.memory_bytes).unwrap_or(i64::MAX);
            self.model_memory.get_or_create(&labels).set(memory);
            self.queue_depth
                .get_or_create(&labels)
                .set(model.queued as i64);
            self.running
                .get_or_create(&labels)
                .set(model.running as i64);
        }
        let mut text = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

impl GenerationObserver for Metrics {
    fn token_gap(&self, gap: Duration) {
        self.inter_token_latency.observe(gap.as_secs_f64());
    }

    fn finished(&self, model: &str, endpoint: &'static str, stats: &GenerationStats) {
        self.count(model, endpoint, "ok");
        let labels = ModelLabels {
            model: model.to_string(),
        };
        self.prompt_tokens
            .get_or_create(&labels)
            .inc_by(stats.prompt_tokens as u64);
        self.generated_tokens
            .get_or_create(&labels)
            .inc_by(stats.generated_tokens as u64);
        self.time_to_first_token
            .observe(stats.time_to_first_token.as_secs_f64());
    }

    fn ended_early(&self, model: &str, endpoint: &'static str, how: EndedEarly) {
        self.count(model, endpoint, how.as_str());
    }
}

impl Metrics {
    fn count(&self, model: &str, endpoint: &'static str, status: &'static str) {
        self.inference_requests
            .get_or_create(&InferenceLabels {
                model: model.to_string(),
                endpoint,
                status,
            })
            .inc();
    }
}

/// Counts every request by its route template (`unmatched` when no route took it).
pub async fn record_http(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |path| path.as_str().to_string());
    let method = request.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = RouteLabels {
        route: route.clone(),
        method: method.clone(),
    };
    metrics
        .http_duration
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    metrics
        .http_requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}
