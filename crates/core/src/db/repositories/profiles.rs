use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use super::map_db_error;
use crate::CoreError;
use crate::db::Database;
use crate::db::entities::profile;
use crate::domain::profile::{
    ContextLength, Description, EmbeddingPooling, GenerationDefaults, KeepAlive, MaxTokens, MinP,
    RepetitionPenalty, Seed, StopSequences, SystemPrompt, Temperature, TemplateOptions, TopK, TopP,
    parse_model,
};
use crate::domain::{Profile, ProfileName, ProfileSpec, Revision};
use crate::time::now_millis;

const ENTITY: &str = "profile";

fn db_error(error: sea_orm::DbErr) -> CoreError {
    map_db_error(error, ENTITY, "name")
}

/// Profiles, unique by name regardless of case (a taken name is a
/// [`CoreError::UniqueViolation`] on `name`).
#[derive(Clone)]
pub struct ProfileRepository {
    db: Database,
}

impl ProfileRepository {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn create(
        &self,
        spec: &ProfileSpec,
        created_by: Option<i32>,
    ) -> Result<Profile, CoreError> {
        let now = now_millis();
        let mut row = columns(spec);
        row.created_by = Set(created_by);
        row.created_at = Set(now);
        row.updated_at = Set(now);
        row.insert(self.db.connection())
            .await
            .map_err(db_error)?
            .try_into()
    }

    pub async fn get(&self, id: i32) -> Result<Profile, CoreError> {
        self.find_row(id).await?.try_into()
    }

    /// Every profile, by name (case-insensitively).
    pub async fn list(&self) -> Result<Vec<Profile>, CoreError> {
        profile::Entity::find()
            .order_by_asc(profile::Column::NameKey)
            .all(self.db.connection())
            .await
            .map_err(db_error)?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// The profile of this name, in any case (what `/v1` clients send as their `model`).
    pub async fn find_by_name(&self, name: &ProfileName) -> Result<Option<Profile>, CoreError> {
        profile::Entity::find()
            .filter(profile::Column::NameKey.eq(name.key()))
            .one(self.db.connection())
            .await
            .map_err(db_error)?
            .map(TryInto::try_into)
            .transpose()
    }

    /// The profiles to load at startup, by name.
    pub async fn auto_start(&self) -> Result<Vec<Profile>, CoreError> {
        profile::Entity::find()
            .filter(profile::Column::AutoStart.eq(true))
            .order_by_asc(profile::Column::NameKey)
            .all(self.db.connection())
            .await
            .map_err(db_error)?
            .into_iter()
            .map(TryInto::try_into)
            .collect()
    }

    /// Replaces everything a user sets; keeps the id, creator and creation time.
    pub async fn replace(&self, id: i32, spec: &ProfileSpec) -> Result<Profile, CoreError> {
        let existing = self.find_row(id).await?;
        let mut row = columns(spec);
        row.id = Set(id);
        row.created_by = Set(existing.created_by);
        row.created_at = Set(existing.created_at);
        row.updated_at = Set(now_millis());
        match row.update(self.db.connection()).await {
            Ok(row) => row.try_into(),
            // Deleted meanwhile.
            Err(sea_orm::DbErr::RecordNotUpdated) => Err(CoreError::NotFound { entity: ENTITY }),
            Err(error) => Err(db_error(error)),
        }
    }

    pub async fn delete(&self, id: i32) -> Result<(), CoreError> {
        let result = profile::Entity::delete_by_id(id)
            .exec(self.db.connection())
            .await
            .map_err(db_error)?;
        if result.rows_affected == 0 {
            return Err(CoreError::NotFound { entity: ENTITY });
        }
        Ok(())
    }

    async fn find_row(&self, id: i32) -> Result<profile::Model, CoreError> {
        profile::Entity::find_by_id(id)
            .one(self.db.connection())
            .await
            .map_err(db_error)?
            .ok_or(CoreError::NotFound { entity: ENTITY })
    }
}

/// The columns a user sets (ids and times are the caller's).
fn columns(spec: &ProfileSpec) -> profile::ActiveModel {
    let g = &spec.generation;
    let count = |c: u32| i32::try_from(c).unwrap_or(i32::MAX);
    profile::ActiveModel {
        name: Set(spec.name.as_str().to_string()),
        name_key: Set(spec.name.key()),
        description: Set(spec.description.as_ref().map(|d| d.as_str().to_string())),
        model: Set(spec.model.as_str().to_string()),
        revision: Set(spec.revision.as_ref().map(|r| r.as_str().to_string())),
        system_prompt: Set(spec.system_prompt.as_ref().map(|p| p.as_str().to_string())),
        temperature: Set(g.temperature.map(Temperature::get)),
        top_p: Set(g.top_p.map(TopP::get)),
        top_k: Set(g.top_k.map(|k| count(k.get()))),
        min_p: Set(g.min_p.map(MinP::get)),
        repetition_penalty: Set(g.repetition_penalty.map(RepetitionPenalty::get)),
        max_tokens: Set(g.max_tokens.map(|m| count(m.get()))),
        seed: Set(g.seed.map(|s| s.get() as i64)),
        stop: Set(serde_json::to_string(g.stop.as_slice()).unwrap_or_else(|_| "[]".into())),
        context_length: Set(spec.context_length.map(|c| count(c.get()))),
        template_options: Set(spec.template_options.to_json()),
        keep_alive_secs: Set(spec.keep_alive.map(KeepAlive::as_secs)),
        auto_start: Set(spec.auto_start),
        embedding_pooling: Set(spec.embedding_pooling.as_str().to_string()),
        ..Default::default()
    }
}

impl TryFrom<profile::Model> for Profile {
    type Error = CoreError;

