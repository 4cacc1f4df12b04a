//! Reads `template.yaml` (SAM/CloudFormation) so the local runner creates its
//! queues and checks its table from the very definitions AWS deploys.
//!
//! Queues follow the naming convention written at the top of the template's
//! Resources: logical id `<Name>Queue` is the queue the code calls
//! `kebab(<Name>)`, `<Name>DeadLetterQueue` is `kebab(<Name>)-dlq`.
//!
//! CloudFormation intrinsics appear in two forms: short tags (`!GetAtt X.Arn`,
//! read by serde_yaml as `Value::Tagged`) and long mappings (`Fn::GetAtt: ...`);
//! both are understood where this module reads one.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_yaml::{Mapping, Value};

use crate::queue::{QueueSettings, Redrive};
use crate::table::{Index, TTL};

const QUEUE_TYPE: &str = "AWS::SQS::Queue";
const TABLE_TYPE: &str = "AWS::DynamoDB::Table";
const FUNCTION_TYPE: &str = "AWS::Serverless::Function";
/// What SQS uses when a queue declares no VisibilityTimeout.
const DEFAULT_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template is not a readable CloudFormation template: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("resource {resource}: {problem}")]
    Resource { resource: String, problem: String },
    #[error(
        "queue resource {0} breaks the naming convention: its logical id must be \
         <Name>Queue or <Name>DeadLetterQueue"
    )]
    QueueName(String),
    #[error("queue {queue} redrives to {target}, which is not an AWS::SQS::Queue of the template")]
    MissingDeadLetterQueue { queue: String, target: String },
    #[error("expected exactly one AWS::DynamoDB::Table, found {0}")]
    TableCount(usize),
    #[error("table {what}: the code expects {expected}, the template has {found}")]
    TableMismatch {
        what: String,
        expected: String,
        found: String,
    },
}

/// Every `AWS::SQS::Queue` of the template as the code names and configures it.
///
/// Queues without a redrive policy come first (each group in template order), so
/// creating the queues in this order creates every dead-letter queue before the
/// queues that redrive to it.
pub fn queues(template_yaml: &str) -> Result<Vec<QueueSettings>, TemplateError> {
    let declared = resources_of_type(template_yaml, QUEUE_TYPE)?;
    let named = declared
        .iter()
        .map(|(id, properties)| {
            let name = queue_code_name(id).ok_or_else(|| TemplateError::QueueName(id.clone()))?;
            Ok((id.as_str(), name, properties))
        })
        .collect::<Result<Vec<_>, TemplateError>>()?;
    let code_names: HashMap<&str, &str> = named
        .iter()
        .map(|(id, name, _)| (*id, name.as_str()))
        .collect();

    let mut settings = Vec::with_capacity(named.len());
    for (id, name, properties) in &named {
        let properties: QueueProperties = typed_properties(id, properties.as_ref())?;
        let visibility_timeout = match &properties.visibility_timeout {
            None => DEFAULT_VISIBILITY_TIMEOUT,
            Some(seconds) => {
                Duration::from_secs(literal_u32(id, "VisibilityTimeout", seconds)?.into())
            }
        };
        let redrive = properties
            .redrive_policy
            .map(|policy| resolve_redrive(id, name, &policy, &code_names))
            .transpose()?;
        settings.push(QueueSettings {
            name: name.clone(),
            visibility_timeout,
            redrive,
        });
    }
    // A stable sort: template order is kept within each group.
    settings.sort_by_key(|queue| queue.redrive.is_some());
    Ok(settings)
}

