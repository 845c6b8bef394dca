//! Assertions several modules of this binary make the same way (the harness itself is the
//! `mlx_manager_tests` library).

use std::process::Output;

/// A process's standard error, as text.
pub fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A failed start says one thing, on one line, without a panic or backtrace.
pub fn assert_one_clear_line(output: &Output, expected: &str) {
    assert!(!output.status.success(), "expected a failure");
    let stderr = stderr_of(output);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(
        errors.len(),
        1,
        "exactly one error line expected:\n{stderr}"
    );
    assert!(
        errors[0].contains(expected),
        "{:?} should mention {expected:?}",
        errors[0]
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}
