//! A loader without weights: configurable delays and failures, and a record of drops.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use super::super::*;
use crate::InferenceError;
use crate::generation::LoadProgress;

#[derive(Default)]
pub(super) struct FakeLoader {
    pub loads: AtomicUsize,
    /// Per model name: how long its load takes.
    pub delay: HashMap<&'static str, Duration>,
    /// Errors the next loads of a model return, in order.
    pub failures: Mutex<HashMap<String, Vec<InferenceError>>>,
    /// Models dropped, in order.
    pub dropped: std::sync::Arc<Mutex<Vec<String>>>,
    /// Per model: the bytes its cache holds (filled to the bound the pool gives it).
    pub caches: Mutex<HashMap<String, Arc<AtomicU64>>>,
    /// Host memory each load reports beyond its tensors (a tokenizer).
    pub host_bytes: u64,
    /// Models whose caches were released, in order.
    pub released: Mutex<Vec<String>>,
    /// Per model: the bytes its running requests hold (set by the test).
    pub running: Mutex<HashMap<String, Arc<AtomicU64>>>,
    /// Per model: the batch size the pool gave it last.
    pub batch_sizes: Mutex<HashMap<String, usize>>,
}

pub(super) struct FakeModel {
    pub name: String,
    dropped: std::sync::Arc<Mutex<Vec<String>>>,
}

impl Drop for FakeModel {
    fn drop(&mut self) {
        self.dropped.lock().unwrap().push(self.name.clone());
    }
}

impl Loader for FakeLoader {
    type Model = FakeModel;

    fn load(
        &self,
        dir: &Path,
        mut progress: Box<dyn FnMut(LoadProgress) + Send>,
    ) -> Result<Loaded<FakeModel>, InferenceError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        let name = dir.to_str().unwrap().to_string();
        progress(LoadProgress {
            bytes_loaded: 0,
            bytes_total: 10,
        });
        if let Some(delay) = self.delay.get(name.as_str()) {
            std::thread::sleep(*delay);
        }
        if let Some(errors) = self.failures.lock().unwrap().get_mut(&name)
            && !errors.is_empty()
        {
            return Err(errors.remove(0));
        }
        progress(LoadProgress {
            bytes_loaded: 10,
            bytes_total: 10,
        });
        Ok(Loaded {
            memory_bytes: 50,
            host_bytes: self.host_bytes,
            model: FakeModel {
                name,
                dropped: self.dropped.clone(),
            },
        })
    }

    fn running_bytes(&self, model: &FakeModel) -> Option<Arc<AtomicU64>> {
        let held = Arc::new(AtomicU64::new(0));
        let mut running = self.running.lock().unwrap();
        running.insert(model.name.clone(), held.clone());
        Some(held)
    }

    fn batch_within(&self, model: &FakeModel, requests: usize) {
        let mut sizes = self.batch_sizes.lock().unwrap();
        sizes.insert(model.name.clone(), requests);
    }

    fn cache_within(&self, model: &FakeModel, limit_bytes: u64) -> Option<Arc<AtomicU64>> {
        let held = Arc::new(AtomicU64::new(limit_bytes));
        let mut caches = self.caches.lock().unwrap();
        caches.insert(model.name.clone(), held.clone());
        Some(held)
    }

    fn release_cache(&self, model: &FakeModel) {
        if let Some(held) = self.caches.lock().unwrap().get(&model.name) {
            held.store(0, Ordering::SeqCst);
        }
        self.released.lock().unwrap().push(model.name.clone());
    }
}
