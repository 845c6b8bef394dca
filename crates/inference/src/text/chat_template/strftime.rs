//! `strftime_now(format)`: Python's `datetime.now().strftime(format)`, the current local time.
//!
//! Python formats with the C library's `strftime` (in the "C" locale for times, as here), after
//! handling `%f`, `%z` and `%Z` itself; so does this. The local time comes from `localtime_r`,
//! which, unlike the `time` crate's local offset, works in multi-threaded processes.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current local time formatted as `datetime.now().strftime(format)` would.
pub(super) fn strftime_now(format: &str) -> Result<String, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "the system clock is before 1970".to_owned())?;
    let seconds = i64::try_from(now.as_secs()).map_err(|_| "the system clock is out of range")?;
    format_local(format, seconds, now.subsec_micros())
}

/// `format` applied to the local time of `seconds` after the epoch plus `micros`.
pub(super) fn format_local(format: &str, seconds: i64, micros: u32) -> Result<String, String> {
    let format = python_directives(format, micros);
    if format.is_empty() {
        return Ok(String::new());
    }
    strftime_local(&format, seconds)
}

/// What Python's `datetime.strftime` does before calling C: `%f` becomes the microseconds, and
/// `%z`, `%:z` and `%Z` of a naive datetime (which `datetime.now()` is) become nothing.
fn python_directives(format: &str, micros: u32) -> String {
    let mut out = String::with_capacity(format.len());
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('f') => {
                chars.next();
                out.push_str(&format!("{micros:06}"));
            }
            Some('z' | 'Z') => {
                chars.next();
            }
            Some(':') if format_rest_starts_with(&chars, ":z") => {
                chars.next();
                chars.next();
            }
            Some(next) => {
                chars.next();
                out.push('%');
                out.push(next);
            }
            None => out.push('%'),
        }
    }
    out
}

fn format_rest_starts_with(chars: &std::iter::Peekable<std::str::Chars<'_>>, prefix: &str) -> bool {
    chars.clone().take(prefix.len()).eq(prefix.chars())
}

#[cfg(unix)]
fn strftime_local(format: &str, seconds: i64) -> Result<String, String> {
    use std::ffi::CString;

    let c_format = CString::new(format).map_err(|_| "embedded null character".to_owned())?;
    let time = libc::time_t::try_from(seconds).map_err(|_| "time out of range".to_owned())?;
    // SAFETY: `tm` is plain old data that localtime_r fills in; both pointers are valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&time, &mut tm) }.is_null() {
        return Err("the local time is unknown".to_owned());
    }
    // As Python: grow the buffer while strftime reports that it did not fit (returns 0).
    let limit = 1024 + 256 * format.len();
    let mut size = 1024;
    loop {
        let mut buffer = vec![0u8; size];
        // SAFETY: the buffer holds `size` bytes, the format is NUL-terminated and `tm` is valid.
        let written =
            unsafe { libc::strftime(buffer.as_mut_ptr().cast(), size, c_format.as_ptr(), &tm) };
        if written > 0 || size >= limit {
            buffer.truncate(written);
            return Ok(String::from_utf8_lossy(&buffer).into_owned());
        }
        size *= 2;
    }
}

#[cfg(not(unix))]
fn strftime_local(_format: &str, _seconds: i64) -> Result<String, String> {
    Err("strftime_now is not supported on this platform".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_directives_are_handled_before_c() {
        assert_eq!(python_directives("%Y%f%z%Z%:z|%%f", 42), "%Y000042|%%f");
        assert_eq!(python_directives("end %", 0), "end %");
    }

    #[test]
    fn formats_a_known_time() {
        // Noon UTC on 15 Jan 1970: the 14th, 15th or 16th in every time zone.
        let noon = 14 * 86_400 + 43_200;
        let text = format_local("%b %B %Y %m %% %d", noon, 7).unwrap();
        let (month, day) = text.rsplit_once(' ').unwrap();
        assert_eq!(month, "Jan January 1970 01 %");
        assert!(["14", "15", "16"].contains(&day), "{text}");
        let text = format_local("%H:%M %f", noon, 7).unwrap();
        assert_eq!(text.len(), "12:00 000007".len());
        assert!(text.ends_with(" 000007"), "{text}");
        assert_eq!(format_local("", 0, 0).unwrap(), "");
        assert!(format_local("a\0b", 0, 0).is_err());
    }

    #[test]
    fn now_is_this_year() {
        let year: i32 = strftime_now("%Y").unwrap().parse().unwrap();
        assert!(year >= 2024, "{year}");
    }
}