/// Checks that the template's one `AWS::DynamoDB::Table` has the key schema,
/// global secondary indexes (all attributes projected) and TTL attribute that
/// `shared::table` expects; the error names the first difference.
pub fn check_table(template_yaml: &str) -> Result<(), TemplateError> {
    let tables = resources_of_type(template_yaml, TABLE_TYPE)?;
    let [(id, properties)] = tables.as_slice() else {
        return Err(TemplateError::TableCount(tables.len()));
    };
    let table: TableProperties = typed_properties(id, properties.as_ref())?;

    for index in Index::ALL {
        let key_schema = match index.name() {
            None => &table.key_schema,
            Some(name) => {
                let gsi = table
                    .global_secondary_indexes
                    .iter()
                    .find(|gsi| gsi.index_name == name)
                    .ok_or_else(|| mismatch(format!("index {name}"), "a GSI", "none"))?;
                let projection = gsi.projection.projection_type.as_deref().unwrap_or("none");
                if projection != "ALL" {
                    return Err(mismatch(
                        format!("index {name} projection"),
                        "ALL",
                        projection,
                    ));
                }
                &gsi.key_schema
            }
        };
        let expected = KeySchema::of_index(index);
        let found = KeySchema::of(key_schema);
        if found != expected {
            let what = match index.name() {
                None => "key schema".to_owned(),
                Some(name) => format!("index {name} key schema"),
            };
            return Err(mismatch(what, expected, found));
        }
        for attribute in [index.pk_attr(), index.sk_attr()] {
            check_string_attribute(&table.attribute_definitions, attribute)?;
        }
    }

    let known_indexes: Vec<&str> = Index::ALL.iter().filter_map(|index| index.name()).collect();
    if let Some(unknown) = table
        .global_secondary_indexes
        .iter()
        .find(|gsi| !known_indexes.contains(&gsi.index_name.as_str()))
    {
        return Err(mismatch(
            format!("index {}", unknown.index_name),
            format!("only {}", known_indexes.join(", ")),
            "this index too",
        ));
    }

    let ttl_attribute = table
        .time_to_live_specification
        .filter(|ttl| ttl.enabled)
        .and_then(|ttl| ttl.attribute_name);
    match ttl_attribute.as_deref() {
        Some(TTL) => Ok(()),
        found => Err(mismatch(
            "TTL attribute",
            TTL,
            found.unwrap_or("no TTL enabled"),
        )),
    }
}

/// A function the template runs on a schedule (an EventBridge `Schedule` or
/// `ScheduleV2` event with a `rate(...)` expression).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleSettings {
    /// The function's binary (`Metadata.BuildProperties.Binary`), which is
    /// also its crate's name: the local runner's name for the schedule.
    pub function: String,
    pub rate: Duration,
}

/// Every scheduled function of the template, in template order.
pub fn schedules(template_yaml: &str) -> Result<Vec<ScheduleSettings>, TemplateError> {
    let mut found = Vec::new();
    for (id, resource) in full_resources_of_type(template_yaml, FUNCTION_TYPE)? {
        let properties: FunctionProperties = typed_properties(&id, resource.properties.as_ref())?;
        let problem = |problem: String| TemplateError::Resource {
            resource: id.clone(),
            problem,
        };
        for event in properties.events.values() {
            if !matches!(event.kind.as_str(), "Schedule" | "ScheduleV2") {
                continue;
            }
            let expression = event
                .properties
                .get("Schedule")
                .or_else(|| event.properties.get("ScheduleExpression"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    problem("a schedule event needs a literal rate(...) expression".into())
                })?;
            let rate = parse_rate(expression).ok_or_else(|| {
                problem(format!(
                    "{expression:?}: only rate(<n> minute(s)|hour(s)|day(s)) is understood"
                ))
            })?;
            let function = resource
                .metadata
                .as_ref()
                .and_then(|metadata| metadata.get("BuildProperties"))
                .and_then(|build| build.get("Binary"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    problem("a scheduled function needs Metadata.BuildProperties.Binary".into())
                })?;
            found.push(ScheduleSettings {
                function: function.to_owned(),
                rate,
            });
        }
    }
    Ok(found)
}

/// `rate(5 minutes)`, `rate(1 hour)`, `rate(2 days)`.
fn parse_rate(expression: &str) -> Option<Duration> {
    let inner = expression.strip_prefix("rate(")?.strip_suffix(')')?;
    let (count, unit) = inner.trim().split_once(' ')?;
    let count: u64 = count.parse().ok().filter(|count| *count > 0)?;
    let unit_secs = match unit.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(count * unit_secs))
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FunctionProperties {
    #[serde(default)]
    events: HashMap<String, FunctionEvent>,
}

