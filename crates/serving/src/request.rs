//! A client's request joined with the profile it names: every field the client left out takes
//! the profile's default, then the engine's.

use mlx_manager_inference::generation::sampling::SamplingParams;
use mlx_manager_inference::generation::{GenerationRequest, Prompt};
use mlx_manager_inference::text::chat_template::{ChatMessage, RenderOptions};
use serde_json::{Map, Value};

use mlx_manager_core::domain::Profile;

use crate::ModelTarget;

/// The temperature when neither the request nor the profile sets one: the OpenAI and Anthropic
/// APIs' documented default, which their clients assume.
pub const DEFAULT_TEMPERATURE: f32 = 1.0;

/// What to generate from.
#[derive(Debug, Clone)]
pub enum ClientInput {
    /// A conversation for the chat template; `template_options` (e.g. `enable_thinking`) are
    /// laid over the profile's.
    Chat {
        messages: Vec<ChatMessage>,
        template_options: Map<String, Value>,
        /// Tool schemas in the OpenAI shape (`{"type": "function", "function": {…}}`), as
        /// chat templates read them.
        tools: Vec<Value>,
        tool_choice: ToolChoice,
    },
    /// A raw prompt (completions): no template, no system prompt.
    Text(String),
}

/// Which tools the model may call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ToolChoice {
    /// Any of them, or none.
    #[default]
    Auto,
    /// None: the template is not shown the tools, and the answer is text.
    None,
    /// At least one. Without constrained decoding this cannot be enforced; the template sees
    /// the tools as with `Auto`.
    Required,
    /// This function only: the template is shown no other tool.
    Function(String),
}

/// A client's generation request; `None` fields take the profile's default.
#[derive(Debug, Clone)]
pub struct ClientRequest {
    pub input: ClientInput,
    pub max_tokens: Option<usize>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub top_k: Option<usize>,
    pub min_p: Option<f32>,
    pub repetition_penalty: Option<f32>,
    /// OpenAI's additive penalties (no profile default: 0 = off).
    pub frequency_penalty: Option<f32>,
    pub presence_penalty: Option<f32>,
    pub seed: Option<u64>,
    /// `Some`: replaces the profile's stop sequences.
    pub stop: Option<Vec<String>>,
    /// `Some(n)`: each token's log-probability with the `n` most likely alternatives.
    pub logprobs: Option<usize>,
    /// The length when neither the request nor the profile sets one (text completions: 16, as
    /// the OpenAI API); `None`: up to the end of the context.
    pub fallback_max_tokens: Option<usize>,
}

impl ClientRequest {
    pub fn new(input: ClientInput) -> Self {
        Self {
            input,
            max_tokens: None,
            temperature: None,
            top_p: None,
            top_k: None,
            min_p: None,
            repetition_penalty: None,
            frequency_penalty: None,
            presence_penalty: None,
            seed: None,
            stop: None,
            logprobs: None,
            fallback_max_tokens: None,
        }
    }
}

impl ModelTarget {
    /// The engine request: the client's fields, else the profile's, else the defaults. Without
    /// a `max_tokens` anywhere the answer may run to the end of the context.
    pub fn generation_request(&self, request: ClientRequest) -> GenerationRequest {
        generation_request(self.profile.as_ref(), self.context_length, request)
    }
}

