//! The sampling fields chat and text completions share: their ranges (each refusal naming its
//! field) and how they reach serving's [`ClientRequest`].

use mlx_manager_serving::ClientRequest;

use super::chat::request::StopField;

/// Most stop sequences a request may give (as profiles).
const MAX_STOP: usize = 16;

/// The sampling fields of one request, moved out of its body.
#[derive(Debug, Default)]
pub struct SamplingFields {
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub top_k: Option<u32>,
    pub min_p: Option<f32>,
    pub repetition_penalty: Option<f32>,
    pub frequency_penalty: Option<f32>,
    pub presence_penalty: Option<f32>,
    pub seed: Option<i64>,
    pub stop: Option<StopField>,
}

/// The fields checked: what [`SamplingFields::apply`] sets.
#[derive(Debug)]
pub struct CheckedSampling {
    fields: SamplingFields,
    stop: Option<Vec<String>>,
}

impl SamplingFields {
    /// Reports every out-of-range field to `refuse`.
    pub fn check(mut self, refuse: &mut impl FnMut(&str, &str)) -> CheckedSampling {
        if self.temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
            refuse("temperature", "must be between 0 and 2");
        }
        if self.top_p.is_some_and(|p| !(p > 0.0 && p <= 1.0)) {
            refuse("top_p", "must be more than 0 and at most 1");
        }
        if self.min_p.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
            refuse("min_p", "must be between 0 and 1");
        }
        if self
            .repetition_penalty
            .is_some_and(|p| p <= 0.0 || !p.is_finite())
        {
            refuse("repetition_penalty", "must be more than 0");
        }
        // OpenAI's range for both.
        for (field, value) in [
            ("frequency_penalty", self.frequency_penalty),
            ("presence_penalty", self.presence_penalty),
        ] {
            if value.is_some_and(|v| !(-2.0..=2.0).contains(&v)) {
                refuse(field, "must be between -2 and 2");
            }
        }
        if self.seed.is_some_and(|s| s < 0) {
            refuse("seed", "must not be negative");
        }
        let stop = match self.stop.take() {
            None => None,
            Some(StopField::One(one)) => Some(vec![one]),
            Some(StopField::Many(many)) => Some(many),
        };
        if let Some(stop) = &stop {
            if stop.len() > MAX_STOP {
                refuse("stop", "may hold at most 16 sequences");
            }
            if stop.iter().any(String::is_empty) {
                refuse("stop", "sequences must not be empty");
            }
        }
        CheckedSampling { fields: self, stop }
    }
}

impl CheckedSampling {
    /// Sets the request's sampling fields (unset ones stay the profile's).
    pub fn apply(self, request: &mut ClientRequest) {
        let fields = self.fields;
        request.temperature = fields.temperature;
        request.top_p = fields.top_p;
        request.top_k = fields.top_k.map(|k| k as usize);
        request.min_p = fields.min_p;
        request.repetition_penalty = fields.repetition_penalty;
        request.frequency_penalty = fields.frequency_penalty;
        request.presence_penalty = fields.presence_penalty;
        request.seed = fields.seed.map(|s| s as u64);
        request.stop = self.stop;
    }
}
