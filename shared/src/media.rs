//! Media uploads: a member who may edit the profile gets a short-lived URL to
//! PUT one photo or video straight to storage, then puts the returned
//! `public_url` in the profile's `photos` or `video_url`.
//!
//! The rules (kinds, allowed types, size limits, object keys) live here; the
//! signing is the `Uploads` port's: S3 presigned URLs on AWS, HMAC-signed URLs
//! served by the local runner. Either way the URL binds the key, the content
//! type and the exact size, so storage refuses any other file. Nothing in the
//! organization changes, so there is no audit entry.

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::{
    Deps,
    access::require_org_permission,
    accounts::Caller,
    error::{Error, Result},
    roles::Permission,
};

/// How long an upload URL stays valid.
pub const UPLOAD_EXPIRY: SignedDuration = SignedDuration::from_mins(15);

const MB: u64 = 1_000_000;

/// The largest file of any kind.
pub const MAX_UPLOAD_BYTES: u64 = 200 * MB;

/// What a file is for: profile photos or the profile video.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaKind {
    Photo,
    Video,
}

impl MediaKind {
    const ALL: [MediaKind; 2] = [MediaKind::Photo, MediaKind::Video];

    /// The name clients send, also the folder of its keys.
    pub fn name(self) -> &'static str {
        match self {
            MediaKind::Photo => "photo",
            MediaKind::Video => "video",
        }
    }

    /// The content types this kind accepts, each with the extension of its keys.
    fn formats(self) -> &'static [(&'static str, &'static str)] {
        match self {
            MediaKind::Photo => &[
                ("image/jpeg", "jpg"),
                ("image/png", "png"),
                ("image/webp", "webp"),
            ],
            MediaKind::Video => &[("video/mp4", "mp4")],
        }
    }

    fn max_bytes(self) -> u64 {
        match self {
            MediaKind::Photo => 10 * MB,
            MediaKind::Video => MAX_UPLOAD_BYTES,
        }
    }

    /// The rule, as a person reads it: "photos must be image/jpeg, image/png
    /// or image/webp, at most 10 MB".
    fn rule(self) -> String {
        let types: Vec<&str> = self.formats().iter().map(|(t, _)| *t).collect();
        let types = match types.split_last() {
            Some((last, [])) => last.to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        };
        format!(
            "{}s must be {types}, at most {} MB",
            self.name(),
            self.max_bytes() / MB
        )
    }
}

/// The content type of a stored key, from its extension (each extension
/// belongs to exactly one allowed type).
pub fn content_type_of(key: &str) -> Option<&'static str> {
    let (_, extension) = key.rsplit_once('.')?;
    MediaKind::ALL
        .iter()
        .flat_map(|kind| kind.formats())
        .find(|(_, ext)| *ext == extension)
        .map(|(content_type, _)| *content_type)
}

/// `POST /v1/orgs/{org_id}/media/uploads`.
#[derive(Clone, Debug, Deserialize)]
pub struct UploadRequest {
    /// `photo` or `video`; checked here so a wrong one is told the choices.
    pub kind: String,
    pub content_type: String,
    /// Bytes; signed, so a negative or zero size gets the rule too.
    pub size: i64,
}

/// A checked request: what the URL will allow.
struct AllowedUpload {
    kind: MediaKind,
    content_type: &'static str,
    extension: &'static str,
    size: u64,
}

fn check(request: &UploadRequest) -> Result<AllowedUpload> {
    let kind = MediaKind::ALL
        .into_iter()
        .find(|kind| kind.name() == request.kind)
        .ok_or_else(|| {
            Error::MediaNotAllowed(format!(
                "kind must be photo or video; {}; {}",
                MediaKind::Photo.rule(),
                MediaKind::Video.rule()
            ))
        })?;
    let wanted = request.content_type.trim().to_ascii_lowercase();
    let (content_type, extension) = kind
        .formats()
        .iter()
        .find(|(content_type, _)| *content_type == wanted)
        .ok_or_else(|| Error::MediaNotAllowed(kind.rule()))?;
    let size = u64::try_from(request.size)
        .ok()
        .filter(|size| (1..=kind.max_bytes()).contains(size))
        .ok_or_else(|| Error::MediaNotAllowed(kind.rule()))?;
    Ok(AllowedUpload {
        kind,
        content_type,
        extension,
        size,
    })
}

