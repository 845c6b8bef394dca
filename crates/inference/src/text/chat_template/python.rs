//! How Python shows template values, so output matches Jinja2 in transformers: `str()` (what
//! `{{ value }}` and `|string` print) and transformers' `tojson` filter (`json.dumps`).

use std::cmp::Ordering;
use std::fmt::Write;

use minijinja::value::{Kwargs, Rest, Value, ValueKind, from_args};
use minijinja::{Error, ErrorKind};

/// Python's `str(value)`: strings as they are, everything else as its `repr`; undefined is empty.
pub(super) fn py_str(value: &Value) -> String {
    match value.kind() {
        ValueKind::Undefined => String::new(),
        ValueKind::String => value.as_str().unwrap_or_default().to_owned(),
        _ => {
            let mut out = String::new();
            write_repr(&mut out, value);
            out
        }
    }
}

/// Python's `repr(value)` for the plain data templates see: `None`, `True`, `1.0`, `'text'`,
/// `[1, 'a']`, `{'k': 'v'}`. Other objects (loops, namespaces, macros) print as minijinja shows
/// them.
fn write_repr(out: &mut String, value: &Value) {
    match value.kind() {
        ValueKind::Undefined => out.push_str("Undefined"),
        ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if value.is_true() { "True" } else { "False" }),
        ValueKind::Number => write_number(out, value, false),
        ValueKind::String => write_str_repr(out, value.as_str().unwrap_or_default()),
        ValueKind::Seq => {
            out.push('[');
            for (index, item) in value.try_iter().into_iter().flatten().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_repr(out, &item);
            }
            out.push(']');
        }
        ValueKind::Map => {
            out.push('{');
            for (index, (key, item)) in map_items(value).into_iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                write_repr(out, &key);
                out.push_str(": ");
                write_repr(out, &item);
            }
            out.push('}');
        }
        _ => {
            let _ = write!(out, "{value}");
        }
    }
}

/// A map's key/value pairs in its order (insertion order, as in Python dicts).
fn map_items(value: &Value) -> Vec<(Value, Value)> {
    match value.as_object().and_then(|object| object.try_iter_pairs()) {
        Some(pairs) => pairs.collect(),
        None => value
            .try_iter()
            .into_iter()
            .flatten()
            .map(|key| {
                let item = value.get_item(&key).unwrap_or_default();
                (key, item)
            })
            .collect(),
    }
}

/// An integer as digits, a float as Python's `repr` (`json` spells the non-finite ones
/// `NaN`/`Infinity`, `repr` `nan`/`inf`).
fn write_number(out: &mut String, value: &Value, json: bool) {
    if value.is_integer() {
        let _ = write!(out, "{value}");
        return;
    }
    let float = f64::try_from(value.clone()).unwrap_or(f64::NAN);
    match (float.is_finite(), json) {
        (true, _) => out.push_str(&float_repr(float)),
        (false, true) if float.is_nan() => out.push_str("NaN"),
        (false, true) => out.push_str(if float > 0.0 { "Infinity" } else { "-Infinity" }),
        (false, false) if float.is_nan() => out.push_str("nan"),
        (false, false) => out.push_str(if float > 0.0 { "inf" } else { "-inf" }),
    }
}

