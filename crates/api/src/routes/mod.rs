//! One module per resource; each handler parses, calls the domain, and maps the result.

pub mod health;
