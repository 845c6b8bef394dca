//! How big a hub model's weights are, from what search tells before anything is downloaded.

use crate::HubModel;

/// Weights size from the safetensors parameter counts, else the repo's storage, else a guess
/// from the name; `None` when nothing tells.
pub(super) fn estimated_size(model: &HubModel) -> Option<u64> {
    if let Some(info) = &model.safetensors {
        let bytes: u64 = info
            .parameters
            .iter()
            .map(|(dtype, count)| count * dtype_bytes(dtype))
            .sum();
        if bytes > 0 {
            return Some(bytes);
        }
    }
    model
        .used_storage
        .filter(|&s| s > 0)
        .or_else(|| size_from_name(&model.id))
}

fn dtype_bytes(dtype: &str) -> u64 {
    match dtype.to_ascii_uppercase().as_str() {
        "F64" | "I64" | "U64" => 8,
        "F32" | "I32" | "U32" => 4,
        "F16" | "BF16" | "I16" | "U16" => 2,
        _ => 1,
    }
}

/// "Qwen3-8B-4bit" → 8e9 parameters × 4 bits, plus 10 % for scales and embeddings.
fn size_from_name(id: &str) -> Option<u64> {
    let name = id.rsplit('/').next().unwrap_or(id).to_lowercase();
    let params: f64 = name.split(['-', '_']).find_map(|part| {
        let number = part.strip_suffix('b')?;
        number
            .parse::<f64>()
            .ok()
            .filter(|n| *n > 0.0 && *n < 2000.0)
    })? * 1e9;
    let bits = bits_from_name(&name).unwrap_or(16) as f64;
    Some((params * bits / 8.0 * 1.1) as u64)
}

/// The quantization width a name announces ("-4bit").
pub(super) fn bits_from_name(name: &str) -> Option<u64> {
    name.split(['-', '_']).find_map(|part| {
        let part = part.strip_suffix("bit")?.trim_end_matches('-');
        part.parse().ok().filter(|b| (1..=16).contains(b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::tests::model;

    #[test]
    fn size_comes_from_safetensors_parameters_per_dtype() {
        let mut m = model("mlx-community/x");
        m.safetensors = serde_json::from_value(serde_json::json!({
            "parameters": {"U32": 1000, "BF16": 500}, "total": 1500
        }))
        .ok();
        assert_eq!(estimated_size(&m), Some(5000));
    }

    #[test]
    fn without_metadata_the_size_is_guessed_from_the_name() {
        let size = estimated_size(&model("mlx-community/Qwen3-8B-4bit")).unwrap();
        assert_eq!(size, 4_400_000_000);
        assert_eq!(estimated_size(&model("org/no-size-here")), None);
    }
}