/// Python's `repr(float)` of a finite float: the shortest digits that round-trip, positional for
/// decimal exponents in -4..16 (always with a fraction: `1.0`), else `1e+16`, `1.5e-07`.
pub(super) fn float_repr(float: f64) -> String {
    let sign = if float.is_sign_negative() { "-" } else { "" };
    // Rust's `{:e}` gives the shortest round-trip digits too: "1.2345e-7".
    let scientific = format!("{:e}", float.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exponent) {
        if exponent < 0 {
            let zeros = "0".repeat((-exponent - 1) as usize);
            format!("{sign}0.{zeros}{digits}")
        } else {
            let whole = exponent as usize + 1;
            if digits.len() > whole {
                format!("{sign}{}.{}", &digits[..whole], &digits[whole..])
            } else {
                format!("{sign}{digits}{}.0", "0".repeat(whole - digits.len()))
            }
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let point = if rest.is_empty() { "" } else { "." };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!(
            "{sign}{first}{point}{rest}e{exponent_sign}{:02}",
            exponent.unsigned_abs()
        )
    }
}

/// Python's `repr(str)`: single quotes unless the text has `'` and no `"`.
fn write_str_repr(out: &mut String, text: &str) {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// transformers' `tojson` filter:
/// `json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)`, with
/// those parameters by position or by name.
pub(super) fn tojson(value: &Value, args: Rest<Value>) -> Result<Value, Error> {
    let (positional, kwargs): (&[Value], Kwargs) = from_args(&args)?;
    const NAMES: [&str; 4] = ["ensure_ascii", "indent", "separators", "sort_keys"];
    if positional.len() > NAMES.len() {
        return Err(Error::new(
            ErrorKind::TooManyArguments,
            "tojson takes at most 4 arguments",
        ));
    }
    let mut params: [Option<Value>; 4] = Default::default();
    for (index, name) in NAMES.iter().enumerate() {
        let by_name: Option<Value> = kwargs.get(name)?;
        params[index] = match (positional.get(index), by_name) {
            (Some(_), Some(_)) => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("tojson got multiple values for argument {name:?}"),
                ));
            }
            (Some(value), None) => Some(value.clone()),
            (None, by_name) => by_name,
        };
    }
    kwargs.assert_all_used()?;
    let [ensure_ascii, indent, separators, sort_keys] = params;

    let indent = match indent {
        None => None,
        Some(indent) if indent.is_none() => None,
        // Python repeats a space `indent` times (so 0 or less means newlines only); True is 1.
        Some(indent) if indent.kind() == ValueKind::Bool => {
            Some(if indent.is_true() { " " } else { "" }.to_owned())
        }
        Some(indent) if indent.is_integer() => {
            let count = i64::try_from(indent)?.max(0);
            Some(" ".repeat(count as usize))
        }
        Some(indent) if indent.kind() == ValueKind::String => {
            Some(indent.as_str().unwrap_or_default().to_owned())
        }
        Some(indent) => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("tojson: indent must be an integer or a string, not {indent}"),
            ));
        }
    };
    let (item_separator, key_separator) = match separators {
        Some(separators) if !separators.is_none() => {
            let parts: Vec<Value> = separators.try_iter()?.collect();
            match parts.as_slice() {
                [item, key] if item.as_str().is_some() && key.as_str().is_some() => (
                    item.as_str().unwrap_or_default().to_owned(),
                    key.as_str().unwrap_or_default().to_owned(),
                ),
                _ => {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "tojson: separators must be two strings (item, key)",
                    ));
                }
            }
        }
        // json.dumps: ", " between items unless indenting, where the newline follows ",".
        _ if indent.is_some() => (",".to_owned(), ": ".to_owned()),
        _ => (", ".to_owned(), ": ".to_owned()),
    };
    let dumper = JsonDumper {
        ensure_ascii: ensure_ascii.is_some_and(|value| value.is_true()),
        indent,
        item_separator,
        key_separator,
        sort_keys: sort_keys.is_some_and(|value| value.is_true()),
    };
    let mut out = String::new();
    dumper.write(&mut out, value, 0)?;
    Ok(Value::from(out))
}

/// `json.dumps` with its options.
pub(super) struct JsonDumper {
    pub ensure_ascii: bool,
    pub indent: Option<String>,
    pub item_separator: String,
    pub key_separator: String,
    pub sort_keys: bool,
}

