//! `DynamoDbTable`: the `Table` port on DynamoDB, and the table's layout.
//!
//! DynamoDB deletes expired items only eventually, so every condition is
//! rendered to treat an expired item as absent, reads drop expired items, and an
//! update over an expired item first purges it (see `DynamoDbTable::update`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::error::{BuildError, DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification,
    TimeToLiveStatus, TransactWriteItem, Update as UpdateAction,
};
use serde_json::Value;

use crate::adapters::table_requests::{
    check_item, check_key, check_query, check_transaction, check_update, encode_cursor,
};
use crate::clock::Clock;
use crate::table::{
    Condition, Index, Item, Key, Page, Query, SortKey, TTL, Table, TableError, Update, Write,
    is_live,
};

/// An item in DynamoDB's wire form.
type Attributes = HashMap<String, AttributeValue>;

/// How many times a write retries after purging an expired item in its way. One
/// purge is enough unless other writers keep writing already-expired items.
const STALE_ITEM_ATTEMPTS: usize = 3;

/// How long `create_table_if_missing` waits for a new table to become active.
const TABLE_ACTIVE_TIMEOUT: Duration = Duration::from_secs(120);

pub struct DynamoDbTable {
    client: Client,
    table_name: String,
    clock: Arc<dyn Clock>,
}

fn conversion_error(error: serde_dynamo::Error) -> TableError {
    TableError::Backend(format!("item conversion: {error}"))
}

fn build_error(error: BuildError) -> TableError {
    TableError::Backend(format!("request building: {error}"))
}

/// Maps an SDK error to ours by its error code.
fn sdk_error<E, R>(error: SdkError<E, R>) -> TableError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error.code() {
        Some("ConditionalCheckFailedException") => TableError::ConditionFailed,
        Some("TransactionConflictException") => TableError::TransactionConflict,
        Some("ValidationException") => {
            TableError::Invalid(error.message().unwrap_or("validation failed").to_owned())
        }
        _ => TableError::Backend(DisplayErrorContext(&error).to_string()),
    }
}

fn to_attributes(item: &Item) -> Result<Attributes, TableError> {
    serde_dynamo::to_item(item).map_err(conversion_error)
}

fn from_attributes(attributes: Attributes) -> Result<Item, TableError> {
    serde_dynamo::from_item(attributes).map_err(conversion_error)
}

