//! The policy for choosing a new password (NIST SP 800-63B style): a length range and a
//! strength estimate, no composition rules ("one digit, one symbol") and no silent truncation.

use zxcvbn::{Score, zxcvbn};

use crate::AuthError;

/// Shorter passwords fall to offline guessing too quickly whatever they contain.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Long enough for any passphrase; the bound keeps hashing and strength estimation cheap.
pub const MAX_PASSWORD_CHARS: usize = 128;
/// zxcvbn's "safely unguessable" level: more than 10^10 guesses.
const MIN_SCORE: Score = Score::Three;

/// Accepts or refuses a password a user wants to set.
///
/// `user_inputs` are words the password must not be built from: pass the user's e-mail
/// (its local part and the pieces of it are added here) and any display name.
/// Length is counted in characters, not bytes, and checked before the strength estimate, so a
/// megabyte-long input is refused at once.
///
/// The estimate itself can take a few hundred milliseconds of CPU on crafted input (zxcvbn
/// enumerates l33t substitutions), so from async code call
/// [`PasswordHasher::check_new_password`](crate::PasswordHasher::check_new_password), which
/// runs this on the blocking pool under the hasher's concurrency bound.
pub fn check_new_password(password: &str, user_inputs: &[&str]) -> Result<(), AuthError> {
    // `take` bounds the work on huge inputs: we only need to know "more than the maximum".
    let chars = password.chars().take(MAX_PASSWORD_CHARS + 1).count();
    if chars < MIN_PASSWORD_CHARS || password.trim().is_empty() {
        return Err(weak(format!(
            "it must be at least {MIN_PASSWORD_CHARS} characters long"
        )));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(weak(format!(
            "it must be at most {MAX_PASSWORD_CHARS} characters long"
        )));
    }

    let words = expand_user_inputs(user_inputs);
    let inputs: Vec<&str> = words.iter().map(String::as_str).collect();
    let estimate = zxcvbn(password, &inputs);
    if estimate.score() >= MIN_SCORE {
        return Ok(());
    }

    let lowercase = password.to_lowercase();
    let mut sentences = Vec::new();
    match estimate.feedback().and_then(|f| f.warning()) {
        Some(warning) => sentences.push(lowercase_first(&warning.to_string())),
        // zxcvbn gives no warning for user inputs, which is the case users least expect.
        None if words.iter().any(|w| lowercase.contains(w.as_str())) => {
            sentences.push("it contains your e-mail address or name.".to_owned())
        }
        None => sentences.push("it would be too easy to guess.".to_owned()),
    }
    if let Some(feedback) = estimate.feedback() {
        sentences.extend(feedback.suggestions().iter().map(ToString::to_string));
    }
    Err(weak(sentences.join(" ")))
}

fn weak(reason: String) -> AuthError {
    AuthError::WeakPassword { reason }
}

/// An e-mail alone would only match as a whole; its local part and the words in it
/// ("jane.doe+work" → "jane", "doe", "work") are what people actually reuse.
fn expand_user_inputs(user_inputs: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |word: &str| {
        let word = word.trim().to_lowercase();
        if word.chars().count() >= 3 && !out.contains(&word) {
            out.push(word);
        }
    };
    for input in user_inputs {
        push(input);
        if let Some((local, domain)) = input.rsplit_once('@') {
            push(local);
            local.split(['.', '_', '-', '+']).for_each(&mut push);
            push(&local.replace(['.', '_', '-', '+'], ""));
            if let Some((name, _tld)) = domain.split_once('.') {
                push(name);
            }
        }
    }
    out
}

fn lowercase_first(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    const EMAIL: &str = "jane.doe@example.com";

    fn reason(result: Result<(), AuthError>) -> String {
        match result {
            Err(AuthError::WeakPassword { reason }) => reason,
            other => panic!("expected WeakPassword, got {other:?}"),
        }
    }

    #[test]
    fn strong_passphrase_is_accepted() {
        check_new_password("correct horse battery staple orbit", &[EMAIL]).unwrap();
    }

    #[test]
    fn seven_characters_are_too_short() {
        let reason = reason(check_new_password("x9#Lq2!", &[]));
        assert!(reason.contains("at least 8 characters"), "{reason}");
    }

    #[test]
    fn empty_password_is_too_short() {
        assert!(reason(check_new_password("", &[])).contains("at least 8"));
    }

    #[test]
    fn whitespace_only_password_is_too_short() {
        assert!(reason(check_new_password("                ", &[])).contains("at least 8"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 4 characters, 16 bytes: still too short.
        assert!(reason(check_new_password("🦀🦀🦀🦀", &[])).contains("at least 8"));
        // 10 characters of mixed scripts, well over 10 bytes, accepted when strong.
        check_new_password("Žluťoučký kůň úpěl ďábelské ódy", &[]).unwrap();
    }

    #[test]
    fn exactly_128_characters_is_accepted() {
        let password: String = "vapor-lantern-quiz-97 ".chars().cycle().take(128).collect();
        check_new_password(&password, &[]).unwrap();
    }

    #[test]
    fn more_than_128_characters_is_refused_not_truncated() {
        let password: String = "vapor-lantern-quiz-97 ".chars().cycle().take(129).collect();
        assert!(reason(check_new_password(&password, &[])).contains("at most 128"));
    }

    #[test]
    fn ten_megabyte_input_is_refused_quickly() {
        let huge = "a".repeat(10 * 1024 * 1024);
        let started = Instant::now();
        let reason = reason(check_new_password(&huge, &[EMAIL]));
        assert!(reason.contains("at most 128"), "{reason}");
        assert!(started.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn common_password_is_refused_with_plain_english_reason() {
        let reason = reason(check_new_password("password123", &[]));
        assert!(reason.starts_with("this is"), "{reason}");
        assert!(reason.contains("common password"), "{reason}");
    }

    #[test]
    fn keyboard_row_is_refused_as_a_top_100_password() {
        let reason = reason(check_new_password("qwertyuiop", &[]));
        assert!(reason.contains("top-100 common password"), "{reason}");
    }

    #[test]
    fn email_local_part_with_a_year_is_refused_only_because_of_the_user_input() {
        check_new_password("janedoe1987!", &[]).unwrap();
        let reason = reason(check_new_password("janedoe1987!", &[EMAIL]));
        assert!(reason.contains("e-mail address or name"), "{reason}");
    }

    #[test]
    fn email_itself_is_refused_as_password() {
        let reason = reason(check_new_password(EMAIL, &[EMAIL]));
        assert!(reason.contains("e-mail address or name"), "{reason}");
    }

    #[test]
    fn repeated_words_are_refused_with_a_suggestion() {
        let reason = reason(check_new_password("janedoejanedoe", &[]));
        assert!(reason.contains("Avoid repeated words"), "{reason}");
    }

    #[test]
    fn no_composition_rules_all_lowercase_passphrase_is_fine() {
        check_new_password("tangerine submarine whistles quietly", &[]).unwrap();
    }

    #[test]
    fn user_inputs_include_local_part_and_its_words() {
        let inputs = expand_user_inputs(&["Jane.Doe+work@Example.com"]);
        for word in [
            "jane.doe+work@example.com",
            "jane.doe+work",
            "jane",
            "doe",
            "work",
        ] {
            assert!(
                inputs.contains(&word.to_owned()),
                "{word} missing from {inputs:?}"
            );
        }
        assert!(inputs.contains(&"example".to_owned()));
    }
}
