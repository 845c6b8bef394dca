//! The Hugging Face hub's HTTP API, as far as search and downloads need it (`HF_ENDPOINT`).

mod failure;
mod token;
mod wire;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderMap, LOCATION, RANGE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::Url;

use mlx_manager_core::domain::{CommitSha, Revision};
use mlx_manager_core::settings::HubSettings;

pub(crate) use self::failure::unavailable;
use self::failure::{check_status, transport_error};
pub use self::token::HubToken;
use self::wire::ModelInfo;
pub use self::wire::{HubModel, LfsInfo, SafetensorsInfo, TreeEntry};

use super::RepoId;
use crate::HubError;

pub(crate) const HUB: &str = "Hugging Face hub";
const USER_AGENT: &str = concat!("mlx-manager/", env!("CARGO_PKG_VERSION"));
const MAX_REDIRECTS: usize = 5;

/// What search asks the hub for.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub text: String,
    pub limit: usize,
    /// `downloads`, `likes`, `lastModified` or `trendingScore`.
    pub sort: String,
}

/// A file body being received, possibly from an offset.
pub struct FileBody {
    pub response: Response,
    /// True when the server honoured the `Range` (206); false means the body starts at 0.
    pub resumed: bool,
}

#[derive(Clone)]
pub struct HubClient {
    /// Built on first use or by [`HubClient::warm_up`]: loading the system's CA certificates
    /// takes tens of milliseconds, which startup (and offline use) should not pay.
    http: Arc<OnceLock<Result<reqwest::Client, String>>>,
    endpoint: Url,
    token: HubToken,
    api_timeout: Duration,
}

impl HubClient {
    pub fn new(settings: &HubSettings) -> Self {
        Self::with(
            settings.endpoint.clone(),
            HubToken::from_settings(settings),
            Duration::from_secs(settings.request_timeout_secs),
        )
    }

    pub fn with(endpoint: Url, token: HubToken, api_timeout: Duration) -> Self {
        Self {
            http: Arc::new(OnceLock::new()),
            endpoint,
            token,
            api_timeout,
        }
    }

    /// Builds the HTTP client now (blocking: call it off the async executor).
    pub fn warm_up(&self) {
        let _ = self.http();
    }