/// The engine request for `request` under `profile` (its defaults, system prompt and template
/// options) on a model run with `context_length`; what [`ModelTarget::generation_request`]
/// does, for callers without a pool (`mlx-manager generate`).
pub fn generation_request(
    profile: Option<&Profile>,
    context_length: u64,
    request: ClientRequest,
) -> GenerationRequest {
    let spec = profile.map(|p| &p.spec);
    let defaults = spec.map(|s| &s.generation);
    let engine = SamplingParams::default();
    let sampling = SamplingParams {
        temperature: request
            .temperature
            .or(defaults.and_then(|d| d.temperature).map(|t| t.get() as f32))
            .unwrap_or(DEFAULT_TEMPERATURE),
        top_p: request
            .top_p
            .or(defaults.and_then(|d| d.top_p).map(|t| t.get() as f32))
            .unwrap_or(engine.top_p),
        top_k: request
            .top_k
            .or(defaults.and_then(|d| d.top_k).map(|t| t.get() as usize))
            .unwrap_or(engine.top_k),
        min_p: request
            .min_p
            .or(defaults.and_then(|d| d.min_p).map(|t| t.get() as f32))
            .unwrap_or(engine.min_p),
        repetition_penalty: request
            .repetition_penalty
            .or(defaults
                .and_then(|d| d.repetition_penalty)
                .map(|t| t.get() as f32))
            .unwrap_or(engine.repetition_penalty),
        frequency_penalty: request
            .frequency_penalty
            .unwrap_or(engine.frequency_penalty),
        presence_penalty: request.presence_penalty.unwrap_or(engine.presence_penalty),
        seed: request
            .seed
            .or(defaults.and_then(|d| d.seed).map(|s| s.get())),
        ..engine
    };
    let max_tokens = request
        .max_tokens
        .or(defaults
            .and_then(|d| d.max_tokens)
            .map(|m| m.get() as usize))
        .or(request.fallback_max_tokens)
        .unwrap_or(context_length as usize);
    let stop = request
        .stop
        .unwrap_or_else(|| defaults.map_or_else(Vec::new, |d| d.stop.as_slice().to_vec()));
    // Chat answers keep a reasoning model's thinking out of the answer; raw prompts get
    // the model's text as it is.
    let split_reasoning = matches!(request.input, ClientInput::Chat { .. });
    let mut parse_tool_calls = false;
    let prompt = match request.input {
        ClientInput::Text(text) => Prompt::Text(text),
        ClientInput::Chat {
            mut messages,
            template_options,
            tools,
            tool_choice,
        } => {
            let tools = offered_tools(tools, &tool_choice);
            parse_tool_calls = !tools.is_empty();
            let starts_with_system = messages.first().is_some_and(|m| m.role == "system");
            if let Some(system) = spec.and_then(|s| s.system_prompt.as_ref())
                && !starts_with_system
            {
                messages.insert(0, ChatMessage::new("system", system.as_str()));
            }
            let mut extra = spec.map_or_else(Map::new, |s| s.template_options.as_map().clone());
            extra.extend(template_options);
            Prompt::Chat {
                messages,
                options: RenderOptions {
                    add_generation_prompt: true,
                    tools: parse_tool_calls.then_some(Value::Array(tools)),
                    extra,
                },
            }
        }
    };
    GenerationRequest {
        prompt,
        max_tokens,
        sampling,
        stop,
        split_reasoning,
        parse_tool_calls,
        logprobs: request.logprobs,
    }
}

