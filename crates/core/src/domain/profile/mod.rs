//! A profile: a named way to run a model — which model (and revision), its system prompt,
//! generation defaults, context length, chat-template options, how long it stays loaded and
//! whether it loads at startup.
//!
//! [`ProfileDraft`] and [`ProfilePatchDraft`] are what a user sends (plain values);
//! [`ProfileSpec::parse`] and [`ProfilePatch::parse`] check every field and report all invalid
//! ones at once ([`CoreError::InvalidFields`]). A [`ProfileSpec`] is made of parts that are
//! valid by construction ([`parts`]).

mod parts;
mod pooling;

pub use parts::*;
pub use pooling::EmbeddingPooling;

use serde_json::{Map, Value};

use super::{RepoId, Revision};
use crate::{CoreError, InvalidField};

/// Sampling and length defaults; each unset one leaves the engine's (or the request's) value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GenerationDefaults {
    pub temperature: Option<Temperature>,
    pub top_p: Option<TopP>,
    pub top_k: Option<TopK>,
    pub min_p: Option<MinP>,
    pub repetition_penalty: Option<RepetitionPenalty>,
    pub max_tokens: Option<MaxTokens>,
    pub seed: Option<Seed>,
    pub stop: StopSequences,
}

/// Everything a user sets on a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileSpec {
    pub name: ProfileName,
    pub description: Option<Description>,
    pub model: RepoId,
    /// `None`: the default branch (`main`).
    pub revision: Option<Revision>,
    pub system_prompt: Option<SystemPrompt>,
    pub generation: GenerationDefaults,
    /// `None`: the model's own.
    pub context_length: Option<ContextLength>,
    pub template_options: TemplateOptions,
    /// `None`: the pool's default.
    pub keep_alive: Option<KeepAlive>,
    /// Load at startup and keep loaded (pinned).
    pub auto_start: bool,
    pub embedding_pooling: EmbeddingPooling,
}

/// A stored profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub id: i32,
    pub spec: ProfileSpec,
    /// The user who created it; `None` once that user is deleted.
    pub created_by: Option<i32>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// A whole profile as a user sends it, unchecked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileDraft {
    pub name: String,
    pub description: Option<String>,
    pub model: String,
    pub revision: Option<String>,
    pub system_prompt: Option<String>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<i64>,
    pub min_p: Option<f64>,
    pub repetition_penalty: Option<f64>,
    pub max_tokens: Option<i64>,
    pub seed: Option<i64>,
    pub stop: Vec<String>,
    pub context_length: Option<i64>,
    pub template_options: Map<String, Value>,
    pub keep_alive_secs: Option<i64>,
    pub auto_start: bool,
    /// `last` or `mean`; `None`: `last`.
    pub embedding_pooling: Option<String>,
}

/// Changes to a profile as a user sends them, unchecked: `None` leaves a field as it is; for
/// the nullable fields `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfilePatchDraft {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub model: Option<String>,
    pub revision: Option<Option<String>>,
    pub system_prompt: Option<Option<String>>,
    pub temperature: Option<Option<f64>>,
    pub top_p: Option<Option<f64>>,
    pub top_k: Option<Option<i64>>,
    pub min_p: Option<Option<f64>>,
    pub repetition_penalty: Option<Option<f64>>,
    pub max_tokens: Option<Option<i64>>,
    pub seed: Option<Option<i64>>,
    pub stop: Option<Vec<String>>,
    pub context_length: Option<Option<i64>>,
    pub template_options: Option<Map<String, Value>>,
    pub keep_alive_secs: Option<Option<i64>>,
    pub auto_start: Option<bool>,
    pub embedding_pooling: Option<String>,
}