fn key_attributes(key: &Key) -> Attributes {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(key.pk.clone())),
        ("sk".to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// The expression attribute names (`#n…`) and values (`:v…`) of one request,
/// and the rendering of our conditions and updates into expressions using them.
#[derive(Default)]
struct Placeholders {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Placeholders {
    fn name(&mut self, attr: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, name)| *name == attr) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attr.to_owned());
        placeholder
    }

    fn value(&mut self, value: &Value) -> Result<String, TableError> {
        let placeholder = format!(":v{}", self.values.len());
        let value = serde_dynamo::to_attribute_value(value).map_err(conversion_error)?;
        self.values.insert(placeholder.clone(), value);
        Ok(placeholder)
    }

    /// The names for the request; DynamoDB refuses an empty map.
    fn names(&self) -> Option<HashMap<String, String>> {
        Some(self.names.clone()).filter(|names| !names.is_empty())
    }

    fn values(&self) -> Option<Attributes> {
        Some(self.values.clone()).filter(|values| !values.is_empty())
    }

    /// `condition` as DynamoDB evaluates it on the stored item, expired or not.
    fn condition(&mut self, condition: &Condition) -> Result<String, TableError> {
        Ok(match condition {
            Condition::Exists => format!("attribute_exists({})", self.name("pk")),
            Condition::NotExists => format!("attribute_not_exists({})", self.name("pk")),
            Condition::AttrExists(attr) => format!("attribute_exists({})", self.name(attr)),
            Condition::AttrNotExists(attr) => {
                format!("attribute_not_exists({})", self.name(attr))
            }
            Condition::Eq(attr, value) => self.comparison(attr, "=", value)?,
            Condition::Ne(attr, value) => self.comparison(attr, "<>", value)?,
            Condition::Lt(attr, value) => self.ordering(attr, "<", value)?,
            Condition::Le(attr, value) => self.ordering(attr, "<=", value)?,
            Condition::Gt(attr, value) => self.ordering(attr, ">", value)?,
            Condition::Ge(attr, value) => self.ordering(attr, ">=", value)?,
            Condition::And(all) => self.combination(all, "AND", true)?,
            Condition::Or(any) => self.combination(any, "OR", false)?,
            Condition::Not(inner) => format!("(NOT {})", self.condition(inner)?),
        })
    }

    fn comparison(
        &mut self,
        attr: &str,
        operator: &str,
        value: &Value,
    ) -> Result<String, TableError> {
        Ok(format!(
            "{} {operator} {}",
            self.name(attr),
            self.value(value)?
        ))
    }

    /// An ordering comparison, false when the attribute is of another type than
    /// the value (as the contract says). The explicit type test keeps DynamoDB
    /// from ever ordering values of two types (moto fails on it).
    fn ordering(
        &mut self,
        attr: &str,
        operator: &str,
        value: &Value,
    ) -> Result<String, TableError> {
        let type_tag = match value {
            Value::String(_) => "S",
            Value::Number(_) => "N",
            Value::Bool(_) => "BOOL",
            Value::Null => "NULL",
            Value::Array(_) => "L",
            Value::Object(_) => "M",
        };
        let same_type = format!(
            "attribute_type({}, {})",
            self.name(attr),
            self.value(&Value::from(type_tag))?
        );
        Ok(format!(
            "({same_type} AND {})",
            self.comparison(attr, operator, value)?
        ))
    }

    /// Conditions joined by `operator`; `empty` is what joining none means
    /// (true for AND, false for OR), which DynamoDB has no literal for.
    fn combination(
        &mut self,
        conditions: &[Condition],
        operator: &str,
        empty: bool,
    ) -> Result<String, TableError> {
        if conditions.is_empty() {
            let pk = self.name("pk");
            let joiner = if empty { "OR" } else { "AND" };
            return Ok(format!(
                "(attribute_exists({pk}) {joiner} attribute_not_exists({pk}))"
            ));
        }
        let rendered = conditions
            .iter()
            .map(|condition| self.condition(condition))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(format!("({})", rendered.join(&format!(" {operator} "))))
    }

    /// True unless the stored item has expired at `now` (true when there is none).
    fn not_expired(&mut self, now: i64) -> Result<String, TableError> {
        let ttl = self.name(TTL);
        let now = self.value(&Value::from(now))?;
        Ok(format!("(attribute_not_exists({ttl}) OR {ttl} > {now})"))
    }

    /// `condition` on the live item: an expired item counts as absent.
    fn on_live_item(&mut self, condition: &Condition, now: i64) -> Result<String, TableError> {
        let rendered = self.condition(condition)?;
        let live = format!(
            "(attribute_exists({}) AND {})",
            self.name("pk"),
            self.not_expired(now)?
        );
        Ok(if condition.holds(None) {
            format!("((NOT {live}) OR {rendered})")
        } else {
            format!("({live} AND {rendered})")
        })
    }

    /// `on_live_item` for a write whose condition is optional.
    fn on_live_item_if_any(
        &mut self,
        condition: Option<&Condition>,
        now: i64,
    ) -> Result<Option<String>, TableError> {
        condition.map(|c| self.on_live_item(c, now)).transpose()
    }

    /// The condition of an update: its own, and that no expired item is in the
    /// way (the adapter purges one and retries, so no stale attribute survives).
    fn update_condition(
        &mut self,
        condition: Option<&Condition>,
        now: i64,
    ) -> Result<String, TableError> {
        let not_expired = self.not_expired(now)?;
        match condition {
            Some(condition) => Ok(format!(
                "{} AND {not_expired}",
                self.on_live_item(condition, now)?
            )),
            None => Ok(not_expired),
        }
    }

    fn update_expression(&mut self, update: &Update) -> Result<String, TableError> {
        let mut clauses = Vec::new();
        let mut set = Vec::new();
        for (attr, value) in &update.set {
            set.push(format!("{} = {}", self.name(attr), self.value(value)?));
        }
        if !set.is_empty() {
            clauses.push(format!("SET {}", set.join(", ")));
        }
        let mut add = Vec::new();
        for (attr, by) in &update.add {
            add.push(format!(
                "{} {}",
                self.name(attr),
                self.value(&Value::from(*by))?
            ));
        }
        if !add.is_empty() {
            clauses.push(format!("ADD {}", add.join(", ")));
        }
        let remove: Vec<String> = update.remove.iter().map(|attr| self.name(attr)).collect();
        if !remove.is_empty() {
            clauses.push(format!("REMOVE {}", remove.join(", ")));
        }
        Ok(clauses.join(" "))
    }

    /// A query's key condition: the partition, and the sort-key condition if any.
    fn key_condition(&mut self, query: &Query) -> Result<String, TableError> {
        let pk = self.name(query.index.pk_attr());
        let partition = format!("{pk} = {}", self.value(&Value::from(query.pk.clone()))?);
        let Some(condition) = &query.sk else {
            return Ok(partition);
        };
        let sk = self.name(query.index.sk_attr());
        let mut value = |v: &String| self.value(&Value::from(v.clone()));
        let sort = match condition {
            SortKey::Eq(v) => format!("{sk} = {}", value(v)?),
            SortKey::BeginsWith(prefix) => format!("begins_with({sk}, {})", value(prefix)?),
            SortKey::Between(low, high) => {
                format!("{sk} BETWEEN {} AND {}", value(low)?, value(high)?)
            }
            SortKey::Lt(v) => format!("{sk} < {}", value(v)?),
            SortKey::Le(v) => format!("{sk} <= {}", value(v)?),
            SortKey::Gt(v) => format!("{sk} > {}", value(v)?),
            SortKey::Ge(v) => format!("{sk} >= {}", value(v)?),
        };
        Ok(format!("{partition} AND {sort}"))
    }
}

