//! Profiles, the model pool and servers, through the real binary and the real engine on the
//! project's fixtures installed into a test Hugging Face cache.

mod profiles;
mod servers;