/// Checked changes to a profile (see [`ProfilePatchDraft`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfilePatch {
    pub name: Option<ProfileName>,
    pub description: Option<Option<Description>>,
    pub model: Option<RepoId>,
    pub revision: Option<Option<Revision>>,
    pub system_prompt: Option<Option<SystemPrompt>>,
    pub temperature: Option<Option<Temperature>>,
    pub top_p: Option<Option<TopP>>,
    pub top_k: Option<Option<TopK>>,
    pub min_p: Option<Option<MinP>>,
    pub repetition_penalty: Option<Option<RepetitionPenalty>>,
    pub max_tokens: Option<Option<MaxTokens>>,
    pub seed: Option<Option<Seed>>,
    pub stop: Option<StopSequences>,
    pub context_length: Option<Option<ContextLength>>,
    pub template_options: Option<TemplateOptions>,
    pub keep_alive: Option<Option<KeepAlive>>,
    pub auto_start: Option<bool>,
    pub embedding_pooling: Option<EmbeddingPooling>,
}

/// The model as a profile names it (`RepoId`'s rule, reported as the field `model`).
pub fn parse_model(raw: &str) -> Result<RepoId, InvalidField> {
    RepoId::parse(raw).map_err(|error| match error {
        CoreError::Invalid { message, .. } => InvalidField::new("model", message),
        other => InvalidField::new("model", other.to_string()),
    })
}

fn parse_revision(raw: &str) -> Result<Revision, InvalidField> {
    Revision::parse(raw).map_err(|error| match error {
        CoreError::Invalid { message, .. } => InvalidField::new("revision", message),
        other => InvalidField::new("revision", other.to_string()),
    })
}

/// Gathers every field's error so that one answer names them all.
#[derive(Default)]
struct Checks(Vec<InvalidField>);

impl Checks {
    fn check<T>(&mut self, result: Result<T, InvalidField>) -> Option<T> {
        result.map_err(|invalid| self.0.push(invalid)).ok()
    }

    /// A value that may be absent: `Some(None)` when absent, `None` when invalid.
    fn optional<R, T>(
        &mut self,
        raw: Option<R>,
        parse: impl FnOnce(R) -> Result<T, InvalidField>,
    ) -> Option<Option<T>> {
        self.check(raw.map(parse).transpose())
    }

    /// A change to a nullable field: `Some(Some(None))` clears it.
    #[allow(clippy::option_option)]
    fn change<R, T>(
        &mut self,
        raw: Option<Option<R>>,
        parse: impl FnOnce(R) -> Result<T, InvalidField>,
    ) -> Option<Option<Option<T>>> {
        match raw {
            None => Some(None),
            Some(value) => self.optional(value, parse).map(Some),
        }
    }

    fn finish(self) -> Result<(), CoreError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(CoreError::InvalidFields(self.0))
        }
    }
}

impl ProfileSpec {
    /// Checks every field of a whole profile; the error names each invalid one.
    pub fn parse(draft: ProfileDraft) -> Result<Self, CoreError> {
        let mut c = Checks::default();
        let name = c.check(ProfileName::parse(&draft.name));
        let description = c.optional(draft.description, Description::parse);
        let model = c.check(parse_model(&draft.model));
        let revision = c.optional(draft.revision.as_deref(), parse_revision);
        let system_prompt = c.optional(draft.system_prompt, SystemPrompt::parse);
        let temperature = c.optional(draft.temperature, Temperature::new);
        let top_p = c.optional(draft.top_p, TopP::new);
        let top_k = c.optional(draft.top_k, TopK::new);
        let min_p = c.optional(draft.min_p, MinP::new);
        let repetition_penalty = c.optional(draft.repetition_penalty, RepetitionPenalty::new);
        let max_tokens = c.optional(draft.max_tokens, MaxTokens::new);
        let seed = c.optional(draft.seed, Seed::new);
        let stop = c.check(StopSequences::parse(draft.stop));
        let context_length = c.optional(draft.context_length, ContextLength::new);
        let template_options = c.check(TemplateOptions::parse(draft.template_options));
        let keep_alive = c.optional(draft.keep_alive_secs, KeepAlive::from_secs);
        let embedding_pooling =
            c.optional(draft.embedding_pooling.as_deref(), EmbeddingPooling::parse);
        let spec = (|| {
            Some(Self {
                name: name?,
                description: description?,
                model: model?,
                revision: revision?,
                system_prompt: system_prompt?,
                generation: GenerationDefaults {
                    temperature: temperature?,
                    top_p: top_p?,
                    top_k: top_k?,
                    min_p: min_p?,
                    repetition_penalty: repetition_penalty?,
                    max_tokens: max_tokens?,
                    seed: seed?,
                    stop: stop?,
                },
                context_length: context_length?,
                template_options: template_options?,
                keep_alive: keep_alive?,
                auto_start: draft.auto_start,
                embedding_pooling: embedding_pooling?.unwrap_or_default(),
            })
        })();
        c.finish()?;
        Ok(spec.expect("every field is valid"))
    }

