//! The `Uploads` port on S3: presigned PUT URLs (SigV4 in the query string),
//! signed with `aws-sigv4` and the SDK's credentials, without the S3 SDK.
//!
//! The URL signs the `content-type` and `content-length` headers, so S3
//! refuses a PUT of any other type or size.

use std::{fmt::Display, time::SystemTime};

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::{
    http_request::{
        PercentEncodingMode, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
        UriPathNormalizationMode, sign,
    },
    sign::v4,
};

use crate::media::{PresignedPut, PutGrant, Uploads, UploadsError};

pub struct S3Uploads {
    /// `MEDIA_BUCKET`; a function deployed without it cannot presign.
    bucket: Option<String>,
    region: Option<String>,
    credentials: Option<SharedCredentialsProvider>,
    /// `AWS_ENDPOINT_URL` (a local endpoint): objects are addressed path-style.
    endpoint: Option<String>,
}

impl S3Uploads {
    /// The bucket named by `MEDIA_BUCKET`, with the SDK's region, credentials
    /// and endpoint.
    pub fn from_env(sdk: &SdkConfig) -> Self {
        S3Uploads::new(sdk, std::env::var("MEDIA_BUCKET").ok())
    }

    pub fn new(sdk: &SdkConfig, bucket: Option<String>) -> Self {
        S3Uploads {
            bucket,
            region: sdk.region().map(|region| region.to_string()),
            credentials: sdk.credentials_provider(),
            endpoint: sdk
                .endpoint_url()
                .map(|url| url.trim_end_matches('/').to_string()),
        }
    }

    fn object_url(&self, bucket: &str, region: &str, key: &str) -> String {
        match &self.endpoint {
            Some(endpoint) => format!("{endpoint}/{bucket}/{key}"),
            None => format!("https://{bucket}.s3.{region}.amazonaws.com/{key}"),
        }
    }
}

fn signing_failed(error: impl Display) -> UploadsError {
    UploadsError::Signing(error.to_string())
}

#[async_trait]
impl Uploads for S3Uploads {
    async fn presign_put(&self, grant: &PutGrant) -> Result<PresignedPut, UploadsError> {
        let bucket = (self.bucket.as_deref())
            .ok_or(UploadsError::NotConfigured("MEDIA_BUCKET is not set"))?;
        let region = (self.region.as_deref())
            .ok_or(UploadsError::NotConfigured("no AWS region is configured"))?;
        let provider = (self.credentials.as_ref())
            .ok_or(UploadsError::NotConfigured("no AWS credentials provider"))?;
        let identity = provider
            .provide_credentials()
            .await
            .map_err(signing_failed)?
            .into();

        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(
            std::time::Duration::try_from(grant.expires_at.duration_since(grant.signed_at))
                .map_err(signing_failed)?,
        );
        // S3 wants the key as it is: no double encoding, no dot-segment removal.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(region)
            .name("s3")
            .time(SystemTime::from(grant.signed_at))
            .settings(settings)
            .build()
            .map_err(signing_failed)?
            .into();

        let object_url = self.object_url(bucket, region, &grant.key);
        let size = grant.size.to_string();
        let headers = [
            ("content-type", grant.content_type.as_str()),
            ("content-length", size.as_str()),
        ];
        let request = SignableRequest::new(
            "PUT",
            object_url.as_str(),
            headers.into_iter(),
            SignableBody::UnsignedPayload,
        )
        .map_err(signing_failed)?;
        let (instructions, _signature) =
            sign(request, &params).map_err(signing_failed)?.into_parts();
        // Applying the instructions to a request encodes the query string for us.
        let mut signed = axum::http::Request::put(&object_url)
            .body(())
            .map_err(signing_failed)?;
        instructions.apply_to_request_http1x(&mut signed);
        Ok(PresignedPut {
            url: signed.uri().to_string(),
            public_url: object_url,
        })
    }
}
