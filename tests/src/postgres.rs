//! PostgreSQL for tests: each test gets its own database on the server named by
//! `MLX_MANAGER_TEST_POSTGRES_URL` (`cargo xtask test` starts a temporary cluster and sets it).

use sea_orm::{ConnectionTrait, Database};

pub const URL_VARIABLE: &str = "MLX_MANAGER_TEST_POSTGRES_URL";

/// Creates an empty database and returns its URL.
pub async fn fresh_database() -> String {
    let server = std::env::var(URL_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "PostgreSQL tests need {URL_VARIABLE} (a server URL such as \
             postgres://postgres@127.0.0.1:5432/postgres); `cargo xtask test` starts a \
             temporary server and sets it"
        )
    });
    let name = format!("mlxm_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server: {e}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    admin.close().await.ok();
    with_database(&server, &name)
}

fn with_database(server: &str, name: &str) -> String {
    let mut url = url::Url::parse(server).expect("server URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Drops a database made by [`fresh_database`], disconnecting anyone still using it.
pub async fn drop_database(url: &str) {
    let parsed = url::Url::parse(url).expect("database URL");
    let name = parsed.path().trim_start_matches('/').to_string();
    let server = with_database(url, "postgres");
    let admin = Database::connect(&server)
        .await
        .expect("reach the test server");
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .expect("drop test database");
    admin.close().await.ok();
}

/// The URL with its host and port replaced (to route it through a proxy).
pub fn via(url: &str, address: std::net::SocketAddr) -> String {
    let mut parsed = url::Url::parse(url).expect("database URL");
    parsed.set_ip_host(address.ip()).expect("host");
    parsed.set_port(Some(address.port())).expect("port");
    parsed.to_string()
}

/// Where the server of a database URL listens.
pub fn address_of(url: &str) -> std::net::SocketAddr {
    let parsed = url::Url::parse(url).expect("database URL");
    let host = parsed.host_str().expect("host");
    let port = parsed.port().unwrap_or(5432);
    std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .expect("resolve")
        .next()
        .expect("an address")
}