    /// This profile with `patch` applied.
    pub fn patched(mut self, patch: ProfilePatch) -> Self {
        fn set<T>(field: &mut T, change: Option<T>) {
            if let Some(value) = change {
                *field = value;
            }
        }
        let g = &mut self.generation;
        set(&mut self.name, patch.name);
        set(&mut self.description, patch.description);
        set(&mut self.model, patch.model);
        set(&mut self.revision, patch.revision);
        set(&mut self.system_prompt, patch.system_prompt);
        set(&mut g.temperature, patch.temperature);
        set(&mut g.top_p, patch.top_p);
        set(&mut g.top_k, patch.top_k);
        set(&mut g.min_p, patch.min_p);
        set(&mut g.repetition_penalty, patch.repetition_penalty);
        set(&mut g.max_tokens, patch.max_tokens);
        set(&mut g.seed, patch.seed);
        set(&mut g.stop, patch.stop);
        set(&mut self.context_length, patch.context_length);
        set(&mut self.template_options, patch.template_options);
        set(&mut self.keep_alive, patch.keep_alive);
        set(&mut self.auto_start, patch.auto_start);
        set(&mut self.embedding_pooling, patch.embedding_pooling);
        self
    }
}

impl ProfilePatch {
    /// Checks every field present; the error names each invalid one.
    pub fn parse(draft: ProfilePatchDraft) -> Result<Self, CoreError> {
        let mut c = Checks::default();
        let name = c.optional(draft.name.as_deref(), ProfileName::parse);
        let description = c.change(draft.description, Description::parse);
        let model = c.optional(draft.model.as_deref(), parse_model);
        let revision = c.change(
            draft.revision.as_ref().map(|r| r.as_deref()),
            parse_revision,
        );
        let system_prompt = c.change(draft.system_prompt, SystemPrompt::parse);
        let temperature = c.change(draft.temperature, Temperature::new);
        let top_p = c.change(draft.top_p, TopP::new);
        let top_k = c.change(draft.top_k, TopK::new);
        let min_p = c.change(draft.min_p, MinP::new);
        let repetition_penalty = c.change(draft.repetition_penalty, RepetitionPenalty::new);
        let max_tokens = c.change(draft.max_tokens, MaxTokens::new);
        let seed = c.change(draft.seed, Seed::new);
        let stop = c.optional(draft.stop, StopSequences::parse);
        let context_length = c.change(draft.context_length, ContextLength::new);
        let template_options = c.optional(draft.template_options, TemplateOptions::parse);
        let keep_alive = c.change(draft.keep_alive_secs, KeepAlive::from_secs);
        let embedding_pooling =
            c.optional(draft.embedding_pooling.as_deref(), EmbeddingPooling::parse);
        let patch = (|| {
            Some(Self {
                name: name?,
                description: description?,
                model: model?,
                revision: revision?,
                system_prompt: system_prompt?,
                temperature: temperature?,
                top_p: top_p?,
                top_k: top_k?,
                min_p: min_p?,
                repetition_penalty: repetition_penalty?,
                max_tokens: max_tokens?,
                seed: seed?,
                stop: stop?,
                context_length: context_length?,
                template_options: template_options?,
                keep_alive: keep_alive?,
                auto_start: draft.auto_start,
                embedding_pooling: embedding_pooling?,
            })
        })();
        c.finish()?;
        Ok(patch.expect("every field is valid"))
    }

    /// Whether the change can alter what the context length is checked against.
    pub fn touches_model_or_context(&self) -> bool {
        self.model.is_some() || self.revision.is_some() || self.context_length.is_some()
    }
}

#[cfg(test)]
mod tests;