/// One PUT the storage will accept: this key, this type, exactly this size,
/// from `signed_at` until `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutGrant {
    pub key: String,
    pub content_type: String,
    pub size: u64,
    pub signed_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadsError {
    #[error("uploads are not configured: {0}")]
    NotConfigured(&'static str),
    #[error("could not sign the upload: {0}")]
    Signing(String),
}

/// Where a granted PUT goes, and where the file is read once it is there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresignedPut {
    pub url: String,
    pub public_url: String,
}

/// The port: where uploaded files go and how clients are allowed to put them there.
#[async_trait]
pub trait Uploads: Send + Sync {
    /// A URL accepting the PUT `grant` describes (with its `Content-Type` and
    /// `Content-Length` headers) and nothing else.
    async fn presign_put(&self, grant: &PutGrant) -> Result<PresignedPut, UploadsError>;
}

/// How to upload: PUT the bytes to `url` with exactly these headers.
#[derive(Clone, Debug, Serialize)]
pub struct PresignedUpload {
    pub url: String,
    pub method: &'static str,
    pub headers: UploadHeaders,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug, Serialize)]
pub struct UploadHeaders {
    #[serde(rename = "content-type")]
    pub content_type: String,
    #[serde(rename = "content-length")]
    pub content_length: String,
}

/// The answer to an upload request.
#[derive(Clone, Debug, Serialize)]
pub struct NewUpload {
    pub upload: PresignedUpload,
    pub key: String,
    pub public_url: String,
}

/// A presigned upload of one file for `org_id`'s profile, under a new key in
/// the organization's own folder (`orgs/<org_id>/<kind>/<id>.<ext>`).
pub async fn create_upload(
    deps: &Deps,
    caller: &Caller,
    org_id: &str,
    request: UploadRequest,
) -> Result<NewUpload> {
    require_org_permission(deps, caller, org_id, Permission::EditProfile).await?;
    let allowed = check(&request)?;
    let key = format!(
        "orgs/{org_id}/{}/{}.{}",
        allowed.kind.name(),
        deps.ids.new_id(),
        allowed.extension
    );
    let signed_at = deps.clock.now();
    let grant = PutGrant {
        key: key.clone(),
        content_type: allowed.content_type.to_string(),
        size: allowed.size,
        signed_at,
        expires_at: signed_at.saturating_add(UPLOAD_EXPIRY).unwrap_or(signed_at),
    };
    let presigned = deps.uploads.presign_put(&grant).await?;
    Ok(NewUpload {
        upload: PresignedUpload {
            url: presigned.url,
            method: "PUT",
            headers: UploadHeaders {
                content_type: grant.content_type,
                content_length: grant.size.to_string(),
            },
            expires_at: grant.expires_at,
        },
        public_url: presigned.public_url,
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(kind: &str, content_type: &str, size: i64) -> UploadRequest {
        UploadRequest {
            kind: kind.into(),
            content_type: content_type.into(),
            size,
        }
    }

    #[test]
    fn rules_name_what_is_allowed() {
        assert_eq!(
            MediaKind::Photo.rule(),
            "photos must be image/jpeg, image/png or image/webp, at most 10 MB"
        );
        assert_eq!(
            MediaKind::Video.rule(),
            "videos must be video/mp4, at most 200 MB"
        );
    }

    #[test]
    fn types_sizes_and_kinds_are_checked() {
        let photo = check(&request("photo", "Image/PNG", 10_000_000)).unwrap();
        assert_eq!((photo.content_type, photo.extension), ("image/png", "png"));
        assert!(check(&request("video", "video/mp4", 200_000_000)).is_ok());
        for refused in [
            request("photo", "video/mp4", 1),
            request("photo", "image/png", 0),
            request("photo", "image/png", -1),
            request("photo", "image/png", 10_000_001),
            request("video", "video/mp4", 200_000_001),
            request("audio", "audio/mpeg", 1),
        ] {
            assert!(
                matches!(check(&refused), Err(Error::MediaNotAllowed(_))),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn stored_keys_have_the_type_of_their_extension() {
        assert_eq!(content_type_of("orgs/a/photo/b.webp"), Some("image/webp"));
        assert_eq!(content_type_of("orgs/a/video/b.mp4"), Some("video/mp4"));
        assert_eq!(content_type_of("orgs/a/photo/b.exe"), None);
        assert_eq!(content_type_of("orgs/a/photo/b"), None);
    }
}
