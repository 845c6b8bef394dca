// figment::Jail closures must return figment::Error, which clippy finds large.
#![allow(clippy::result_large_err)]

use std::path::PathBuf;

use figment::Jail;
use secrecy::ExposeSecret;

use super::load::{ProcessEnv, load};
use super::*;
use crate::CoreError;

fn env_in(jail: &Jail) -> ProcessEnv {
    ProcessEnv {
        home: Some(jail.directory().to_path_buf()),
        xdg_cache_home: None,
        data_dir: Some(jail.directory().join("data")),
    }
}

fn write_config(jail: &Jail, body: &str) {
    std::fs::create_dir_all(jail.directory().join("data")).unwrap();
    std::fs::write(jail.directory().join("data").join(CONFIG_FILE_NAME), body).unwrap();
}

fn invalid_key(result: Result<Settings, CoreError>) -> (String, String) {
    match result {
        Err(CoreError::InvalidSetting { key, message }) => (key, message),
        other => panic!("expected an invalid setting, got {other:?}"),
    }
}

#[test]
fn defaults_bind_loopback_on_10242_with_sqlite_in_the_data_dir() {
    Jail::expect_with(|jail| {
        let env = ProcessEnv {
            home: Some(jail.directory().into()),
            xdg_cache_home: None,
            data_dir: None,
        };
        let settings = load(&Overrides::default(), &env).unwrap();
        let data_dir = jail.directory().join(".mlx-manager");
        assert_eq!(settings.server.host.to_string(), "127.0.0.1");
        assert_eq!(settings.server.port, 10242);
        assert_eq!(settings.data_dir, data_dir);
        assert_eq!(
            settings.database.sqlite_path(),
            Some(data_dir.join("mlx-manager.db"))
        );
        assert_eq!(
            settings.hub.home,
            jail.directory().join(".cache/huggingface")
        );
        assert_eq!(settings.hub.endpoint.as_str(), "https://huggingface.co/");
        assert!(!settings.hub.offline);
        assert!(settings.server.cors_allowed_origins.is_empty());
        Ok(())
    });
}

#[test]
fn config_file_beats_defaults_env_beats_file_and_flags_beat_env() {
    Jail::expect_with(|jail| {
        write_config(
            jail,
            "port = 1111\nhost = \"0.0.0.0\"\nlog_level = \"debug\"\n",
        );
        let env = env_in(jail);
        let from_file = load(&Overrides::default(), &env).unwrap();
        assert_eq!(
            (from_file.server.port, from_file.server.host.to_string()),
            (1111, "0.0.0.0".into())
        );
        assert_eq!(from_file.log.level, "debug");

        jail.set_env("MLX_MANAGER_PORT", "2222");
        let from_env = load(&Overrides::default(), &env).unwrap();
        assert_eq!(from_env.server.port, 2222);
        assert_eq!(
            from_env.server.host.to_string(),
            "0.0.0.0",
            "untouched keys keep the file's value"
        );

        let flags = Overrides {
            port: Some(3333),
            ..Overrides::default()
        };
        assert_eq!(load(&flags, &env).unwrap().server.port, 3333);
        Ok(())
    });
}

#[test]
fn standard_hugging_face_variables_are_honoured() {
    Jail::expect_with(|jail| {
        jail.set_env("HF_HOME", "/srv/hf");
        jail.set_env("HF_ENDPOINT", "http://127.0.0.1:9999");
        jail.set_env("HF_HUB_OFFLINE", "1");
        let settings = load(&Overrides::default(), &env_in(jail)).unwrap();
        assert_eq!(settings.hub.home, PathBuf::from("/srv/hf"));
        assert_eq!(settings.hub.endpoint.as_str(), "http://127.0.0.1:9999/");
        assert!(settings.hub.offline);
        assert_eq!(settings.hub.cache, PathBuf::from("/srv/hf/hub"));
        assert!(settings.hub.token.is_none());
        Ok(())
    });
}

#[test]
fn hub_cache_and_token_come_from_the_standard_variables() {
    Jail::expect_with(|jail| {
        jail.set_env("HF_HUB_CACHE", "/srv/cache");
        jail.set_env("HF_TOKEN", "hf_secret");
        let settings = load(&Overrides::default(), &env_in(jail)).unwrap();
        assert_eq!(settings.hub.cache, PathBuf::from("/srv/cache"));
        let token = settings.hub.token().expect("token");
        assert_eq!(secrecy::ExposeSecret::expose_secret(&token), "hf_secret");
        assert!(!format!("{settings:?}").contains("hf_secret"));
        Ok(())
    });
}

