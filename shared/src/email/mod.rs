//! Email jobs: what a workflow puts on the email queue, and how the email worker
//! renders one into an `Email` (HTML and text, from the files in `templates/email`).

pub mod admin;
pub mod events;
pub mod log;
pub mod sending;
pub mod store;
pub mod webhook;

use std::{fmt::Write, sync::LazyLock};

use minijinja::{AutoEscape, Environment, Output, State, UndefinedBehavior, context};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    bookings::calendar::{self, CalendarEvent},
    mail::{Attachment, Email},
    notifications::NotificationType,
};

/// The queue email jobs go through.
pub const EMAIL_QUEUE: &str = "email";

/// The product name emails are signed with.
pub const PRODUCT_NAME: &str = "Local Business Platform";

/// One email to send: a delivery of a notification to one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailJob {
    /// Unique per delivery: the email log's id and the idempotency key, so a
    /// redelivered job never sends twice.
    pub id: String,
    pub to: String,
    /// Which template renders it.
    #[serde(rename = "type")]
    pub kind: NotificationType,
    pub recipient_name: Option<String>,
    /// The organization the email concerns (its email log shows it).
    pub org_id: Option<String>,
    pub org_name: Option<String>,
    /// The template's data (`data.link`, `data.code`, ...).
    #[serde(default)]
    pub data: Value,
}

#[derive(Debug, thiserror::Error)]
#[error("rendering email template {template}: {source}")]
pub struct RenderError {
    template: &'static str,
    source: minijinja::Error,
}

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_formatter(html_formatter);
    // A template naming data the job lacks fails, rather than mailing a blank.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Auto-escaping follows the file name: `.html` escapes, `.txt` does not.
    for (name, source) in TEMPLATE_FILES {
        env.add_template(name, source)
            .expect("email templates parse");
    }
    env
});

/// The `.html` and `.txt` template files of each name, compiled in.
macro_rules! template_files {
    ($($name:literal),* $(,)?) => {
        &[$(
            (concat!($name, ".html"), include_str!(concat!("../../templates/email/", $name, ".html"))),
            (concat!($name, ".txt"), include_str!(concat!("../../templates/email/", $name, ".txt"))),
        )*]
    };
}

/// Every template: the layout of each format, and per notification type (by
/// its name) a `.txt` with `subject`, `summary` (in-app) and `body` blocks and
/// an `.html` body.
const TEMPLATE_FILES: &[(&str, &str)] = template_files![
    "layout",
    "verify_email",
    "mfa_code",
    "password_reset",
    "password_changed",
    "new_device_sign_in",
    "sessions_revoked",
    "invite",
    "onboarding_invite",
    "onboarding_reminder",
    "onboarding_complete",
    "verification_submitted",
    "verification_approved",
    "verification_rejected",
    "booking_requested",
    "booking_confirmed",
    "booking_declined",
    "booking_cancelled",
    "booking_rescheduled",
    "booking_reminder",
    "booking_completed",
    "booking_no_show",
    "booking_paid",
    "review_submitted",
    "invoice",
    "payment_failed",
];

/// Escapes `& < > " '` in HTML templates, and leaves `/` alone (minijinja's
/// default escapes it too, which mangles every link).
fn html_formatter(
    out: &mut Output,
    state: &State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if state.auto_escape() != AutoEscape::Html || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    for c in value.to_string().chars() {
        match c {
            '&' => out.write_str("&amp;"),
            '<' => out.write_str("&lt;"),
            '>' => out.write_str("&gt;"),
            '"' => out.write_str("&quot;"),
            '\'' => out.write_str("&#39;"),
            c => out.write_char(c),
        }
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string()))?;
    }
    Ok(())
}

/// What a template sees: the product, the recipient, the organization and the data.
fn context(recipient_name: Option<&str>, org_name: Option<&str>, data: &Value) -> minijinja::Value {
    context! { product => PRODUCT_NAME, recipient_name, org_name, data }
}

/// Renders a job into the email to send.
pub fn render(job: &EmailJob) -> Result<Email, RenderError> {
    let template = job.kind.name();
    let ctx = context(
        job.recipient_name.as_deref(),
        job.org_name.as_deref(),
        &job.data,
    );
    let error = |source| RenderError { template, source };
    let text = TEMPLATES
        .get_template(&format!("{template}.txt"))
        .map_err(error)?;
    let html = TEMPLATES
        .get_template(&format!("{template}.html"))
        .map_err(error)?;
    let mut text = text.render_captured(&ctx).map_err(error)?;
    let subject = text
        .with_state_mut(|state| state.render_block("subject"))
        .map_err(error)?;
    Ok(Email {
        to: job.to.clone(),
        subject: subject.trim().to_string(),
        text: text.into_output(),
        html: html.render(&ctx).map_err(error)?,
        kind: template.to_string(),
        attachments: attachments(job),
    })
}

