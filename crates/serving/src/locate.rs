//! Where the model a user names lives on disk.

use std::path::{Path, PathBuf};

use mlx_manager_core::domain::RepoId;
use mlx_manager_hub::{HubCache, local_model};

use crate::ServingError;

/// A model ready to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelLocation {
    /// The directory with `config.json`, the tokenizer and the weights.
    pub dir: PathBuf,
    /// The repository it is a snapshot of, when it comes from the cache.
    pub repo_id: Option<RepoId>,
}

/// Resolves `name`: a directory holding a `config.json`, else an `org/name` repository id with
/// a complete snapshot in the cache. Blocking (it reads the file system).
pub fn locate_model(name: &str, cache: &HubCache) -> Result<ModelLocation, ServingError> {
    let path = Path::new(name);
    if path.join("config.json").is_file() {
        return Ok(ModelLocation {
            dir: path.to_path_buf(),
            repo_id: None,
        });
    }
    if path.is_dir() {
        return Err(ServingError::ModelNotFound(format!(
            "{name} is a directory without a config.json: not a model"
        )));
    }
    let repo_id = RepoId::parse(name).map_err(|_| {
        ServingError::ModelNotFound(format!(
            "{name:?} is neither a model directory (with a config.json) nor a repository id like org/name"
        ))
    })?;
    match local_model(cache, &repo_id) {
        Some(model) if model.ready => Ok(ModelLocation {
            dir: model.path,
            repo_id: Some(repo_id),
        }),
        Some(_) => Err(ServingError::ModelNotFound(format!(
            "{repo_id} is only partly downloaded; finish it with `mlx-manager pull {repo_id}`"
        ))),
        None => Err(ServingError::ModelNotFound(format!(
            "{repo_id} is not in the cache at {}; download it with `mlx-manager pull {repo_id}`",
            cache.root().display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_with_a_config_is_a_model() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), "{}").unwrap();
        let cache = HubCache::new(dir.path().join("hub"));
        let location = locate_model(dir.path().to_str().unwrap(), &cache).unwrap();
        assert_eq!(location.dir, dir.path());
        assert_eq!(location.repo_id, None);
    }

    #[test]
    fn unknown_names_say_how_to_get_the_model() {
        let dir = tempfile::tempdir().unwrap();
        let cache = HubCache::new(dir.path());
        let error = locate_model("mlx-community/absent", &cache).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("mlx-manager pull mlx-community/absent")
        );
        let error = locate_model(dir.path().to_str().unwrap(), &cache).unwrap_err();
        assert!(
            error.to_string().contains("without a config.json"),
            "{error}"
        );
        assert!(matches!(
            locate_model("not a name", &cache),
            Err(ServingError::ModelNotFound(_))
        ));
    }
}
