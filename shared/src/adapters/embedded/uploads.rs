//! The `Uploads` port for the local runner: files in `<data_dir>/uploads`,
//! put and read through the runner's own `/_dev/uploads/<key>` routes.
//!
//! An upload URL carries the content type, size and expiry it allows and an
//! HMAC over them and the key (with the platform's secret key), so, as with S3,
//! only the granted file is accepted, and only until the URL expires.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use async_trait::async_trait;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use serde::Deserialize;

use crate::{
    accounts::hashes_equal,
    clock::Clock,
    media::{self, PresignedPut, PutGrant, Uploads, UploadsError},
    secrets::SecretKey,
};

/// Where the runner serves uploads.
pub const UPLOADS_PATH: &str = "/_dev/uploads";

/// The query string of an upload URL: what it allows, and its signature.
#[derive(Clone, Debug, Deserialize)]
pub struct UploadSignature {
    #[serde(rename = "type")]
    pub content_type: String,
    pub size: u64,
    /// Unix seconds.
    pub expires: i64,
    pub signature: String,
}

/// Why a PUT to an upload URL is refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadRefused {
    #[error("the key may hold only a-z, 0-9, '-', '.' and '/', with no empty or '..' segments")]
    BadKey,
    #[error("the upload URL's signature is not valid: ask for a new upload URL")]
    BadSignature,
    #[error("the upload URL has expired: ask for a new one")]
    Expired,
    #[error("this URL takes Content-Type {0} only")]
    WrongType(String),
    #[error("this URL takes exactly {allowed} bytes, not {sent}")]
    WrongSize { allowed: u64, sent: u64 },
    #[error("storing the file failed: {0}")]
    Storage(String),
}

pub struct EmbeddedUploads {
    /// The runner's address, which upload URLs point at.
    base_url: String,
    key: SecretKey,
    dir: PathBuf,
    clock: Arc<dyn Clock>,
}

impl EmbeddedUploads {
    /// Files go under `dir`; URLs point at `base_url` (the runner).
    pub fn new(base_url: &str, key: SecretKey, dir: &Path, clock: Arc<dyn Clock>) -> Self {
        EmbeddedUploads {
            base_url: base_url.trim_end_matches('/').to_string(),
            key,
            dir: dir.to_path_buf(),
            clock,
        }
    }

    fn signature(&self, key: &str, content_type: &str, size: u64, expires: i64) -> String {
        let (size, expires) = (size.to_string(), expires.to_string());
        let fields = ["dev-upload", key, content_type, &size, &expires];
        let parts: Vec<&[u8]> = fields
            .iter()
            .flat_map(|field| [field.as_bytes(), b"\0"])
            .collect();
        B64.encode(self.key.mac(&parts))
    }

    /// Stores `body` at `key` if the signed URL allows exactly this PUT now.
    pub async fn accept_put(
        &self,
        key: &str,
        signed: &UploadSignature,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<(), UploadRefused> {
        let path = self.path_of(key)?;
        let expected = self.signature(key, &signed.content_type, signed.size, signed.expires);
        if !hashes_equal(&expected, &signed.signature) {
            return Err(UploadRefused::BadSignature);
        }
        if self.clock.now().as_second() > signed.expires {
            return Err(UploadRefused::Expired);
        }
        if content_type != Some(signed.content_type.as_str()) {
            return Err(UploadRefused::WrongType(signed.content_type.clone()));
        }
        let sent = body.len() as u64;
        if sent != signed.size {
            return Err(UploadRefused::WrongSize {
                allowed: signed.size,
                sent,
            });
        }
        let storage = |e: std::io::Error| UploadRefused::Storage(e.to_string());
        tokio::task::spawn_blocking(move || {
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder)?;
            }
            std::fs::write(&path, body)
        })
        .await
        .map_err(|e| UploadRefused::Storage(e.to_string()))?
        .map_err(storage)
    }

    /// The stored file at `key` and its content type, if there is one.
    pub async fn read(&self, key: &str) -> Option<(&'static str, Vec<u8>)> {
        let content_type = media::content_type_of(key)?;
        let path = self.path_of(key).ok()?;
        let bytes = tokio::task::spawn_blocking(move || std::fs::read(path))
            .await
            .ok()?
            .ok()?;
        Some((content_type, bytes))
    }

    /// The file of `key`, refusing any key that could leave the uploads folder.
    fn path_of(&self, key: &str) -> Result<PathBuf, UploadRefused> {
        let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-./".contains(&b);
        let safe = (1..=512).contains(&key.len())
            && key.bytes().all(allowed)
            && key
                .split('/')
                .all(|segment| !matches!(segment, "" | "." | ".."))
            && !key.contains("..");
        if !safe {
            return Err(UploadRefused::BadKey);
        }
        Ok(self.dir.join(key))
    }
}

#[async_trait]
impl Uploads for EmbeddedUploads {
    async fn presign_put(&self, grant: &PutGrant) -> Result<PresignedPut, UploadsError> {
        let expires = grant.expires_at.as_second();
        let signature = self.signature(&grant.key, &grant.content_type, grant.size, expires);
        let public_url = format!("{}{UPLOADS_PATH}/{}", self.base_url, grant.key);
        // Content types are `type/subtype` in a-z: nothing to escape.
        let url = format!(
            "{public_url}?type={}&size={}&expires={expires}&signature={signature}",
            grant.content_type, grant.size
        );
        Ok(PresignedPut { url, public_url })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;

    #[test]
    fn keys_cannot_leave_the_uploads_folder() {
        let uploads = EmbeddedUploads::new(
            "http://127.0.0.1:3000",
            SecretKey::random(),
            Path::new("/data/uploads"),
            Arc::new(SystemClock),
        );
        assert!(uploads.path_of("orgs/a-1/photo/b.png").is_ok());
        for bad in [
            "",
            "../etc/passwd",
            "orgs/../../x.png",
            "/etc/passwd",
            "orgs//x.png",
            "orgs/./x.png",
            "orgs/a/x..png",
            "Orgs/x.png",
            "orgs/a\\x.png",
            "orgs/a%2f..",
        ] {
            assert!(
                matches!(uploads.path_of(bad), Err(UploadRefused::BadKey)),
                "{bad}"
            );
        }
    }
}