#[derive(Deserialize)]
struct FunctionEvent {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Properties", default)]
    properties: Mapping,
}

/// A resource as CloudFormation declares it; only what this module reads.
#[derive(Deserialize)]
struct Resource {
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "Properties")]
    properties: Option<Value>,
    #[serde(rename = "Metadata")]
    metadata: Option<Value>,
}

#[derive(Deserialize)]
struct Template {
    #[serde(rename = "Resources")]
    resources: Mapping,
}

/// The logical id and properties of each resource of type `kind`, in template order.
fn resources_of_type(
    template_yaml: &str,
    kind: &str,
) -> Result<Vec<(String, Option<Value>)>, TemplateError> {
    Ok(full_resources_of_type(template_yaml, kind)?
        .into_iter()
        .map(|(id, resource)| (id, resource.properties))
        .collect())
}

/// Like `resources_of_type`, with the whole resource (its metadata too).
fn full_resources_of_type(
    template_yaml: &str,
    kind: &str,
) -> Result<Vec<(String, Resource)>, TemplateError> {
    let template: Template = serde_yaml::from_str(template_yaml)?;
    let mut found = Vec::new();
    for (id, resource) in template.resources {
        let resource: Resource = serde_yaml::from_value(resource)?;
        if resource.kind == kind {
            let id = serde_yaml::from_value(id)?;
            found.push((id, resource));
        }
    }
    Ok(found)
}