    /// Every stored value is checked again: a hand-edited row is a corrupt record, not a
    /// profile that breaks the rules.
    fn try_from(row: profile::Model) -> Result<Self, CoreError> {
        let corrupt = |what: &str| {
            CoreError::CorruptRecord(format!("profile {} has an invalid {what}", row.id))
        };
        fn check<T, E>(
            value: Result<T, E>,
            what: &str,
            corrupt: &dyn Fn(&str) -> CoreError,
        ) -> Result<T, CoreError> {
            value.map_err(|_| corrupt(what))
        }
        let stop: Vec<String> = serde_json::from_str(&row.stop).map_err(|_| corrupt("stop"))?;
        let spec = ProfileSpec {
            name: check(ProfileName::parse(&row.name), "name", &corrupt)?,
            description: check(
                row.description.clone().map(Description::parse).transpose(),
                "description",
                &corrupt,
            )?,
            model: check(parse_model(&row.model), "model", &corrupt)?,
            revision: check(
                row.revision.as_deref().map(Revision::parse).transpose(),
                "revision",
                &corrupt,
            )?,
            system_prompt: check(
                row.system_prompt
                    .clone()
                    .map(SystemPrompt::parse)
                    .transpose(),
                "system_prompt",
                &corrupt,
            )?,
            generation: GenerationDefaults {
                temperature: check(
                    row.temperature.map(Temperature::new).transpose(),
                    "temperature",
                    &corrupt,
                )?,
                top_p: check(row.top_p.map(TopP::new).transpose(), "top_p", &corrupt)?,
                top_k: check(
                    row.top_k.map(|k| TopK::new(k.into())).transpose(),
                    "top_k",
                    &corrupt,
                )?,
                min_p: check(row.min_p.map(MinP::new).transpose(), "min_p", &corrupt)?,
                repetition_penalty: check(
                    row.repetition_penalty
                        .map(RepetitionPenalty::new)
                        .transpose(),
                    "repetition_penalty",
                    &corrupt,
                )?,
                max_tokens: check(
                    row.max_tokens.map(|m| MaxTokens::new(m.into())).transpose(),
                    "max_tokens",
                    &corrupt,
                )?,
                seed: check(row.seed.map(Seed::new).transpose(), "seed", &corrupt)?,
                stop: check(StopSequences::parse(stop), "stop", &corrupt)?,
            },
            context_length: check(
                row.context_length
                    .map(|c| ContextLength::new(c.into()))
                    .transpose(),
                "context_length",
                &corrupt,
            )?,
            template_options: TemplateOptions::from_json(&row.template_options)
                .ok_or_else(|| corrupt("template_options"))?,
            keep_alive: check(
                row.keep_alive_secs.map(KeepAlive::from_secs).transpose(),
                "keep_alive_secs",
                &corrupt,
            )?,
            auto_start: row.auto_start,
            embedding_pooling: check(
                EmbeddingPooling::parse(&row.embedding_pooling),
                "embedding_pooling",
                &corrupt,
            )?,
        };
        Ok(Self {
            id: row.id,
            spec,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::profile::ProfileDraft;

    #[tokio::test]
    async fn profiles_round_trip_and_names_are_unique_regardless_of_case() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::Settings::default_database_url(dir.path());
        let db = Database::connect(&url.into()).await.unwrap();
        let profiles = ProfileRepository::new(db);
        let spec = ProfileSpec::parse(ProfileDraft {
            name: "Qwen:fast".into(),
            model: "org/model".into(),
            temperature: Some(0.5),
            stop: vec!["</s>".into()],
            keep_alive_secs: Some(-1),
            embedding_pooling: Some("mean".into()),
            ..ProfileDraft::default()
        })
        .unwrap();
        let created = profiles.create(&spec, None).await.unwrap();
        assert_eq!(created.spec, spec);
        assert_eq!(profiles.get(created.id).await.unwrap(), created);
        let clash = ProfileSpec {
            name: ProfileName::parse("qwen:FAST").unwrap(),
            ..spec.clone()
        };
        let error = profiles.create(&clash, None).await.unwrap_err();
        assert!(
            matches!(error, CoreError::UniqueViolation { field: "name", .. }),
            "{error:?}"
        );
        let found = profiles.find_by_name(&clash.name).await.unwrap().unwrap();
        assert_eq!(found.id, created.id);
        profiles.delete(created.id).await.unwrap();
        assert!(matches!(
            profiles.get(created.id).await.unwrap_err(),
            CoreError::NotFound { .. }
        ));
    }
}
