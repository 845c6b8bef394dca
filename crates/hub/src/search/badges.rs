//! The short facts shown beside a search result: family, quantization, tools, vision, thinking.

use serde_json::Value;

use super::weights_size::bits_from_name;
use crate::HubModel;
use crate::characteristics::architecture_family;

/// Short facts shown beside a result.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Badges {
    pub architecture: Option<String>,
    pub quantization_bits: Option<u64>,
    pub tool_use: bool,
    pub vision: bool,
    pub thinking: bool,
}

pub(super) fn badges(model: &HubModel) -> Badges {
    let name = model.id.to_lowercase();
    let has_tag = |wanted: &[&str]| model.tags.iter().any(|t| wanted.contains(&t.as_str()));
    let config = model.config.as_ref();
    let model_type = config
        .and_then(|c| c.get("model_type"))
        .and_then(Value::as_str);
    let template = config
        .and_then(|c| c.get("tokenizer_config"))
        .and_then(|t| t.get("chat_template"))
        .map(|t| t.to_string())
        .unwrap_or_default();
    let quantization_bits = config
        .and_then(|c| {
            c.get("quantization")
                .or_else(|| c.get("quantization_config"))
        })
        .and_then(|q| q.get("bits"))
        .and_then(Value::as_u64)
        .or_else(|| bits_from_name(&name));
    Badges {
        architecture: model_type.map(architecture_family),
        quantization_bits,
        tool_use: template.contains("tools")
            || has_tag(&["tool-use", "function-calling", "tools", "agent"]),
        vision: model.pipeline_tag.as_deref() == Some("image-text-to-text")
            || has_tag(&["vision", "image-text-to-text", "multimodal"])
            || name.contains("-vl"),
        thinking: template.contains("<think>")
            || template.contains("enable_thinking")
            || has_tag(&["reasoning", "thinking"])
            || name.contains("thinking")
            || name.contains("-r1"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn badges_read_config_template_tags_and_name() {
        let m: HubModel = serde_json::from_value(serde_json::json!({
            "id": "mlx-community/Qwen3-VL-4B-Thinking-8bit",
            "tags": ["mlx"],
            "config": {"model_type": "qwen3_vl", "tokenizer_config": {"chat_template": "{% if tools %}{% endif %}"}}
        }))
        .unwrap();
        let b = badges(&m);
        assert_eq!(b.architecture.as_deref(), Some("Qwen"));
        assert_eq!(b.quantization_bits, Some(8));
        assert!(b.tool_use && b.vision && b.thinking);
    }
}