#[test]
fn the_hub_tokens_source_is_told_apart() {
    Jail::expect_with(|jail| {
        let settings = load(&Overrides::default(), &env_in(jail)).unwrap();
        assert_eq!(settings.hub.token_source, None);
        write_config(jail, "hf_token = \"hf_in_file\"\n");
        let settings = load(&Overrides::default(), &env_in(jail)).unwrap();
        assert_eq!(settings.hub.token_source, Some(HubTokenSource::ConfigFile));
        jail.set_env("HF_TOKEN", "hf_in_env");
        let settings = load(&Overrides::default(), &env_in(jail)).unwrap();
        assert_eq!(settings.hub.token_source, Some(HubTokenSource::Environment));
        Ok(())
    });
}

#[test]
fn the_token_file_written_by_hf_auth_login_is_used_when_no_token_is_configured() {
    Jail::expect_with(|jail| {
        let hf_home = jail.directory().join("hf");
        std::fs::create_dir_all(&hf_home).unwrap();
        std::fs::write(hf_home.join("token"), "hf_from_file\n").unwrap();
        jail.set_env("HF_HOME", hf_home.display().to_string());
        let settings = load(&Overrides::default(), &env_in(jail)).unwrap();
        let token = settings.hub.token().expect("token from file");
        assert_eq!(secrecy::ExposeSecret::expose_secret(&token), "hf_from_file");
        Ok(())
    });
}

#[test]
fn download_concurrency_out_of_range_is_refused() {
    Jail::expect_with(|jail| {
        jail.set_env("MLX_MANAGER_DOWNLOAD_CONCURRENT_FILES", "0");
        let error = load(&Overrides::default(), &env_in(jail)).unwrap_err();
        assert!(
            error.to_string().contains("download_concurrent_files"),
            "{error}"
        );
        Ok(())
    });
}

#[test]
fn an_invalid_environment_value_names_the_key_and_the_variable() {
    Jail::expect_with(|jail| {
        jail.set_env("MLX_MANAGER_PORT", "not-a-port");
        let (key, message) = invalid_key(load(&Overrides::default(), &env_in(jail)));
        assert_eq!(key, "port");
        assert!(message.contains("MLX_MANAGER_PORT"), "{message}");
        Ok(())
    });
}

#[test]
fn a_broken_config_file_is_reported_with_its_path() {
    Jail::expect_with(|jail| {
        write_config(jail, "port = [unterminated\n");
        let (_, message) = invalid_key(load(&Overrides::default(), &env_in(jail)));
        assert!(message.contains(CONFIG_FILE_NAME), "{message}");
        Ok(())
    });
}

#[test]
fn invalid_values_are_rejected_with_their_key() {
    for (var, value, expected_key) in [
        ("MLX_MANAGER_HOST", "my-laptop", "host"),
        ("MLX_MANAGER_DATABASE_URL", "mysql://x", "database_url"),
        ("MLX_MANAGER_HF_ENDPOINT", "ftp://hub", "hf_endpoint"),
        ("HF_HUB_OFFLINE", "maybe", "hf_hub_offline"),
        (
            "MLX_MANAGER_CORS_ALLOWED_ORIGINS",
            "https://ok.example,https://bad.example/path",
            "cors_allowed_origins",
        ),
        ("MLX_MANAGER_LOG_FORMAT", "xml", "log_format"),
        (
            "MLX_MANAGER_TRUSTED_PROXIES",
            "10.0.0.1,not-an-ip",
            "trusted_proxies",
        ),
        (
            "MLX_MANAGER_REQUEST_TIMEOUT_SECS",
            "0",
            "request_timeout_secs",
        ),
    ] {
        Jail::expect_with(|jail| {
            jail.set_env(var, value);
            let (key, _) = invalid_key(load(&Overrides::default(), &env_in(jail)));
            assert_eq!(key, expected_key, "{var}={value}");
            Ok(())
        });
    }
}

#[test]
fn cors_origins_are_read_from_a_comma_separated_list() {
    Jail::expect_with(|jail| {
        jail.set_env(
            "MLX_MANAGER_CORS_ALLOWED_ORIGINS",
            "https://a.example, http://b.example:8080",
        );
        let settings = load(&Overrides::default(), &env_in(jail)).unwrap();
        let origins: Vec<_> = settings
            .server
            .cors_allowed_origins
            .iter()
            .map(|o| o.ascii_serialization())
            .collect();
        assert_eq!(origins, ["https://a.example", "http://b.example:8080"]);
        Ok(())
    });
}

#[test]
fn database_password_never_appears_in_debug_output() {
    Jail::expect_with(|jail| {
        jail.set_env(
            "MLX_MANAGER_JWT_SECRET",
            "jwt-secret-that-must-stay-hidden-0123456789",
        );
        jail.set_env(
            "MLX_MANAGER_DATABASE_URL",
            "postgres://app:hunter2-secret@db.internal/mlx",
        );
        let settings = load(&Overrides::default(), &env_in(jail)).unwrap();
        assert!(!format!("{settings:?}").contains("hunter2-secret"));
        assert!(!format!("{settings:?}").contains("must-stay-hidden"));
        assert!(!settings.database.url_redacted().contains("hunter2-secret"));
        assert!(
            settings
                .database
                .url
                .expose_secret()
                .contains("hunter2-secret")
        );
        Ok(())
    });
}