/// Reads a resource's properties into `P`; a resource without properties has the defaults.
fn typed_properties<P: DeserializeOwned + Default>(
    id: &str,
    properties: Option<&Value>,
) -> Result<P, TemplateError> {
    match properties {
        None => Ok(P::default()),
        Some(value) => {
            serde_yaml::from_value(value.clone()).map_err(|error| TemplateError::Resource {
                resource: id.to_owned(),
                problem: error.to_string(),
            })
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueueProperties {
    /// A number or a numeric string, as CloudFormation accepts both.
    visibility_timeout: Option<Value>,
    redrive_policy: Option<RedrivePolicy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RedrivePolicy {
    dead_letter_target_arn: Value,
    max_receive_count: Value,
}

/// The redrive of queue `name` (logical id `id`), its target resolved through
/// `code_names` (logical id to code name of every queue).
fn resolve_redrive(
    id: &str,
    name: &str,
    policy: &RedrivePolicy,
    code_names: &HashMap<&str, &str>,
) -> Result<Redrive, TemplateError> {
    let target = get_att_arn_target(&policy.dead_letter_target_arn).ok_or_else(|| {
        TemplateError::Resource {
            resource: id.to_owned(),
            problem: "RedrivePolicy.deadLetterTargetArn must be the GetAtt Arn of a queue"
                .to_owned(),
        }
    })?;
    let dead_letter_queue =
        code_names
            .get(target)
            .ok_or_else(|| TemplateError::MissingDeadLetterQueue {
                queue: name.to_owned(),
                target: target.to_owned(),
            })?;
    Ok(Redrive {
        dead_letter_queue: (*dead_letter_queue).to_owned(),
        max_receive_count: literal_u32(
            id,
            "RedrivePolicy.maxReceiveCount",
            &policy.max_receive_count,
        )?,
    })
}

/// The logical id `X` of `!GetAtt X.Arn`, `!GetAtt [X, Arn]` or the same in the
/// `Fn::GetAtt` long form; `None` for anything else.
fn get_att_arn_target(value: &Value) -> Option<&str> {
    let argument = match value {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => &tagged.value,
        Value::Mapping(mapping) if mapping.len() == 1 => mapping.get("Fn::GetAtt")?,
        _ => return None,
    };
    let (id, attribute) = match argument {
        Value::String(dotted) => dotted.split_once('.')?,
        Value::Sequence(pair) => match pair.as_slice() {
            [Value::String(id), Value::String(attribute)] => (id.as_str(), attribute.as_str()),
            _ => return None,
        },
        _ => return None,
    };
    (attribute == "Arn").then_some(id)
}

/// A whole number written literally, as a YAML number or a numeric string.
fn literal_u32(id: &str, field: &str, value: &Value) -> Result<u32, TemplateError> {
    let number = match value {
        Value::Number(number) => number.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(text) => text.parse().ok(),
        _ => None,
    };
    number.ok_or_else(|| TemplateError::Resource {
        resource: id.to_owned(),
        problem: format!("{field} must be a literal whole number, found {value:?}"),
    })
}

/// The code's name of a queue resource, by the naming convention.
fn queue_code_name(logical_id: &str) -> Option<String> {
    if let Some(name) = logical_id.strip_suffix("DeadLetterQueue") {
        return (!name.is_empty()).then(|| format!("{}-dlq", kebab(name)));
    }
    let name = logical_id.strip_suffix("Queue")?;
    (!name.is_empty()).then(|| kebab(name))
}

/// `PasswordReset` → `password-reset`, `SESEvents` → `ses-events`.
fn kebab(pascal: &str) -> String {
    let chars: Vec<char> = pascal.chars().collect();
    let mut kebab = String::with_capacity(pascal.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 && c.is_uppercase() {
            let previous = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|next| next.is_lowercase());
            // A word starts after a lowercase letter or digit, or at the last
            // capital of an acronym followed by a lowercase word.
            if !previous.is_uppercase() || next_is_lower {
                kebab.push('-');
            }
        }
        kebab.extend(c.to_lowercase());
    }
    kebab
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableProperties {
    #[serde(default)]
    attribute_definitions: Vec<AttributeDefinition>,
    #[serde(default)]
    key_schema: Vec<KeyElement>,
    #[serde(default)]
    global_secondary_indexes: Vec<GlobalSecondaryIndex>,
    time_to_live_specification: Option<TimeToLiveSpecification>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeDefinition {
    attribute_name: String,
    attribute_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyElement {
    attribute_name: String,
    key_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GlobalSecondaryIndex {
    index_name: String,
    key_schema: Vec<KeyElement>,
    projection: Projection,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Projection {
    projection_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TimeToLiveSpecification {
    attribute_name: Option<String>,
    enabled: bool,
}

/// The partition (HASH) and sort (RANGE) attributes of a key schema.
#[derive(PartialEq)]
struct KeySchema<'a> {
    hash: Option<&'a str>,
    range: Option<&'a str>,
}

impl<'a> KeySchema<'a> {
    fn of(elements: &'a [KeyElement]) -> Self {
        let attribute_of = |key_type: &str| {
            elements
                .iter()
                .find(|element| element.key_type == key_type)
                .map(|element| element.attribute_name.as_str())
        };
        KeySchema {
            hash: attribute_of("HASH"),
            range: attribute_of("RANGE"),
        }
    }

    fn of_index(index: Index) -> Self {
        KeySchema {
            hash: Some(index.pk_attr()),
            range: Some(index.sk_attr()),
        }
    }
}

impl fmt::Display for KeySchema<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hash = self.hash.unwrap_or("none");
        let range = self.range.unwrap_or("none");
        write!(f, "HASH {hash} / RANGE {range}")
    }
}

/// Key attributes are strings in the code; their definitions must say `S`.
fn check_string_attribute(
    definitions: &[AttributeDefinition],
    attribute: &str,
) -> Result<(), TemplateError> {
    let attribute_type = definitions
        .iter()
        .find(|definition| definition.attribute_name == attribute)
        .map(|definition| definition.attribute_type.as_str());
    match attribute_type {
        Some("S") => Ok(()),
        found => Err(mismatch(
            format!("attribute {attribute}"),
            "type S",
            found.map_or("no definition".to_owned(), |t| format!("type {t}")),
        )),
    }
}

fn mismatch(
    what: impl Into<String>,
    expected: impl ToString,
    found: impl ToString,
) -> TemplateError {
    TemplateError::TableMismatch {
        what: what.into(),
        expected: expected.to_string(),
        found: found.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = include_str!("../../template.yaml");

    /// The repo's template with exactly one edit.
    fn edited_template(from: &str, to: &str) -> String {
        assert!(
            TEMPLATE.contains(from),
            "template.yaml no longer contains {from:?}"
        );
        TEMPLATE.replacen(from, to, 1)
    }

    fn settings(name: &str, visibility_secs: u64, redrive: Option<(&str, u32)>) -> QueueSettings {
        QueueSettings {
            name: name.into(),
            visibility_timeout: Duration::from_secs(visibility_secs),
            redrive: redrive.map(|(dead_letter_queue, max_receive_count)| Redrive {
                dead_letter_queue: dead_letter_queue.into(),
                max_receive_count,
            }),
        }
    }

    #[test]
    fn repo_template_declares_each_queue_with_its_dead_letter_queue() {
        assert_eq!(
            queues(TEMPLATE).expect("template.yaml queues"),
            vec![
                settings("email-dlq", 30, None),
                settings("notifications-dlq", 30, None),
                settings("email-events-dlq", 30, None),
                settings("booking-events-dlq", 30, None),
                settings("email", 180, Some(("email-dlq", 5))),
                settings("notifications", 180, Some(("notifications-dlq", 5))),
                settings("email-events", 180, Some(("email-events-dlq", 5))),
                settings("booking-events", 180, Some(("booking-events-dlq", 5))),
            ]
        );
    }

    #[test]
    fn repo_template_table_matches_the_code() {
        check_table(TEMPLATE).expect("template.yaml table matches shared::table");
    }

    /// Each edit of the repo's template, and the mismatch `check_table` must name.
    #[test]
    fn each_table_difference_is_named() {
        let cases = [
            (
                "{ AttributeName: gsi2sk, KeyType: RANGE }",
                "{ AttributeName: gsi1sk, KeyType: RANGE }",
                (
                    "index gsi2 key schema",
                    "HASH gsi2pk / RANGE gsi2sk",
                    "HASH gsi2pk / RANGE gsi1sk",
                ),
            ),
            (
                "{ AttributeName: pk, KeyType: HASH }",
                "{ AttributeName: id, KeyType: HASH }",
                ("key schema", "HASH pk / RANGE sk", "HASH id / RANGE sk"),
            ),
            (
                "IndexName: gsi1",
                "IndexName: by_email",
                ("index gsi1", "a GSI", "none"),
            ),
            (
                "      TimeToLiveSpecification:",
                "        - IndexName: gsi3\n          KeySchema:\n            - { AttributeName: gsi2pk, KeyType: HASH }\n          Projection:\n            ProjectionType: ALL\n      TimeToLiveSpecification:",
                ("index gsi3", "only gsi1, gsi2", "this index too"),
            ),
            (
                "ProjectionType: ALL",
                "ProjectionType: KEYS_ONLY",
                ("index gsi1 projection", "ALL", "KEYS_ONLY"),
            ),
            (
                "{ AttributeName: sk, AttributeType: S }",
                "{ AttributeName: sk, AttributeType: N }",
                ("attribute sk", "type S", "type N"),
            ),
            (
                "      TimeToLiveSpecification:\n        AttributeName: ttl\n        Enabled: true\n",
                "",
                ("TTL attribute", TTL, "no TTL enabled"),
            ),
            (
                "AttributeName: ttl",
                "AttributeName: expires_at",
                ("TTL attribute", TTL, "expires_at"),
            ),
            (
                "AttributeName: ttl\n        Enabled: true",
                "AttributeName: ttl\n        Enabled: false",
                ("TTL attribute", TTL, "no TTL enabled"),
            ),
        ];
        for (from, to, (what, expected, found)) in cases {
            let template = edited_template(from, to);
            match check_table(&template) {
                Err(TemplateError::TableMismatch {
                    what: w,
                    expected: e,
                    found: f,
                }) => assert_eq!(
                    (w.as_str(), e.as_str(), f.as_str()),
                    (what, expected, found),
                    "after replacing {from:?} with {to:?}"
                ),
                other => panic!(
                    "after replacing {from:?} with {to:?}: expected a table mismatch, got {other:?}"
                ),
            }
        }
    }

    #[test]
    fn a_template_without_a_table_is_an_error() {
        let template = "Resources:\n  EmailQueue:\n    Type: AWS::SQS::Queue\n";
        assert!(matches!(
            check_table(template),
            Err(TemplateError::TableCount(0))
        ));
    }

    #[test]
    fn a_redrive_to_a_missing_queue_is_an_error() {
        let template = edited_template(
            "deadLetterTargetArn: !GetAtt EmailDeadLetterQueue.Arn",
            "deadLetterTargetArn: !GetAtt EmailsDeadLetterQueue.Arn",
        );
        match queues(&template) {
            Err(TemplateError::MissingDeadLetterQueue { queue, target }) => {
                assert_eq!(
                    (queue.as_str(), target.as_str()),
                    ("email", "EmailsDeadLetterQueue")
                );
            }
            other => panic!("expected a missing dead-letter queue, got {other:?}"),
        }
    }

    #[test]
    fn long_form_get_att_and_string_numbers_are_read() {
        let template = r#"
Resources:
  PasswordResetQueue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: "90"
      RedrivePolicy:
        deadLetterTargetArn:
          Fn::GetAtt: [PasswordResetDeadLetterQueue, Arn]
        maxReceiveCount: "3"
  SESEventsQueue:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: { "Fn::GetAtt": PasswordResetDeadLetterQueue.Arn }
        maxReceiveCount: 4
  PasswordResetDeadLetterQueue:
    Type: AWS::SQS::Queue
"#;
        assert_eq!(
            queues(template).expect("queues"),
            vec![
                settings("password-reset-dlq", 30, None),
                settings("password-reset", 90, Some(("password-reset-dlq", 3))),
                settings("ses-events", 30, Some(("password-reset-dlq", 4))),
            ]
        );
    }

    #[test]
    fn a_queue_outside_the_naming_convention_is_an_error() {
        let template = "Resources:\n  Mailbox:\n    Type: AWS::SQS::Queue\n";
        assert!(matches!(queues(template), Err(TemplateError::QueueName(id)) if id == "Mailbox"));
    }

    #[test]
    fn a_redrive_target_that_is_not_get_att_arn_is_an_error() {
        let template = edited_template(
            "deadLetterTargetArn: !GetAtt EmailDeadLetterQueue.Arn",
            "deadLetterTargetArn: !Ref EmailDeadLetterQueue",
        );
        assert!(matches!(
            queues(&template),
            Err(TemplateError::Resource { resource, .. }) if resource == "EmailQueue"
        ));
    }

    #[test]
    fn scheduled_functions_are_read_with_their_binary_and_rate() {
        let template = r#"
Resources:
  RemindersFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: booking-reminders
    Properties:
      Events:
        Every5Minutes:
          Type: Schedule
          Properties:
            Schedule: rate(5 minutes)
        Api:
          Type: HttpApi
  CleanupFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: cleanup
    Properties:
      Events:
        Daily:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(1 day)
"#;
        let found = schedules(template).expect("schedules");
        let rates: Vec<(&str, u64)> = found
            .iter()
            .map(|s| (s.function.as_str(), s.rate.as_secs()))
            .collect();
        assert_eq!(rates, [("booking-reminders", 300), ("cleanup", 86_400)]);
    }

    #[test]
    fn a_schedule_that_is_not_a_rate_is_an_error() {
        let template = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Metadata: {BuildProperties: {Binary: f}}\n    Properties:\n      Events:\n        E: {Type: Schedule, Properties: {Schedule: 'cron(0 * * * ? *)'}}\n";
        assert!(matches!(
            schedules(template),
            Err(TemplateError::Resource { resource, .. }) if resource == "F"
        ));
        assert_eq!(parse_rate("rate(0 minutes)"), None);
        assert_eq!(parse_rate("rate(1 hour)"), Some(Duration::from_secs(3600)));
    }

    #[test]
    fn kebab_splits_words_and_acronyms() {
        assert_eq!(kebab("Email"), "email");
        assert_eq!(kebab("PasswordReset"), "password-reset");
        assert_eq!(kebab("SESEvents"), "ses-events");
        assert_eq!(kebab("Sms2Fa"), "sms2-fa");
    }
}
