//! What a model is, read from its `config.json` (and its chat template for tool use).

use serde::Serialize;
use serde_json::Value;

/// Architecture facts a user needs to pick a model and size its profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ModelCharacteristics {
    pub model_type: Option<String>,
    pub architecture_family: Option<String>,
    pub architectures: Vec<String>,
    pub max_position_embeddings: Option<u64>,
    pub num_hidden_layers: Option<u64>,
    pub hidden_size: Option<u64>,
    pub vocab_size: Option<u64>,
    pub num_attention_heads: Option<u64>,
    pub num_key_value_heads: Option<u64>,
    pub quantization_bits: Option<u64>,
    pub quantization_group_size: Option<u64>,
    pub is_multimodal: bool,
    /// `vision` or `audio` when multimodal.
    pub multimodal_type: Option<String>,
    /// The chat template accepts tool definitions.
    pub is_tool_use: bool,
    /// The chat template has an `enable_thinking` switch (Qwen3 and its kin): a profile can
    /// turn reasoning on or off through `template_options`.
    pub has_thinking_switch: bool,
}

impl ModelCharacteristics {
    /// Reads `config.json`; `chat_template` is the model's template when one was found.
    pub fn from_config(config: &Value, chat_template: Option<&str>) -> Self {
        // Vision-language models keep the language model's numbers in `text_config`.
        let text = config.get("text_config").unwrap_or(config);
        let number = |key: &str| {
            text.get(key)
                .and_then(Value::as_u64)
                .or_else(|| config.get(key).and_then(Value::as_u64))
        };
        let model_type = config
            .get("model_type")
            .and_then(Value::as_str)
            .map(str::to_string);
        let architectures: Vec<String> = config
            .get("architectures")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let quantization = config
            .get("quantization")
            .or_else(|| config.get("quantization_config"));
        let quant_number = |key: &str| {
            quantization
                .and_then(|q| q.get(key))
                .and_then(Value::as_u64)
        };
        let multimodal_type = if config.get("vision_config").is_some() {
            Some("vision".to_string())
        } else if config.get("audio_config").is_some() {
            Some("audio".to_string())
        } else {
            None
        };
        Self {
            architecture_family: model_type.as_deref().map(architecture_family),
            model_type,
            architectures,
            max_position_embeddings: number("max_position_embeddings"),
            num_hidden_layers: number("num_hidden_layers"),
            hidden_size: number("hidden_size"),
            vocab_size: number("vocab_size"),
            num_attention_heads: number("num_attention_heads"),
            num_key_value_heads: number("num_key_value_heads")
                .or_else(|| number("num_attention_heads")),
            quantization_bits: quant_number("bits"),
            quantization_group_size: quant_number("group_size"),
            is_multimodal: multimodal_type.is_some(),
            multimodal_type,
            is_tool_use: chat_template.is_some_and(template_supports_tools),
            has_thinking_switch: chat_template.is_some_and(|t| t.contains("enable_thinking")),
        }
    }
}

/// The chat template from `tokenizer_config.json` (a string, or named templates) or
/// `chat_template.jinja`.
pub fn chat_template_from(
    tokenizer_config: Option<&Value>,
    jinja_file: Option<String>,
) -> Option<String> {
    if let Some(template) = jinja_file {
        return Some(template);
    }
    match tokenizer_config?.get("chat_template")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(named) => {
            let texts: Vec<&str> = named
                .iter()
                .filter_map(|t| t.get("template").and_then(Value::as_str))
                .collect();
            (!texts.is_empty()).then(|| texts.join("\n"))
        }
        _ => None,
    }
}

fn template_supports_tools(template: &str) -> bool {
    template.contains("tools") || template.contains("tool_call")
}

/// A display name for the family of a `model_type`.
pub fn architecture_family(model_type: &str) -> String {
    let t = model_type.to_ascii_lowercase();
    let family = [
        ("llama", "Llama"),
        ("qwen", "Qwen"),
        ("mistral", "Mistral"),
        ("mixtral", "Mistral"),
        ("gemma", "Gemma"),
        ("phi", "Phi"),
        ("deepseek", "DeepSeek"),
        ("starcoder", "StarCoder"),
        ("glm", "GLM"),
        ("minimax", "MiniMax"),
        ("gpt_oss", "GPT-OSS"),
        ("smollm", "SmolLM"),
        ("olmo", "OLMo"),
        ("granite", "Granite"),
        ("cohere", "Cohere"),
        ("internlm", "InternLM"),
    ]
    .iter()
    .find(|(prefix, _)| t.starts_with(prefix))
    .map(|(_, family)| family.to_string());
    family.unwrap_or_else(|| model_type.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_quantized_text_model_config_gives_its_numbers() {
        let config = json!({
            "model_type": "qwen3", "architectures": ["Qwen3ForCausalLM"],
            "max_position_embeddings": 40960, "num_hidden_layers": 28, "hidden_size": 1024,
            "vocab_size": 151936, "num_attention_heads": 16, "num_key_value_heads": 8,
            "quantization": {"bits": 4, "group_size": 64}
        });
        let c = ModelCharacteristics::from_config(&config, Some("{% if tools %}x{% endif %}"));
        assert_eq!(c.architecture_family.as_deref(), Some("Qwen"));
        assert_eq!(c.max_position_embeddings, Some(40960));
        assert_eq!(c.num_key_value_heads, Some(8));
        assert_eq!(
            (c.quantization_bits, c.quantization_group_size),
            (Some(4), Some(64))
        );
        assert!(c.is_tool_use);
        assert!(!c.is_multimodal);
        assert!(!c.has_thinking_switch);
    }

    #[test]
    fn a_template_with_enable_thinking_has_the_switch() {
        let template = "{%- if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>{% endif %}";
        let c = ModelCharacteristics::from_config(&json!({"model_type": "qwen3"}), Some(template));
        assert!(c.has_thinking_switch);
    }

    #[test]
    fn a_vision_model_reads_its_text_config_and_is_multimodal() {
        let config = json!({
            "model_type": "gemma3", "vision_config": {},
            "text_config": {"hidden_size": 2560, "num_hidden_layers": 34, "num_attention_heads": 8}
        });
        let c = ModelCharacteristics::from_config(&config, None);
        assert_eq!(c.hidden_size, Some(2560));
        assert_eq!(
            c.num_key_value_heads,
            Some(8),
            "defaults to the attention heads"
        );
        assert!(c.is_multimodal);
        assert_eq!(c.multimodal_type.as_deref(), Some("vision"));
        assert!(!c.is_tool_use);
    }

    #[test]
    fn named_chat_templates_are_joined() {
        let tokenizer_config = json!({"chat_template": [
            {"name": "default", "template": "a"}, {"name": "tool_use", "template": "{{ tools }}"}
        ]});
        let template = chat_template_from(Some(&tokenizer_config), None).unwrap();
        assert!(template_supports_tools(&template));
    }
}
