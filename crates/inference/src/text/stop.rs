//! Stop strings: generation ends where one appears, and it is never emitted, even when it
//! arrives split across several deltas.

#[derive(Debug, Default)]
pub struct StopStrings {
    stops: Vec<String>,
    /// Text received but not yet released, because it might be the start of a stop string.
    pending: String,
}

/// What to do with newly generated text.
#[derive(Debug, PartialEq, Eq)]
pub enum StopCheck {
    /// Release this text (may be empty) and go on.
    Continue(String),
    /// A stop string was found: release `released` (the text before it) and finish; `stop` is
    /// the one that matched.
    Stop { released: String, stop: String },
}

impl StopStrings {
    pub fn new(stops: impl IntoIterator<Item = String>) -> Self {
        Self {
            stops: stops.into_iter().filter(|s| !s.is_empty()).collect(),
            pending: String::new(),
        }
    }

    pub fn push(&mut self, delta: &str) -> StopCheck {
        self.pending.push_str(delta);
        if let Some((at, stop)) = self
            .stops
            .iter()
            .filter_map(|stop| self.pending.find(stop.as_str()).map(|at| (at, stop)))
            .min_by_key(|(at, _)| *at)
        {
            let released = self.pending[..at].to_string();
            let stop = stop.clone();
            self.pending.clear();
            return StopCheck::Stop { released, stop };
        }
        // Hold back the longest tail that could still grow into a stop string.
        let held = self
            .stops
            .iter()
            .flat_map(|stop| {
                (1..stop.len())
                    .rev()
                    .filter(|&n| stop.is_char_boundary(n))
                    .map(move |n| &stop[..n])
            })
            .filter(|prefix| self.pending.ends_with(prefix))
            .map(str::len)
            .max()
            .unwrap_or(0);
        let cut = self.pending.len() - held;
        let released = self.pending[..cut].to_string();
        self.pending.drain(..cut);
        StopCheck::Continue(released)
    }

    /// Releases what was held back when generation ends for another reason.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], deltas: &[&str]) -> (String, bool) {
        let (out, matched) = run_matched(stops, deltas);
        (out, matched.is_some())
    }

    fn run_matched(stops: &[&str], deltas: &[&str]) -> (String, Option<String>) {
        let mut filter = StopStrings::new(stops.iter().map(|s| s.to_string()));
        let mut out = String::new();
        for delta in deltas {
            match filter.push(delta) {
                StopCheck::Continue(text) => out.push_str(&text),
                StopCheck::Stop { released, stop } => {
                    out.push_str(&released);
                    return (out, Some(stop));
                }
            }
        }
        out.push_str(&filter.finish());
        (out, None)
    }

    #[test]
    fn a_stop_string_in_one_delta_ends_the_text_before_it() {
        assert_eq!(
            run(&["END"], &["abc", "xyEND tail"]),
            ("abcxy".into(), true)
        );
    }

    #[test]
    fn a_stop_string_split_across_deltas_is_never_emitted() {
        assert_eq!(
            run(
                &["</answer>"],
                &["The answer is 4</", "ans", "wer>", "more"]
            ),
            ("The answer is 4".into(), true)
        );
    }

    #[test]
    fn text_that_only_looked_like_a_stop_string_is_released() {
        assert!(run(&["STOP"], &["ST", "OP!"]).1);
        assert_eq!(run(&["STOP"], &["ST", "ART"]), ("START".into(), false));
    }

    #[test]
    fn the_earliest_of_several_stop_strings_wins() {
        assert_eq!(
            run_matched(&["\n\n", "###"], &["a###b\n\nc"]),
            ("a".into(), Some("###".into()))
        );
    }

    #[test]
    fn multi_byte_stop_strings_are_matched_on_character_boundaries() {
        assert_eq!(run(&["→é"], &["x→", "éy"]), ("x".into(), true));
    }
}