#[test]
fn default_sqlite_url_survives_unusual_characters_in_the_path() {
    let dir = PathBuf::from("/tmp/with space/100%/a?b#c");
    let url = Settings::default_database_url(&dir);
    assert_eq!(
        super::sqlite_path_of(&url),
        Some(dir.join("mlx-manager.db"))
    );
}

#[test]
fn allowed_hosts_default_to_loopback_names_plus_a_specific_bind_address() {
    Jail::expect_with(|jail| {
        let env = env_in(jail);
        let settings = load(&Overrides::default(), &env).unwrap();
        let hosts = &settings.server.allowed_hosts;
        for allowed in [
            "localhost:10242",
            "LOCALHOST",
            "127.0.0.1",
            "[::1]:80",
            "localhost.",
        ] {
            assert!(hosts.allows(allowed), "{allowed}");
        }
        for refused in [
            "attacker.example",
            "127.0.0.1.nip.io",
            "localhost.evil",
            "[::2]",
        ] {
            assert!(!hosts.allows(refused), "{refused}");
        }
        let flags = Overrides {
            host: Some("192.168.1.20".into()),
            ..Default::default()
        };
        let bound = load(&flags, &env).unwrap().server.allowed_hosts;
        assert!(bound.allows("192.168.1.20:10242"));
        let everywhere = Overrides {
            host: Some("0.0.0.0".into()),
            ..Default::default()
        };
        let any_address = load(&everywhere, &env).unwrap().server.allowed_hosts;
        assert!(
            !any_address.allows("0.0.0.0"),
            "an unspecified address is no name"
        );
        Ok(())
    });
}

#[test]
fn allowed_hosts_are_configurable_and_a_star_allows_any() {
    Jail::expect_with(|jail| {
        let env = env_in(jail);
        jail.set_env("MLX_MANAGER_ALLOWED_HOSTS", "models.lan, [fd00::1]");
        let hosts = load(&Overrides::default(), &env)
            .unwrap()
            .server
            .allowed_hosts;
        assert!(hosts.allows("models.lan:8080") && hosts.allows("[fd00::1]:1"));
        assert!(!hosts.allows("localhost"), "a list replaces the defaults");
        jail.set_env("MLX_MANAGER_ALLOWED_HOSTS", "*");
        let any = load(&Overrides::default(), &env)
            .unwrap()
            .server
            .allowed_hosts;
        assert_eq!(any, AllowedHosts::Any);
        jail.set_env("MLX_MANAGER_ALLOWED_HOSTS", "http://x/");
        let (key, _) = invalid_key(load(&Overrides::default(), &env));
        assert_eq!(key, "allowed_hosts");
        Ok(())
    });
}

#[test]
fn connection_limits_have_safe_defaults_and_refuse_zero() {
    Jail::expect_with(|jail| {
        let env = env_in(jail);
        let server = load(&Overrides::default(), &env).unwrap().server;
        assert_eq!(server.header_read_timeout_secs, 15);
        assert_eq!(server.max_connections, None);
        assert_eq!(server.max_connections_per_client, 128);
        for key in [
            "HEADER_READ_TIMEOUT_SECS",
            "MAX_CONNECTIONS",
            "MAX_CONNECTIONS_PER_CLIENT",
        ] {
            jail.set_env(format!("MLX_MANAGER_{key}"), "0");
            let (invalid, _) = invalid_key(load(&Overrides::default(), &env));
            assert_eq!(invalid, key.to_lowercase());
            jail.set_env(format!("MLX_MANAGER_{key}"), "5");
        }
        Ok(())
    });
}

#[test]
fn model_api_timeouts_default_to_the_originals_and_refuse_zero() {
    Jail::expect_with(|jail| {
        let env = env_in(jail);
        let limits = load(&Overrides::default(), &env).unwrap().model_api;
        assert_eq!(
            limits,
            super::ModelApiSettings {
                chat_timeout_secs: 900,
                completions_timeout_secs: 600,
                embeddings_timeout_secs: 120,
            }
        );
        jail.set_env("MLX_MANAGER_CHAT_TIMEOUT_SECS", "30");
        assert_eq!(
            load(&Overrides::default(), &env)
                .unwrap()
                .model_api
                .chat_timeout_secs,
            30
        );
        for key in [
            "CHAT_TIMEOUT_SECS",
            "COMPLETIONS_TIMEOUT_SECS",
            "EMBEDDINGS_TIMEOUT_SECS",
        ] {
            jail.set_env(format!("MLX_MANAGER_{key}"), "0");
            let (invalid, _) = invalid_key(load(&Overrides::default(), &env));
            assert_eq!(invalid, key.to_lowercase());
            jail.set_env(format!("MLX_MANAGER_{key}"), "5");
        }
        Ok(())
    });
}