/// A booking's `.ics`, when the job's data carries its `calendar_event`, so
/// the customer can add it to their calendar in one click.
fn attachments(job: &EmailJob) -> Vec<Attachment> {
    let Some(event) = job.data.get("calendar_event") else {
        return Vec::new();
    };
    match serde_json::from_value::<CalendarEvent>(event.clone()) {
        Ok(event) => vec![Attachment {
            filename: calendar::ATTACHMENT_NAME.to_string(),
            content_type: calendar::CONTENT_TYPE.to_string(),
            content: calendar::ics(&event.summary.clone(), &[event]),
        }],
        Err(error) => {
            tracing::warn!(job = %job.id, %error, "calendar_event does not parse: sent without the .ics");
            Vec::new()
        }
    }
}

/// The title and one-line body of an in-app notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InAppText {
    pub title: String,
    pub body: String,
}

/// Renders the in-app text of a notification from the `subject` and `summary`
/// blocks of its `.txt` template, so each type's words live in one file.
pub fn render_in_app(
    kind: NotificationType,
    recipient_name: Option<&str>,
    org_name: Option<&str>,
    data: &Value,
) -> Result<InAppText, RenderError> {
    let template = kind.name();
    let error = |source| RenderError { template, source };
    let text = TEMPLATES
        .get_template(&format!("{template}.txt"))
        .map_err(error)?;
    let mut captured = text
        .render_captured(context(recipient_name, org_name, data))
        .map_err(error)?;
    let (title, body) = captured
        .with_state_mut(|state| {
            Ok::<_, minijinja::Error>((
                state.render_block("subject")?,
                state.render_block("summary")?,
            ))
        })
        .map_err(error)?;
    Ok(InAppText {
        title: title.trim().to_string(),
        body: body.trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;
    use crate::notifications::Channel;

    fn job(kind: NotificationType, name: &str, data: Value) -> EmailJob {
        EmailJob {
            id: "job-1".into(),
            to: "ada@example.com".into(),
            kind,
            recipient_name: Some(name.into()),
            org_id: None,
            org_name: None,
            data,
        }
    }

    #[test]
    fn a_calendar_event_in_the_data_is_attached_as_an_ics() {
        let event = json!({
            "uid": "b-1", "start": "2027-03-28T08:00:00Z", "end": "2027-03-28T08:45:00Z",
            "summary": "Haircut", "description": null, "location": null,
            "status": "confirmed", "updated_at": "2026-11-21T10:00:00Z"
        });
        let data = |event: Value| {
            json!({ "service_name": "Haircut", "start": "28 March 2027, 10:00",
                    "link": "https://app.test/b", "calendar_event": event })
        };
        let email = render(&job(NotificationType::BookingConfirmed, "Ada", data(event))).unwrap();
        let [ics] = email.attachments.as_slice() else {
            panic!("one attachment: {:?}", email.attachments)
        };
        assert_eq!(ics.filename, "booking.ics");
        assert!(ics.content_type.starts_with("text/calendar"));
        assert!(
            ics.content.contains("DTSTART:20270328T080000Z"),
            "{}",
            ics.content
        );
        assert!(ics.content.contains("UID:b-1"));

        // Without one (or with one that does not parse) the email goes without.
        let plain = render(&job(
            NotificationType::BookingConfirmed,
            "Ada",
            data(json!("soon")),
        ));
        assert!(plain.unwrap().attachments.is_empty());
    }

    #[test]
    fn links_survive_html_escaping_and_subjects_come_from_the_template() {
        let link = "https://app.example.com/verify-email?token=abc&x=1";
        let email = render(&job(
            NotificationType::VerifyEmail,
            "Ada",
            json!({ "link": link }),
        ))
        .unwrap();
        assert_eq!(
            email.subject,
            format!("Confirm your email for {PRODUCT_NAME}")
        );
        assert_eq!(email.kind, "verify_email");
        assert!(email.text.contains(link));
        assert!(
            email
                .html
                .contains("https://app.example.com/verify-email?token=abc&amp;x=1")
        );
        assert!(email.html.starts_with("<!doctype html>"));
    }

    #[test]
    fn names_are_escaped_in_html_only() {
        let email = render(&job(
            NotificationType::MfaCode,
            "<b>Eve</b>",
            json!({ "code": "123456" }),
        ))
        .unwrap();
        assert!(email.html.contains("&lt;b&gt;Eve&lt;/b&gt;"));
        assert!(!email.html.contains("<b>Eve"));
        assert!(email.text.contains("<b>Eve</b>"));
        assert!(email.subject.starts_with("123456 "));
    }

    #[test]
    fn in_app_text_comes_from_the_subject_and_summary_blocks() {
        let data = json!({ "user_agent": "Firefox on Linux" });
        let text =
            render_in_app(NotificationType::NewDeviceSignIn, Some("Ada"), None, &data).unwrap();
        assert_eq!(text.title, "New sign-in to your account");
        assert!(text.body.contains("Firefox on Linux"), "{text:?}");
    }

    #[test]
    fn missing_data_is_an_error_not_a_blank() {
        assert!(render(&job(NotificationType::PasswordReset, "Ada", json!({}))).is_err());
    }

    #[test]
    fn jobs_have_a_stable_json_form() {
        let json = r#"{"id":"j","to":"a@b.co","type":"mfa_code","recipient_name":"A","org_id":null,"org_name":null,"data":{"code":"123456"}}"#;
        let parsed: EmailJob = serde_json::from_str(json).unwrap();
        assert_eq!(parsed.kind, NotificationType::MfaCode);
        assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
    }

    /// Whether a type concerns an organization, and so must name it.
    #[derive(Clone, Copy, PartialEq)]
    enum Scope {
        Account,
        Organization,
    }

    /// One type's sample data, as the workflows send it.
    struct Sample {
        kind: NotificationType,
        scope: Scope,
        required: Value,
        /// Fields a workflow may leave out or send as null.
        optional: Value,
    }

    fn sample(kind: NotificationType, scope: Scope, required: Value, optional: Value) -> Sample {
        Sample {
            kind,
            scope,
            required,
            optional,
        }
    }

    /// A link with a query string, so its `&` must be escaped in HTML.
    fn link(path: &str) -> String {
        format!("https://app.example.com/{path}?token=abc&step=2")
    }

    /// One sample per type, in the shape of the table in the templates brief.
    fn samples() -> Vec<Sample> {
        use NotificationType as T;
        use Scope::{Account, Organization};
        let start = "Tue 3 Mar 2026, 10:00 (UTC+01:00)";
        let old_start = "Mon 2 Mar 2026, 15:30 (UTC+01:00)";
        let expires_at = "Tue 10 Mar 2026, 09:00 (UTC+01:00)";
        let no_data = json!({});
        vec![
            sample(
                T::VerifyEmail,
                Account,
                json!({ "link": link("verify-email") }),
                no_data.clone(),
            ),
            sample(
                T::MfaCode,
                Account,
                json!({ "code": "482913" }),
                no_data.clone(),
            ),
            sample(
                T::PasswordReset,
                Account,
                json!({ "link": link("reset-password") }),
                no_data.clone(),
            ),
            sample(
                T::PasswordChanged,
                Account,
                no_data.clone(),
                no_data.clone(),
            ),
            sample(
                T::NewDeviceSignIn,
                Account,
                no_data.clone(),
                json!({ "user_agent": "Firefox on Linux" }),
            ),
            sample(
                T::SessionsRevoked,
                Account,
                json!({ "reason": "your password was reset" }),
                no_data.clone(),
            ),
            sample(
                T::Invite,
                Organization,
                json!({ "inviter_name": "Bella Rossi", "role": "manager", "link": link("invitations/accept"), "expires_at": expires_at }),
                no_data.clone(),
            ),
            sample(
                T::OnboardingInvite,
                Organization,
                json!({ "link": link("onboarding"), "expires_at": expires_at }),
                no_data.clone(),
            ),
            sample(
                T::OnboardingReminder,
                Organization,
                json!({ "link": link("onboarding"), "expires_at": expires_at }),
                no_data.clone(),
            ),
            sample(
                T::OnboardingComplete,
                Organization,
                json!({ "link": link("dashboard") }),
                no_data.clone(),
            ),
            sample(
                T::VerificationSubmitted,
                Organization,
                json!({ "link": link("admin/verifications/org-1") }),
                no_data.clone(),
            ),
            sample(
                T::VerificationApproved,
                Organization,
                json!({ "link": link("b/bellas-salon") }),
                no_data.clone(),
            ),
            sample(
                T::VerificationRejected,
                Organization,
                json!({ "comment": "The address does not match the <registration> document.", "link": link("onboarding/verification") }),
                no_data.clone(),
            ),
            sample(
                T::BookingRequested,
                Organization,
                json!({ "service_name": "Haircut & blow-dry", "start": start, "customer_name": "Chloé Martin", "status": "pending", "next_step": "Confirm or decline it: the customer is waiting for your answer.", "link": link("bookings/b-1") }),
                no_data.clone(),
            ),
            sample(
                T::BookingConfirmed,
                Organization,
                json!({ "service_name": "Haircut & blow-dry", "start": start, "link": link("my-bookings/b-1") }),
                no_data.clone(),
            ),
            sample(
                T::BookingDeclined,
                Organization,
                json!({ "service_name": "Haircut & blow-dry", "start": start }),
                json!({ "reason": "We are closed that day." }),
            ),
            sample(
                T::BookingCancelled,
                Organization,
                json!({ "service_name": "Haircut & blow-dry", "start": start, "cancelled_by": "Chloé Martin" }),
                json!({ "reason": "I'm ill, sorry." }),
            ),
            sample(
                T::BookingRescheduled,
                Organization,
                json!({ "service_name": "Haircut & blow-dry", "old_start": old_start, "start": start, "link": link("my-bookings/b-1") }),
                no_data.clone(),
            ),
            sample(
                T::BookingReminder,
                Organization,
                json!({ "service_name": "Haircut & blow-dry", "start": start, "starts_in": "in 2 hours", "link": link("bookings/b-1") }),
                no_data.clone(),
            ),
            sample(
                T::BookingCompleted,
                Organization,
                json!({ "service_name": "Haircut & blow-dry", "start": start, "link": link("bookings/b-1") }),
                no_data.clone(),
            ),
            sample(
                T::BookingNoShow,
                Organization,
                json!({ "service_name": "Haircut & blow-dry", "start": start, "link": link("b/bellas-salon") }),
                no_data.clone(),
            ),
            sample(
                T::BookingPaid,
                Organization,
                json!({ "service_name": "Haircut & blow-dry", "start": start, "amount": "25.00 EUR", "method": "card", "link": link("bookings/b-1") }),
                no_data.clone(),
            ),
            sample(
                T::ReviewSubmitted,
                Organization,
                json!({ "rating": 4, "link": link("reviews/r-1") }),
                json!({ "title": "Lovely \"quick\" cut" }),
            ),
            sample(
                T::Invoice,
                Organization,
                json!({ "amount": "€29.00", "link": link("billing/invoices/i-1") }),
                json!({ "period": "March 2026" }),
            ),
            sample(
                T::PaymentFailed,
                Organization,
                json!({ "amount": "€29.00", "link": link("billing/payment-method") }),
                no_data,
            ),
        ]
    }

    /// `value` as the HTML templates write it.
    fn html_escaped(value: &str) -> String {
        value
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    }

    /// `data` with the fields of `more` added.
    fn merged(data: &Value, more: &Value) -> Value {
        let mut data = data.clone();
        if let (Some(fields), Some(more)) = (data.as_object_mut(), more.as_object()) {
            fields.extend(more.clone());
        }
        data
    }

    fn data_without(data: &Value, field: &str) -> Value {
        let mut data = data.clone();
        if let Some(fields) = data.as_object_mut() {
            fields.remove(field);
        }
        data
    }

    fn sample_job(
        sample: &Sample,
        recipient_name: Option<&str>,
        org_name: Option<&str>,
        data: Value,
    ) -> EmailJob {
        EmailJob {
            id: "job-1".into(),
            to: "zoe@example.com".into(),
            kind: sample.kind,
            recipient_name: recipient_name.map(Into::into),
            org_id: org_name.map(|_| "org-1".into()),
            org_name: org_name.map(Into::into),
            data,
        }
    }

    const RECIPIENT: &str = "Zoë O'Brien";
    const ORG: &str = "Bella's Salon & Spa";

    #[test]
    fn every_type_renders_its_email_and_in_app_text_from_sample_data() {
        for sample in samples() {
            let kind = sample.kind.name();
            let data = merged(&sample.required, &sample.optional);
            let org_name = (sample.scope == Scope::Organization).then_some(ORG);
            let email = render(&sample_job(
                &sample,
                Some(RECIPIENT),
                org_name,
                data.clone(),
            ))
            .unwrap_or_else(|e| panic!("{kind}: {e}"));

            assert!(!email.subject.is_empty(), "{kind}: empty subject");
            assert!(!email.subject.contains('\n'), "{kind}: {:?}", email.subject);
            assert!(email.text.contains(RECIPIENT), "{kind}: {}", email.text);
            assert!(
                email.html.contains(&html_escaped(RECIPIENT)),
                "{kind}: {}",
                email.html
            );
            if let Some(org) = org_name {
                assert!(email.subject.contains(org), "{kind}: {}", email.subject);
                assert!(email.text.contains(org), "{kind}: {}", email.text);
                assert!(
                    email.html.contains(&html_escaped(org)),
                    "{kind}: {}",
                    email.html
                );
            }
            // Every field shows, links included: as written in the text, escaped in the HTML.
            for (field, value) in data.as_object().into_iter().flatten() {
                let shown = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_string);
                assert!(
                    email.text.contains(&shown),
                    "{kind}: {field} missing from {}",
                    email.text
                );
                assert!(
                    email.html.contains(&html_escaped(&shown)),
                    "{kind}: {field} missing from {}",
                    email.html
                );
            }

            if sample.kind.channels().contains(&Channel::InApp) {
                let in_app = render_in_app(sample.kind, Some(RECIPIENT), org_name, &data)
                    .unwrap_or_else(|e| panic!("{kind}: {e}"));
                assert_eq!(in_app.title, email.subject, "{kind}");
                assert!(!in_app.body.is_empty(), "{kind}: empty summary");
                assert!(!in_app.body.contains('\n'), "{kind}: {:?}", in_app.body);
            }
        }
    }

    #[test]
    fn optional_fields_and_names_may_be_missing() {
        for sample in samples() {
            let kind = sample.kind.name();
            let nulls: serde_json::Map<String, Value> = sample
                .optional
                .as_object()
                .into_iter()
                .flatten()
                .map(|(field, _)| (field.clone(), Value::Null))
                .collect();
            for data in [
                sample.required.clone(),
                merged(&sample.required, &Value::Object(nulls)),
            ] {
                let email = render(&sample_job(&sample, None, None, data))
                    .unwrap_or_else(|e| panic!("{kind}: {e}"));
                assert!(
                    email.text.starts_with("Hello there,"),
                    "{kind}: {}",
                    email.text
                );
                // A missing name must not read "None" (how the template engine shows it).
                assert!(
                    !format!("{}{}{}", email.subject, email.text, email.html).contains("None"),
                    "{kind}: {}",
                    email.text
                );
            }
        }
    }

    #[test]
    fn a_missing_required_field_fails_rendering() {
        for sample in samples() {
            let kind = sample.kind.name();
            let data = merged(&sample.required, &sample.optional);
            for field in sample
                .required
                .as_object()
                .into_iter()
                .flatten()
                .map(|(field, _)| field)
            {
                let data = data_without(&data, field);
                assert!(
                    render(&sample_job(
                        &sample,
                        Some(RECIPIENT),
                        Some(ORG),
                        data.clone()
                    ))
                    .is_err(),
                    "{kind} without {field}"
                );
                if sample.kind.channels().contains(&Channel::InApp) {
                    assert!(
                        render_in_app(sample.kind, Some(RECIPIENT), Some(ORG), &data).is_err(),
                        "{kind} without {field}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_type_has_templates_and_every_template_file_a_type() {
        let types: BTreeSet<&str> = NotificationType::ALL
            .iter()
            .map(|kind| kind.name())
            .collect();
        let sampled: BTreeSet<&str> = samples().iter().map(|sample| sample.kind.name()).collect();
        assert_eq!(sampled, types, "one sample per type");

        let listed: BTreeSet<&str> = TEMPLATE_FILES
            .iter()
            .filter_map(|(file, _)| file.split_once('.').map(|(name, _)| name))
            .filter(|name| *name != "layout")
            .collect();
        assert_eq!(
            listed, types,
            "the template_files! list names exactly the types"
        );

        let on_disk: BTreeSet<String> =
            std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/email"))
                .unwrap()
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .collect();
        let listed_files: BTreeSet<String> = TEMPLATE_FILES
            .iter()
            .map(|(file, _)| file.to_string())
            .collect();
        assert_eq!(
            on_disk, listed_files,
            "every template file is in the template_files! list"
        );
    }
}