impl JsonDumper {
    pub(super) fn write(&self, out: &mut String, value: &Value, level: usize) -> Result<(), Error> {
        match value.kind() {
            ValueKind::None => out.push_str("null"),
            ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
            ValueKind::Number => write_number(out, value, true),
            ValueKind::String => self.write_string(out, value.as_str().unwrap_or_default()),
            ValueKind::Seq => {
                let items: Vec<Value> = value.try_iter()?.collect();
                if items.is_empty() {
                    out.push_str("[]");
                    return Ok(());
                }
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    self.open_item(out, index, level + 1);
                    self.write(out, item, level + 1)?;
                }
                self.close(out, level);
                out.push(']');
            }
            ValueKind::Map => {
                let mut items = map_items(value)
                    .into_iter()
                    .map(|(key, item)| Ok((json_key(&key)?, key, item)))
                    .collect::<Result<Vec<_>, Error>>()?;
                if items.is_empty() {
                    out.push_str("{}");
                    return Ok(());
                }
                if self.sort_keys {
                    items.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(Ordering::Equal));
                }
                out.push('{');
                for (index, (key, _, item)) in items.iter().enumerate() {
                    self.open_item(out, index, level + 1);
                    self.write_string(out, key);
                    out.push_str(&self.key_separator);
                    self.write(out, item, level + 1)?;
                }
                self.close(out, level);
                out.push('}');
            }
            _ => {
                let kind = match value.kind() {
                    ValueKind::Undefined => "Undefined".to_owned(),
                    kind => kind.to_string(),
                };
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("Object of type {kind} is not JSON serializable"),
                ));
            }
        }
        Ok(())
    }

    fn open_item(&self, out: &mut String, index: usize, level: usize) {
        if index > 0 {
            out.push_str(&self.item_separator);
        }
        if let Some(indent) = &self.indent {
            out.push('\n');
            for _ in 0..level {
                out.push_str(indent);
            }
        }
    }

    fn close(&self, out: &mut String, level: usize) {
        if let Some(indent) = &self.indent {
            out.push('\n');
            for _ in 0..level {
                out.push_str(indent);
            }
        }
    }

    /// Python's JSON string escapes: the short ones, `\u00XX` for other control characters, and
    /// with `ensure_ascii` `\uXXXX` (surrogate pairs above the BMP) for everything past `~`.
    fn write_string(&self, out: &mut String, text: &str) {
        out.push('"');
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 || (self.ensure_ascii && (c as u32) > 0x7e) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        let _ = write!(out, "\\u{unit:04x}");
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }
}

/// A dict key as `json.dumps` writes it: strings as they are, numbers, booleans and None
/// converted, anything else an error.
fn json_key(key: &Value) -> Result<String, Error> {
    match key.kind() {
        ValueKind::String => Ok(key.as_str().unwrap_or_default().to_owned()),
        ValueKind::None => Ok("null".to_owned()),
        ValueKind::Bool => Ok(if key.is_true() { "true" } else { "false" }.to_owned()),
        ValueKind::Number => {
            let mut out = String::new();
            write_number(&mut out, key, true);
            Ok(out)
        }
        kind => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("keys must be str, int, float, bool or None, not {kind}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_repr() {
        for (float, python) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1.5, "1.5"),
            (123.456, "123.456"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (1e100, "1e+100"),
            (-2.5, "-2.5"),
            (1.0 / 3.0, "0.3333333333333333"),
        ] {
            assert_eq!(float_repr(float), python, "{float:?}");
        }
    }

    #[test]
    fn values_print_as_python_str() {
        let value = Value::from_serialize(serde_json::json!({
            "a": [1, 2.0, true, null, "it's", "x\ny"],
            "b": {"c": "d"},
        }));
        assert_eq!(
            py_str(&value),
            r#"{'a': [1, 2.0, True, None, "it's", 'x\ny'], 'b': {'c': 'd'}}"#
        );
        assert_eq!(py_str(&Value::from("plain")), "plain");
        assert_eq!(py_str(&Value::UNDEFINED), "");
        assert_eq!(py_str(&Value::from(())), "None");
    }

    #[test]
    fn json_strings_escape_as_python() {
        let dumper = |ensure_ascii| JsonDumper {
            ensure_ascii,
            indent: None,
            item_separator: ", ".into(),
            key_separator: ": ".into(),
            sort_keys: false,
        };
        let mut out = String::new();
        dumper(false).write_string(&mut out, "é\"\\\n\u{1}\u{7f}🌍");
        assert_eq!(out, "\"é\\\"\\\\\\n\\u0001\u{7f}🌍\"");
        out.clear();
        dumper(true).write_string(&mut out, "é\u{7f}🌍");
        assert_eq!(out, "\"\\u00e9\\u007f\\ud83c\\udf0d\"");
    }
}
