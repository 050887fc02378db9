//! The backup file: `KITHBAK1`, the payload (the database compressed with zstd, then
//! optionally encrypted with age), the manifest as JSON, the manifest's length, `KITHEND1`.
//!
//! The manifest sits at the end so the payload can be streamed in one pass and its SHA-256
//! written after it. Because the payload is a plain age/zstd stream, a backup can be opened
//! even without Kith: cut the payload out, then `age -d | zstd -d`.

use super::{Manifest, Protection};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

const HEAD: &[u8; 8] = b"KITHBAK1";
const TAIL: &[u8; 8] = b"KITHEND1";
/// Compression level: fast enough for a 1 GB database in seconds, still a good ratio.
const ZSTD_LEVEL: i32 = 3;
/// A manifest larger than this is not ours.
const MAX_MANIFEST: u64 = 1 << 20;

/// What can be wrong with a backup file.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The file does not have the shape of a Kith backup.
    #[error("not a Kith backup or cut short: {0}")]
    Format(String),
    /// The payload's SHA-256 differs from the manifest: the file is damaged.
    #[error("checksum mismatch: the file is damaged (expected {expected}, found {found})")]
    Checksum {
        /// From the manifest.
        expected: String,
        /// Computed.
        found: String,
    },
    /// Decryption failed: wrong passphrase or key, or no key configured.
    #[error("cannot decrypt: {0}")]
    Decrypt(String),
    /// The payload does not decompress.
    #[error("the payload does not decompress: {0}")]
    Decompress(String),
}

/// Counts and hashes what passes through to the file.
struct Hashing<W> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Writes `database` as a backup file at `out` (created; fsynced). Fills in the manifest's
/// payload size and checksum and returns it as written.
pub fn write(
    database: &Path,
    mut manifest: Manifest,
    protection: &Protection,
    out: &Path,
) -> Result<Manifest, ArchiveError> {
    let mut file = BufWriter::with_capacity(1 << 20, File::create(out)?);
    file.write_all(HEAD)?;
    let sink = Hashing {
        inner: file,
        sha: Sha256::new(),
        bytes: 0,
    };
    let mut input = BufReader::with_capacity(1 << 20, File::open(database)?);
    let sink = match protection.encryptor()? {
        None => {
            let mut z = zstd::Encoder::new(sink, ZSTD_LEVEL)?;
            io::copy(&mut input, &mut z)?;
            z.finish()?
        }
        Some(encryptor) => {
            let age = encryptor.wrap_output(sink)?;
            let mut z = zstd::Encoder::new(age, ZSTD_LEVEL)?;
            io::copy(&mut input, &mut z)?;
            z.finish()?.finish()?
        }
    };
    manifest.payload_bytes = sink.bytes;
    manifest.payload_sha256 = hex::encode(sink.sha.finalize());
    let mut file = sink.inner;
    let json = serde_json::to_vec(&manifest).map_err(io::Error::other)?;
    file.write_all(&json)?;
    file.write_all(&(json.len() as u64).to_le_bytes())?;
    file.write_all(TAIL)?;
    let file = file.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(manifest)
}

/// Reads the manifest without touching the payload.
pub fn manifest(path: &Path) -> Result<Manifest, ArchiveError> {
    let mut file = File::open(path)?;
    read_manifest(&mut file)
}

fn read_manifest(file: &mut File) -> Result<Manifest, ArchiveError> {
    let len = file.metadata()?.len();
    let bad = |m: &str| ArchiveError::Format(m.to_string());
    if len < 24 {
        return Err(bad("the file is too short"));
    }
    let mut head = [0u8; 8];
    file.read_exact(&mut head)?;
    if &head != HEAD {
        return Err(bad("the file does not start like a Kith backup"));
    }
    file.seek(SeekFrom::Start(len - 16))?;
    let mut tail = [0u8; 16];
    file.read_exact(&mut tail)?;
    if &tail[8..] != TAIL {
        return Err(bad("the end of the file is missing"));
    }
    let mut n = [0u8; 8];
    n.copy_from_slice(&tail[..8]);
    let json_len = u64::from_le_bytes(n);
    if json_len > MAX_MANIFEST || json_len + 24 > len {
        return Err(bad("the manifest length is out of range"));
    }
    file.seek(SeekFrom::Start(len - 16 - json_len))?;
    let mut json = vec![0u8; json_len as usize];
    file.read_exact(&mut json)?;
    let manifest: Manifest = serde_json::from_slice(&json)
        .map_err(|e| ArchiveError::Format(format!("the manifest is unreadable: {e}")))?;
    if manifest.payload_bytes + json_len + 24 != len {
        return Err(bad("the payload size does not match the manifest"));
    }
    Ok(manifest)
}

/// A backup's payload, read through the checksum.
type Payload = Hashing<io::Take<BufReader<File>>>;

/// Opens the payload of a backup for reading through the checksum.
fn payload(path: &Path) -> Result<(Manifest, Payload), ArchiveError> {
    let mut file = File::open(path)?;
    let manifest = read_manifest(&mut file)?;
    file.seek(SeekFrom::Start(HEAD.len() as u64))?;
    let source = Hashing {
        inner: BufReader::with_capacity(1 << 20, file).take(manifest.payload_bytes),
        sha: Sha256::new(),
        bytes: 0,
    };
    Ok((manifest, source))
}

/// Hashes whatever was not read yet, so the checksum covers the whole payload, and
/// compares it with the manifest.
fn check_sum<R: Read>(manifest: &Manifest, mut source: Hashing<R>) -> Result<(), ArchiveError> {
    io::copy(&mut source, &mut io::sink())?;
    let found = hex::encode(source.sha.finalize());
    if found != manifest.payload_sha256 {
        return Err(ArchiveError::Checksum {
            expected: manifest.payload_sha256.clone(),
            found,
        });
    }
    Ok(())
}

/// Checks the payload's checksum and unpacks the database to `out`. Returns the manifest.
/// A damaged file is reported as a checksum mismatch even when it also fails to decode.
pub fn unpack(path: &Path, protection: &Protection, out: &Path) -> Result<Manifest, ArchiveError> {
    let (manifest, mut source) = payload(path)?;
    let mut target = BufWriter::with_capacity(1 << 20, File::create(out)?);
    let decoded = decode(&mut source, &manifest, protection, &mut target);
    check_sum(&manifest, source)?;
    decoded?;
    let target = target.into_inner().map_err(|e| e.into_error())?;
    target.sync_all()?;
    Ok(manifest)
}

fn decode<R: Read, W: Write>(
    source: &mut R,
    manifest: &Manifest,
    protection: &Protection,
    target: &mut W,
) -> Result<(), ArchiveError> {
    let unzip = |r: &mut dyn Read, w: &mut W| -> Result<(), ArchiveError> {
        let mut z = zstd::Decoder::new(r).map_err(|e| ArchiveError::Decompress(e.to_string()))?;
        io::copy(&mut z, w).map_err(|e| ArchiveError::Decompress(e.to_string()))?;
        Ok(())
    };
    if manifest.encryption == "none" {
        return unzip(source, target);
    }
    let mut plain = protection.decrypt(source, &manifest.encryption)?;
    unzip(&mut plain, target)
}

/// Re-reads the payload and compares its SHA-256 with the manifest.
pub fn checksum(path: &Path) -> Result<Manifest, ArchiveError> {
    let (manifest, source) = payload(path)?;
    check_sum(&manifest, source)?;
    Ok(manifest)
}
