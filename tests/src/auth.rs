//! Typed helpers for the auth API, so tests read like the behaviour they check.

use mlx_manager_api::dto::{TokenResponse, UserPublic};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

use crate::TestApp;

/// A password zxcvbn rates strong enough.
pub const STRONG_PASSWORD: &str = "correct horse battery staple 42";
pub const OTHER_STRONG_PASSWORD: &str = "violet tangerine submarine orchestra 7";

/// A client whose connections come from another loopback address (all of 127.0.0.0/8 is
/// loopback on Linux), so the server sees a different client: `client_from(7)` connects from
/// 127.0.0.7.
pub fn client_from(last_octet: u8) -> reqwest::Client {
    let address = std::net::Ipv4Addr::new(127, 0, 0, last_octet);
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::V4(address))
        .build()
        .expect("client with a local address")
}

impl TestApp {
    /// `register` through another client (see [`client_from`]).
    pub async fn register_via(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> Response {
        client
            .post(self.url("/api/auth/register"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("register")
    }

    /// `login` through another client (see [`client_from`]).
    pub async fn login_via(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> Response {
        client
            .post(self.url("/api/auth/login"))
            .form(&[("username", email), ("password", password)])
            .send()
            .await
            .expect("login")
    }

    /// A request carrying `Authorization: Bearer <credential>`.
    pub fn authed(&self, method: Method, path: &str, credential: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(credential)
    }

    pub async fn register(&self, email: &str, password: &str) -> Response {
        self.register_via(&self.client, email, password).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.login_via(&self.client, email, password).await
    }

    /// Logs in and returns the access token, failing the test otherwise.
    pub async fn token_for(&self, email: &str, password: &str) -> String {
        let response = self.login(email, password).await;
        assert_eq!(response.status(), 200, "login of {email} failed");
        let body: TokenResponse = response.json().await.unwrap();
        assert_eq!(body.token_type, "bearer");
        body.access_token
    }

    /// Registers the first user (who becomes the admin) and returns their token.
    pub async fn admin_token(&self) -> String {
        let response = self.register("admin@example.com", STRONG_PASSWORD).await;
        assert_eq!(response.status(), 201);
        self.token_for("admin@example.com", STRONG_PASSWORD).await
    }

    /// Registers a user and has the admin approve them; returns (user id, token).
    pub async fn approved_user(&self, admin_token: &str, email: &str) -> (i64, String) {
        let registered: UserPublic = self
            .register(email, STRONG_PASSWORD)
            .await
            .json()
            .await
            .unwrap();
        let id = i64::from(registered.id);
        let approved = self
            .edit_user(admin_token, id, json!({"status": "approved"}))
            .await;
        assert_eq!(approved.status(), 200);
        (id, self.token_for(email, STRONG_PASSWORD).await)
    }

    /// `GET /api/auth/me` as JSON.
    pub async fn me(&self, credential: &str) -> Value {
        let response = self
            .authed(Method::GET, "/api/auth/me", credential)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET /api/auth/me");
        response.json().await.unwrap()
    }

    /// `PUT /api/auth/users/{id}` as an admin.
    pub async fn edit_user(&self, admin_token: &str, id: i64, changes: Value) -> Response {
        self.authed(Method::PUT, &format!("/api/auth/users/{id}"), admin_token)
            .json(&changes)
            .send()
            .await
            .unwrap()
    }

    /// `GET /api/auth/me` status with a credential.
    pub async fn me_status(&self, credential: &str) -> u16 {
        self.authed(Method::GET, "/api/auth/me", credential)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}