/// The tools the template is shown under `choice`.
fn offered_tools(tools: Vec<Value>, choice: &ToolChoice) -> Vec<Value> {
    match choice {
        ToolChoice::Auto | ToolChoice::Required => tools,
        ToolChoice::None => Vec::new(),
        ToolChoice::Function(name) => tools
            .into_iter()
            .filter(|tool| tool["function"]["name"].as_str() == Some(name.as_str()))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use mlx_manager_core::domain::profile::ProfileDraft;
    use mlx_manager_core::domain::{Profile, ProfileSpec};
    use mlx_manager_inference::generation::pool::LoadSpec;
    use serde_json::json;

    use super::*;

    fn target(profile: Option<ProfileDraft>) -> ModelTarget {
        let profile = profile.map(|draft| Profile {
            id: 1,
            spec: ProfileSpec::parse(draft).unwrap(),
            created_by: None,
            created_at: 0,
            updated_at: 0,
        });
        ModelTarget {
            name: "m".into(),
            profile,
            context_length: 2048,
            spec: LoadSpec {
                key: "org/m".into(),
                dir: "/nowhere".into(),
                need_bytes: 1,
                pin: false,
                keep_alive: None,
            },
        }
    }

    fn chat(messages: Vec<ChatMessage>, options: Map<String, Value>) -> ClientRequest {
        ClientRequest::new(ClientInput::Chat {
            messages,
            template_options: options,
            tools: Vec::new(),
            tool_choice: ToolChoice::Auto,
        })
    }

    fn profile_draft() -> ProfileDraft {
        ProfileDraft {
            name: "p".into(),
            model: "org/m".into(),
            system_prompt: Some("Be brief.".into()),
            temperature: Some(0.2),
            top_k: Some(40),
            max_tokens: Some(64),
            stop: vec!["END".into()],
            template_options: json!({"enable_thinking": false, "style": "plain"})
                .as_object()
                .cloned()
                .unwrap(),
            ..ProfileDraft::default()
        }
    }

    #[test]
    fn without_a_profile_the_api_defaults_apply_and_the_answer_may_fill_the_context() {
        let request =
            target(None).generation_request(chat(vec![ChatMessage::new("user", "hi")], Map::new()));
        assert_eq!(request.sampling.temperature, DEFAULT_TEMPERATURE);
        assert_eq!(request.sampling.top_k, 0);
        assert_eq!(request.max_tokens, 2048);
        assert!(request.stop.is_empty());
        let Prompt::Chat { messages, options } = request.prompt else {
            panic!("a chat")
        };
        assert_eq!(messages, vec![ChatMessage::new("user", "hi")]);
        assert!(options.add_generation_prompt);
    }

    #[test]
    fn the_profile_fills_what_the_request_leaves_out_and_the_request_wins_the_rest() {
        let target = target(Some(profile_draft()));
        let mut asked = chat(
            vec![ChatMessage::new("user", "hi")],
            json!({"style": "fancy"}).as_object().cloned().unwrap(),
        );
        asked.temperature = Some(0.9);
        let request = target.generation_request(asked);
        assert_eq!(request.sampling.temperature, 0.9);
        assert_eq!(request.sampling.top_k, 40);
        assert_eq!(request.max_tokens, 64);
        assert_eq!(request.stop, ["END"]);
        let Prompt::Chat { messages, options } = request.prompt else {
            panic!("a chat")
        };
        assert_eq!(messages[0], ChatMessage::new("system", "Be brief."));
        assert_eq!(options.extra["enable_thinking"], json!(false));
        assert_eq!(options.extra["style"], json!("fancy"));

        let mut own_system = chat(
            vec![
                ChatMessage::new("system", "Be long."),
                ChatMessage::new("user", "hi"),
            ],
            Map::new(),
        );
        own_system.stop = Some(Vec::new());
        let request = target.generation_request(own_system);
        assert!(
            request.stop.is_empty(),
            "an explicit empty list clears them"
        );
        let Prompt::Chat { messages, .. } = request.prompt else {
            panic!("a chat")
        };
        assert_eq!(
            messages.len(),
            2,
            "the request's system message replaces the profile's"
        );
        assert_eq!(messages[0].content, "Be long.");
    }

    #[test]
    fn a_text_prompt_gets_no_template_and_no_system_prompt() {
        let request = target(Some(profile_draft()))
            .generation_request(ClientRequest::new(ClientInput::Text("Once".into())));
        assert!(matches!(request.prompt, Prompt::Text(ref t) if t == "Once"));
        assert!(!request.split_reasoning);
    }

    #[test]
    fn tools_reach_the_template_as_the_choice_allows_and_switch_on_call_parsing() {
        let tool = |name: &str| json!({"type": "function", "function": {"name": name}});
        let ask = |choice: ToolChoice| {
            let mut request = chat(vec![ChatMessage::new("user", "hi")], Map::new());
            let ClientInput::Chat {
                tools, tool_choice, ..
            } = &mut request.input
            else {
                unreachable!()
            };
            *tools = vec![tool("a"), tool("b")];
            *tool_choice = choice;
            let request = target(None).generation_request(request);
            let Prompt::Chat { options, .. } = request.prompt else {
                panic!("a chat")
            };
            (options.tools, request.parse_tool_calls)
        };
        assert_eq!(
            ask(ToolChoice::Auto),
            (Some(json!([tool("a"), tool("b")])), true)
        );
        assert_eq!(
            ask(ToolChoice::Required).0,
            Some(json!([tool("a"), tool("b")]))
        );
        assert_eq!(ask(ToolChoice::None), (None, false));
        assert_eq!(
            ask(ToolChoice::Function("b".into())),
            (Some(json!([tool("b")])), true)
        );
        let plain =
            target(None).generation_request(chat(vec![ChatMessage::new("user", "hi")], Map::new()));
        assert!(!plain.parse_tool_calls, "no tools, no parsing");
    }

    #[test]
    fn the_fallback_length_applies_only_when_nobody_set_one() {
        let mut completion = ClientRequest::new(ClientInput::Text("Once".into()));
        completion.fallback_max_tokens = Some(16);
        assert_eq!(
            target(None)
                .generation_request(completion.clone())
                .max_tokens,
            16
        );
        let profile = target(Some(profile_draft()));
        assert_eq!(profile.generation_request(completion).max_tokens, 64);
    }
}