    fn http(&self) -> Result<&reqwest::Client, HubError> {
        let api_timeout = self.api_timeout;
        self.http
            .get_or_init(|| {
                // Redirects are followed by hand: the token must never travel to another host.
                reqwest::Client::builder()
                    .user_agent(USER_AGENT)
                    .redirect(reqwest::redirect::Policy::none())
                    .connect_timeout(api_timeout)
                    .build()
                    .map_err(|e| format!("cannot build an HTTP client: {e}"))
            })
            .as_ref()
            .map_err(|message| unavailable(message.clone()))
    }

    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    fn url(&self, path: &str) -> Url {
        let base = self.endpoint.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}{path}")).expect("endpoint joined with a path is a URL")
    }

    fn request(&self, method: Method, url: Url) -> Result<RequestBuilder, HubError> {
        let same_host = url.origin() == self.endpoint.origin();
        let mut request = self.http()?.request(method, url);
        if let (true, Some((token, _))) = (same_host, self.token.current()) {
            request = request.header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()));
        }
        Ok(request)
    }

    /// The token the client sends.
    pub fn token(&self) -> &HubToken {
        &self.token
    }

    /// Who the hub says `token` belongs to (`/api/whoami-v2`): the account's name.
    pub async fn whoami(&self, token: &SecretString) -> Result<String, HubError> {
        #[derive(Deserialize)]
        struct WhoAmI {
            name: String,
        }
        let response = self
            .http()?
            .get(self.url("/api/whoami-v2"))
            .header(AUTHORIZATION, format!("Bearer {}", token.expose_secret()))
            .timeout(self.api_timeout)
            .send()
            .await
            .map_err(transport_error)?;
        if matches!(
            response.status(),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ) {
            return Err(HubError::AccessDenied(
                "the hub does not accept this token (it is invalid, expired or revoked)".into(),
            ));
        }
        let response = check_status(response, "the token check").await?;
        let who: WhoAmI = response
            .json()
            .await
            .map_err(|e| unavailable(format!("unexpected answer to the token check: {e}")))?;
        Ok(who.name)
    }

    async fn api_json<T: for<'de> Deserialize<'de>>(
        &self,
        url: Url,
        what: &str,
    ) -> Result<T, HubError> {
        let response = self
            .request(Method::GET, url)?
            .timeout(self.api_timeout)
            .send()
            .await
            .map_err(transport_error)?;
        let response = check_status(response, what).await?;
        response
            .json()
            .await
            .map_err(|e| unavailable(format!("unexpected answer to {what}: {e}")))
    }

    /// MLX models matching the text, from `/api/models` (any author).
    pub async fn search(&self, query: &SearchQuery) -> Result<Vec<HubModel>, HubError> {
        let mut url = self.url("/api/models");
        url.query_pairs_mut()
            .append_pair("search", &query.text)
            .append_pair("filter", "mlx")
            .append_pair("sort", &query.sort)
            .append_pair("direction", "-1")
            .append_pair("limit", &query.limit.to_string());
        for field in [
            "author",
            "downloads",
            "likes",
            "lastModified",
            "tags",
            "library_name",
            "pipeline_tag",
            "safetensors",
            "usedStorage",
            "config",
            "sha",
        ] {
            url.query_pairs_mut().append_pair("expand[]", field);
        }
        self.api_json(url, "the model search").await
    }

    /// The commit a revision (branch, tag or sha) points to. The answer becomes a folder name in
    /// the cache, so anything but 40 lowercase hex characters is refused.
    pub async fn resolve_revision(
        &self,
        repo: &RepoId,
        revision: &Revision,
    ) -> Result<CommitSha, HubError> {
        let url = self.url(&format!(
            "/api/models/{repo}/revision/{}",
            encode_segment(revision.as_str())
        ));
        let info: ModelInfo = self
            .api_json(url, &format!("model info for {repo}"))
            .await?;
        let sha = info
            .sha
            .filter(|sha| !sha.is_empty())
            .ok_or_else(|| unavailable(format!("the hub gave no commit for {repo}@{revision}")))?;
        CommitSha::parse(&sha).map_err(|error| {
            unavailable(format!(
                "the hub answered an invalid commit for {repo}@{revision}: {error}"
            ))
        })
    }

    /// Every file of the repository at a commit, recursively.
    pub async fn list_files(
        &self,
        repo: &RepoId,
        commit: &CommitSha,
    ) -> Result<Vec<TreeEntry>, HubError> {
        let mut url = self.url(&format!("/api/models/{repo}/tree/{commit}"));
        url.query_pairs_mut()
            .append_pair("recursive", "true")
            .append_pair("expand", "false");
        let entries: Vec<TreeEntry> = self
            .api_json(url, &format!("the file list of {repo}"))
            .await?;
        Ok(entries.into_iter().filter(|e| e.kind == "file").collect())
    }

    /// A small file's content (e.g. `config.json`), `None` when the repo has no such file.
    pub async fn small_file(
        &self,
        repo: &RepoId,
        revision: &str,
        path: &str,
    ) -> Result<Option<Vec<u8>>, HubError> {
        match self.open_file(repo, revision, path, 0).await {
            Ok(body) => {
                let bytes = tokio::time::timeout(self.api_timeout, body.response.bytes())
                    .await
                    .map_err(|_| unavailable(format!("reading {path} of {repo} timed out")))?
                    .map_err(transport_error)?;
                Ok(Some(bytes.to_vec()))
            }
            Err(HubError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Starts receiving a file from `offset`, following the hub's redirect to its file host
    /// without the token.
    pub async fn open_file(
        &self,
        repo: &RepoId,
        revision: &str,
        path: &str,
        offset: u64,
    ) -> Result<FileBody, HubError> {
        let encoded: Vec<String> = path.split('/').map(encode_segment).collect();
        let mut url = self.url(&format!(
            "/{repo}/resolve/{}/{}",
            encode_segment(revision),
            encoded.join("/")
        ));
        let what = format!("{path} of {repo}");
        for _ in 0..=MAX_REDIRECTS {
            let mut request = self.request(Method::GET, url.clone())?;
            if offset > 0 {
                request = request.header(RANGE, format!("bytes={offset}-"));
            }
            let response = tokio::time::timeout(self.api_timeout, request.send())
                .await
                .map_err(|_| unavailable(format!("no answer for {what} in time")))?
                .map_err(transport_error)?;
            if response.status().is_redirection() {
                url = redirect_target(&url, response.headers())
                    .ok_or_else(|| unavailable(format!("bad redirect for {what}")))?;
                continue;
            }
            if response.status() == StatusCode::RANGE_NOT_SATISFIABLE {
                return Err(unavailable(format!("the hub refused to resume {what}")));
            }
            let response = check_status(response, &what).await?;
            let resumed = response.status() == StatusCode::PARTIAL_CONTENT;
            return Ok(FileBody { response, resumed });
        }
        Err(unavailable(format!("too many redirects for {what}")))
    }
}

fn redirect_target(from: &Url, headers: &HeaderMap) -> Option<Url> {
    let location = headers.get(LOCATION)?.to_str().ok()?;
    from.join(location).ok()
}

/// Percent-encodes one path segment (revisions may hold `/`, e.g. `refs/pr/1`).
fn encode_segment(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC)
        .to_string()
        .replace("%2D", "-")
        .replace("%2E", ".")
        .replace("%5F", "_")
}