/// Whether a write's condition failed only because an expired item was in the
/// way of an update: `old` (the stored item the failure returned) has expired
/// and the condition holds for an absent item. Purging `old` then lets it pass.
fn is_stale_obstacle(
    old: Option<&Attributes>,
    condition: Option<&Condition>,
    now: i64,
) -> Result<bool, TableError> {
    let Some(old) = old else {
        return Ok(false);
    };
    let old = from_attributes(old.clone())?;
    Ok(!is_live(&old, now) && condition.is_none_or(|c| c.holds(None)))
}

impl DynamoDbTable {
    pub fn new(client: Client, table_name: String, clock: Arc<dyn Clock>) -> Self {
        DynamoDbTable {
            client,
            table_name,
            clock,
        }
    }

    fn now(&self) -> i64 {
        self.clock.now().as_second()
    }

    /// Deletes the item under `key` if it is (still) expired.
    async fn purge_expired(&self, key: &Key, now: i64) -> Result<(), TableError> {
        let mut placeholders = Placeholders::default();
        let ttl = placeholders.name(TTL);
        let now = placeholders.value(&Value::from(now))?;
        let outcome = self
            .client
            .delete_item()
            .table_name(&self.table_name)
            .set_key(Some(key_attributes(key)))
            .condition_expression(format!("{ttl} <= {now}"))
            .set_expression_attribute_names(placeholders.names())
            .set_expression_attribute_values(placeholders.values())
            .send()
            .await;
        match outcome.map_err(sdk_error) {
            // Someone rewrote it meanwhile: nothing stale is left to purge.
            Ok(_) | Err(TableError::ConditionFailed) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// One write of a transaction, with its condition made expiry-aware.
    fn transact_item(&self, write: &Write, now: i64) -> Result<TransactWriteItem, TableError> {
        let mut placeholders = Placeholders::default();
        let builder = TransactWriteItem::builder();
        let builder = match write {
            Write::Put { item, condition } => {
                let condition = placeholders.on_live_item_if_any(condition.as_ref(), now)?;
                let put = Put::builder()
                    .table_name(&self.table_name)
                    .set_item(Some(to_attributes(item)?))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(placeholders.names())
                    .set_expression_attribute_values(placeholders.values());
                builder.put(put.build().map_err(build_error)?)
            }
            Write::Update {
                key,
                update,
                condition,
            } => {
                let update_expression = placeholders.update_expression(update)?;
                let condition = placeholders.update_condition(condition.as_ref(), now)?;
                let update = UpdateAction::builder()
                    .table_name(&self.table_name)
                    .set_key(Some(key_attributes(key)))
                    .update_expression(update_expression)
                    .condition_expression(condition)
                    .set_expression_attribute_names(placeholders.names())
                    .set_expression_attribute_values(placeholders.values())
                    .return_values_on_condition_check_failure(
                        ReturnValuesOnConditionCheckFailure::AllOld,
                    );
                builder.update(update.build().map_err(build_error)?)
            }
            Write::Delete { key, condition } => {
                let condition = placeholders.on_live_item_if_any(condition.as_ref(), now)?;
                let delete = Delete::builder()
                    .table_name(&self.table_name)
                    .set_key(Some(key_attributes(key)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(placeholders.names())
                    .set_expression_attribute_values(placeholders.values());
                builder.delete(delete.build().map_err(build_error)?)
            }
            Write::Check { key, condition } => {
                let condition = placeholders.on_live_item(condition, now)?;
                let check = ConditionCheck::builder()
                    .table_name(&self.table_name)
                    .set_key(Some(key_attributes(key)))
                    .condition_expression(condition)
                    .set_expression_attribute_names(placeholders.names())
                    .set_expression_attribute_values(placeholders.values());
                builder.condition_check(check.build().map_err(build_error)?)
            }
        };
        Ok(builder.build())
    }

    /// Makes sense of a cancelled transaction: the first failed condition, unless
    /// it failed only on expired items in the way of updates, which are then
    /// purged (`Ok(())`: retry).
    async fn handle_cancellation(
        &self,
        writes: &[Write],
        reasons: &[aws_sdk_dynamodb::types::CancellationReason],
        now: i64,
    ) -> Result<(), TableError> {
        let failed = |code: &str| reasons.iter().position(|r| r.code() == Some(code));
        let Some(index) = failed("ConditionalCheckFailed") else {
            if failed("TransactionConflict").is_some() {
                return Err(TableError::TransactionConflict);
            }
            let codes: Vec<&str> = reasons.iter().filter_map(|r| r.code()).collect();
            return Err(TableError::Backend(format!(
                "transaction cancelled: {codes:?}"
            )));
        };
        let mut stale = Vec::new();
        for (position, (write, reason)) in writes.iter().zip(reasons).enumerate() {
            if let Write::Update { key, condition, .. } = write
                && reason.code() == Some("ConditionalCheckFailed")
                && is_stale_obstacle(reason.item(), condition.as_ref(), now)?
            {
                stale.push((position, key));
            }
        }
        if !stale.iter().any(|(position, _)| *position == index) {
            return Err(TableError::TransactionConditionFailed { index });
        }
        for (_, key) in stale {
            self.purge_expired(key, now).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Table for DynamoDbTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, TableError> {
        check_key(key)?;
        let now = self.now();
        let output = self
            .client
            .get_item()
            .table_name(&self.table_name)
            .set_key(Some(key_attributes(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        let item = output.item.map(from_attributes).transpose()?;
        Ok(item.filter(|item| is_live(item, now)))
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> Result<(), TableError> {
        check_item(&item)?;
        let now = self.now();
        let mut placeholders = Placeholders::default();
        let condition = placeholders.on_live_item_if_any(condition.as_ref(), now)?;
        self.client
            .put_item()
            .table_name(&self.table_name)
            .set_item(Some(to_attributes(&item)?))
            .set_condition_expression(condition)
            .set_expression_attribute_names(placeholders.names())
            .set_expression_attribute_values(placeholders.values())
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// DynamoDB cannot drop attributes it is not told the names of, so an update
    /// refuses to run over an expired item; on that refusal the expired item is
    /// purged and the update retried, starting from the key alone.
    async fn update(
        &self,
        key: &Key,
        update: &Update,
        condition: Option<Condition>,
    ) -> Result<Item, TableError> {
        check_update(key, update)?;
        for _ in 0..STALE_ITEM_ATTEMPTS {
            let now = self.now();
            let mut placeholders = Placeholders::default();
            let update_expression = placeholders.update_expression(update)?;
            let condition_expression = placeholders.update_condition(condition.as_ref(), now)?;
            let outcome = self
                .client
                .update_item()
                .table_name(&self.table_name)
                .set_key(Some(key_attributes(key)))
                .update_expression(update_expression)
                .condition_expression(condition_expression)
                .set_expression_attribute_names(placeholders.names())
                .set_expression_attribute_values(placeholders.values())
                .return_values(ReturnValue::AllNew)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let error = match outcome {
                Ok(output) => return from_attributes(output.attributes.unwrap_or_default()),
                Err(error) => error,
            };
            let Some(UpdateItemError::ConditionalCheckFailedException(failure)) =
                error.as_service_error()
            else {
                return Err(sdk_error(error));
            };
            if !is_stale_obstacle(failure.item(), condition.as_ref(), now)? {
                return Err(TableError::ConditionFailed);
            }
            self.purge_expired(key, now).await?;
        }
        Err(TableError::Backend(format!(
            "item ({}, {}) was expired again after {STALE_ITEM_ATTEMPTS} purges",
            key.pk, key.sk
        )))
    }

    async fn delete(
        &self,
        key: &Key,
        condition: Option<Condition>,
    ) -> Result<Option<Item>, TableError> {
        check_key(key)?;
        let now = self.now();
        let mut placeholders = Placeholders::default();
        let condition = placeholders.on_live_item_if_any(condition.as_ref(), now)?;
        let output = self
            .client
            .delete_item()
            .table_name(&self.table_name)
            .set_key(Some(key_attributes(key)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(placeholders.names())
            .set_expression_attribute_values(placeholders.values())
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(sdk_error)?;
        let old = output.attributes.map(from_attributes).transpose()?;
        Ok(old.filter(|item| is_live(item, now)))
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), TableError> {
        check_transaction(&writes)?;
        for _ in 0..STALE_ITEM_ATTEMPTS {
            let now = self.now();
            let items = writes
                .iter()
                .map(|write| self.transact_item(write, now))
                .collect::<Result<Vec<_>, _>>()?;
            let outcome = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items))
                .send()
                .await;
            let error = match outcome {
                Ok(_) => return Ok(()),
                Err(error) => error,
            };
            let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
                error.as_service_error()
            else {
                return Err(sdk_error(error));
            };
            self.handle_cancellation(&writes, cancelled.cancellation_reasons(), now)
                .await?;
        }
        Err(TableError::TransactionConflict)
    }

    async fn query(&self, query: &Query) -> Result<Page, TableError> {
        let start = check_query(query)?;
        let now = self.now();
        let mut placeholders = Placeholders::default();
        let key_condition = placeholders.key_condition(query)?;
        let live = placeholders.not_expired(now)?;
        let output = self
            .client
            .query()
            .table_name(&self.table_name)
            .set_index_name(query.index.name().map(str::to_owned))
            .key_condition_expression(key_condition)
            .filter_expression(live)
            .set_expression_attribute_names(placeholders.names())
            .set_expression_attribute_values(placeholders.values())
            // Indexes only serve eventually consistent reads.
            .consistent_read(query.index == Index::Table)
            .scan_index_forward(query.forward)
            // `check_query` bounds the limit to 1..=1000.
            .limit(query.limit as i32)
            .set_exclusive_start_key(start.as_ref().map(to_attributes).transpose()?)
            .send()
            .await
            .map_err(sdk_error)?;
        let items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_attributes)
            .collect::<Result<Vec<_>, _>>()?;
        let cursor = output
            .last_evaluated_key
            .map(from_attributes)
            .transpose()?
            .map(|last| encode_cursor(query.index, &last));
        Ok(Page { items, cursor })
    }
}

fn key_schema(index: Index) -> Result<Vec<KeySchemaElement>, TableError> {
    [
        (index.pk_attr(), KeyType::Hash),
        (index.sk_attr(), KeyType::Range),
    ]
    .into_iter()
    .map(|(attr, key_type)| {
        KeySchemaElement::builder()
            .attribute_name(attr)
            .key_type(key_type)
            .build()
            .map_err(build_error)
    })
    .collect()
}

/// Creates the table with the layout the adapter expects (the key and the GSIs
/// of `Index::ALL`, all strings, projecting everything; on-demand billing) and
/// TTL on `ttl`. An existing table is left as it is, TTL aside.
pub async fn create_table_if_missing(client: &Client, table_name: &str) -> Result<(), TableError> {
    let mut attribute_definitions = Vec::new();
    let mut global_indexes = Vec::new();
    for index in Index::ALL {
        for attr in [index.pk_attr(), index.sk_attr()] {
            let definition = AttributeDefinition::builder()
                .attribute_name(attr)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(build_error)?;
            attribute_definitions.push(definition);
        }
        if let Some(name) = index.name() {
            let global_index = GlobalSecondaryIndex::builder()
                .index_name(name)
                .set_key_schema(Some(key_schema(index)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(build_error)?;
            global_indexes.push(global_index);
        }
    }
    let created = client
        .create_table()
        .table_name(table_name)
        .set_attribute_definitions(Some(attribute_definitions))
        .set_key_schema(Some(key_schema(Index::Table)?))
        .set_global_secondary_indexes(Some(global_indexes))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(error) if error.code() == Some("ResourceInUseException") => {}
        Err(error) => return Err(sdk_error(error)),
    }
    client
        .wait_until_table_exists()
        .table_name(table_name)
        .wait(TABLE_ACTIVE_TIMEOUT)
        .await
        .map_err(|e| TableError::Backend(format!("table {table_name} not active: {e}")))?;
    enable_ttl(client, table_name).await
}

/// Turns TTL on for `ttl` unless it already is (DynamoDB refuses to enable it twice).
async fn enable_ttl(client: &Client, table_name: &str) -> Result<(), TableError> {
    let described = client
        .describe_time_to_live()
        .table_name(table_name)
        .send()
        .await
        .map_err(sdk_error)?;
    let status = described
        .time_to_live_description()
        .and_then(|d| d.time_to_live_status());
    if matches!(
        status,
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
    ) {
        return Ok(());
    }
    let specification = TimeToLiveSpecification::builder()
        .attribute_name(TTL)
        .enabled(true)
        .build()
        .map_err(build_error)?;
    client
        .update_time_to_live()
        .table_name(table_name)
        .time_to_live_specification(specification)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}
