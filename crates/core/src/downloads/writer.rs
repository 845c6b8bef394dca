//! The disk side of a transfer: batches written on a blocking thread and hashed on another, and
//! the hash of what an earlier run left in a partial blob.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::checksum::{ContentHasher, Expected};
use crate::CoreError;

const WRITE_BUFFER: usize = 256 << 10;

pub(crate) fn disk_error(path: &str, error: io::Error) -> CoreError {
    if error.kind() == io::ErrorKind::StorageFull {
        CoreError::DiskFull(format!(
            "the disk is full while writing {path}; free some space and resume: the partial data was kept"
        ))
    } else {
        CoreError::io(format!("writing {path}"), error)
    }
}

pub(crate) struct WriteOutcome {
    pub hasher: ContentHasher,
    pub written: u64,
    pub error: Option<io::Error>,
}

/// Writes batches on a blocking thread and hashes them on another, so neither the disk nor the
/// hash holds up the network, and none of it runs on the async executor.
pub(crate) fn spawn_writer(
    path: PathBuf,
    append: bool,
    hasher: ContentHasher,
    mut batches: mpsc::Receiver<Vec<Bytes>>,
) -> tokio::task::JoinHandle<WriteOutcome> {
    tokio::task::spawn_blocking(move || {
        let (to_hasher, hasher_input) = std::sync::mpsc::sync_channel::<Vec<Bytes>>(4);
        let hashing = std::thread::spawn(move || {
            let mut hasher = hasher;
            for batch in hasher_input {
                for chunk in &batch {
                    hasher.update(chunk);
                }
            }
            hasher
        });
        let mut written = 0;
        let result = (|| -> io::Result<()> {
            let file = File::options()
                .create(true)
                .append(append)
                .write(true)
                .truncate(!append)
                .open(&path)?;
            let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
            while let Some(batch) = batches.blocking_recv() {
                for chunk in &batch {
                    out.write_all(chunk)?;
                }
                out.flush()?;
                written += batch.iter().map(|c| c.len() as u64).sum::<u64>();
                if to_hasher.send(batch).is_err() {
                    break;
                }
            }
            // No fsync: a partial that lost its tail in a power cut is resumed and then fails
            // verification (and is fetched again); nothing unverified is ever promoted.
            out.flush()
        })();
        batches.close();
        drop(to_hasher);
        let hasher = hashing.join().expect("the hashing thread does not panic");
        WriteOutcome {
            hasher,
            written,
            error: result.err(),
        }
    })
}

/// Hashes what a partial blob holds; one longer than the file is truncated to zero.
/// Returns the hasher, the length kept, and the bytes dropped.
pub(crate) fn hash_prefix(
    path: &Path,
    expected: &Expected,
    size: u64,
) -> io::Result<(ContentHasher, u64, u64)> {
    let mut hasher = expected.hasher(size);
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((hasher, 0, 0)),
        Err(e) => return Err(e),
    };
    let length = file.metadata()?.len();
    if length > size {
        File::create(path)?;
        return Ok((hasher, 0, length));
    }
    // Never read past the length seen: the file may still be growing (or be a device).
    let mut file = file.take(length);
    let mut buffer = vec![0; WRITE_BUFFER];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok((hasher, length, 0))
}
