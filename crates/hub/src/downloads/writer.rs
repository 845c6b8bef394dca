//! The disk side of a transfer: batches written on a blocking thread and hashed on another, and
//! the hash of what an earlier run left in a partial blob.

use std::fs::File;
use std::io::{self, IoSlice, Read, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::checksum::{ContentHasher, Expected};
use crate::HubError;

const WRITE_BUFFER: usize = 256 << 10;
/// Below every platform's IOV_MAX (1024 on Linux and macOS).
const MAX_SLICES: usize = 512;

pub(crate) fn disk_error(path: &str, error: io::Error) -> HubError {
    if error.kind() == io::ErrorKind::StorageFull {
        HubError::DiskFull(format!(
            "the disk is full while writing {path}; free some space and resume: the partial data was kept"
        ))
    } else {
        HubError::io(format!("writing {path}"), error)
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
            let mut out = file;
            while let Some(batch) = batches.blocking_recv() {
                write_batch(&mut out, &batch)?;
                written += batch.iter().map(|c| c.len() as u64).sum::<u64>();
                if to_hasher.send(batch).is_err() {
                    break;
                }
            }
            // No fsync: a partial that lost its tail in a power cut is resumed and then fails
            // verification (and is fetched again); nothing unverified is ever promoted.
            Ok(())
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

/// Writes a batch with as few system calls as possible and no copy (vectored writes).
fn write_batch(out: &mut File, batch: &[Bytes]) -> io::Result<()> {
    let mut chunk = 0;
    let mut offset = 0;
    while chunk < batch.len() {
        let slices: Vec<IoSlice<'_>> = std::iter::once(&batch[chunk][offset..])
            .chain(batch[chunk + 1..].iter().map(|b| &b[..]))
            .take(MAX_SLICES)
            .map(IoSlice::new)
            .collect();
        let mut written = match out.write_vectored(&slices) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // Advance past what was written, chunk by chunk.
        while chunk < batch.len() && written >= batch[chunk].len() - offset {
            written -= batch[chunk].len() - offset;
            chunk += 1;
            offset = 0;
        }
        offset += written;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_of_many_chunks_is_written_whole_and_in_order() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("blob");
        let mut file = File::create(&path).unwrap();
        // More chunks than one vectored write takes, of varied sizes.
        let batch: Vec<Bytes> = (0..1500u32)
            .map(|i| Bytes::from(vec![(i % 251) as u8; (i % 7 + 1) as usize]))
            .collect();
        write_batch(&mut file, &batch).unwrap();
        let expected: Vec<u8> = batch.iter().flat_map(|b| b.iter().copied()).collect();
        assert_eq!(std::fs::read(path).unwrap(), expected);
    }
}
