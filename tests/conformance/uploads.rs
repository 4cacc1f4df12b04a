//! What `S3Uploads` promises, against the moto server: a presigned URL that
//! signs the content type and size, and takes the file when a client PUTs it
//! with exactly the returned headers. (moto does not check signatures, so
//! refusals are not asserted here; S3 makes them.)

use std::time::SystemTime;

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::{
    http_request::{
        PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
        UriPathNormalizationMode, sign,
    },
    sign::v4,
};
use jiff::{SignedDuration, Timestamp};
use platform_tests::aws;
use shared::{
    adapters::aws::s3::S3Uploads,
    media::{PutGrant, Uploads, UploadsError},
};

const PHOTO: &[u8] = b"\x89PNG\r\n\x1a\n a photo's bytes";

fn grant(key: &str) -> PutGrant {
    let now = Timestamp::now();
    PutGrant {
        key: key.into(),
        content_type: "image/png".into(),
        size: PHOTO.len() as u64,
        signed_at: now,
        expires_at: now + SignedDuration::from_mins(15),
    }
}

/// GETs `url` signed with the test credentials, as the bucket is private.
async fn signed_get(sdk: &SdkConfig, url: &str) -> reqwest::Response {
    let credentials = sdk.credentials_provider().unwrap();
    let identity = credentials.provide_credentials().await.unwrap().into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let request =
        SignableRequest::new("GET", url, std::iter::empty(), SignableBody::Bytes(b"")).unwrap();
    let (instructions, _) = sign(request, &params).unwrap().into_parts();
    let mut get = reqwest::Client::new().get(url);
    for (name, value) in instructions.headers() {
        get = get.header(name, value);
    }
    get.send().await.unwrap()
}

#[tokio::test]
async fn a_presigned_put_stores_the_file_in_the_bucket() {
    let sdk = aws::sdk_config().await;
    let bucket = aws::unique_name("media");
    let http = reqwest::Client::new();
    let created = http
        .put(format!("{}/{bucket}", aws::endpoint()))
        .send()
        .await
        .unwrap();
    assert!(created.status().is_success(), "{created:?}");

    let uploads = S3Uploads::new(&sdk, Some(bucket.clone()));
    let key = "orgs/0190f2c1-7a80-7000-8000-000000000001/photo/a1.png";
    let presigned = uploads.presign_put(&grant(key)).await.unwrap();
    assert_eq!(
        presigned.public_url,
        format!("{}/{bucket}/{key}", aws::endpoint())
    );
    let url = &presigned.url;
    assert!(
        url.starts_with(&format!("{}?", presigned.public_url)),
        "{url}"
    );
    for signed in [
        "X-Amz-Algorithm=AWS4-HMAC-SHA256",
        "X-Amz-Expires=900",
        "X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost",
        "X-Amz-Signature=",
    ] {
        assert!(url.contains(signed), "{signed} missing from {url}");
    }

    let put = http
        .put(url)
        .header("content-type", "image/png")
        .header("content-length", PHOTO.len())
        .body(PHOTO)
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{put:?}");
    let stored = signed_get(&sdk, &presigned.public_url).await;
    assert!(stored.status().is_success(), "{stored:?}");
    assert_eq!(stored.bytes().await.unwrap().as_ref(), PHOTO);
}

#[tokio::test]
async fn without_a_bucket_nothing_is_signed() {
    let uploads = S3Uploads::new(&aws::sdk_config().await, None);
    assert!(matches!(
        uploads.presign_put(&grant("orgs/a/photo/b.png")).await,
        Err(UploadsError::NotConfigured(_))
    ));
}
