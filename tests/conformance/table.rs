//! The `Table` conformance suite: every case runs on the embedded adapter and on
//! DynamoDB (the moto server named by `AWS_ENDPOINT_URL`), each on a fresh store,
//! as `<case>::embedded` and `<case>::dynamodb`.

use platform_tests::table::{TestTable, dynamodb, embedded};
use serde_json::{Value, json};
use shared::table::{
    Condition, Index, Item, Key, MAX_TRANSACTION_WRITES, Page, Query, SortKey, Table, TableError,
    Update, Write,
};

/// Generates `<case>::embedded` and `<case>::dynamodb` for each case function.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn embedded() {
                super::$case(super::embedded().await).await;
            }
            #[tokio::test]
            async fn dynamodb() {
                super::$case(super::dynamodb().await).await;
            }
        }
    )*};
}

conformance!(
    conditional_put,
    conditional_update,
    conditional_delete,
    update_semantics,
    update_refuses_bad_changes,
    put_refuses_bad_items,
    transaction_applies_every_write,
    transaction_is_all_or_nothing,
    transaction_limits,
    query_table_sort_keys,
    query_gsi1_sort_keys,
    query_gsi2_sort_keys,
    query_pages_with_cursor,
    query_pages_through_tied_index_sort_keys,
    sparse_index,
    bad_cursors_and_limits,
    expired_items_are_never_read,
    expired_items_are_absent_for_conditions,
    update_over_expired_item_starts_fresh,
    oversized_keys_are_refused,
);

fn item(value: Value) -> Item {
    match value {
        Value::Object(item) => item,
        other => panic!("not an object: {other}"),
    }
}

fn key(pk: &str, sk: &str) -> Key {
    Key::new(pk, sk)
}

fn attr<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name).and_then(Value::as_str).unwrap_or("")
}

// ---- conditions -------------------------------------------------------------

/// The stored item every condition case is checked against.
fn base_item() -> Item {
    item(json!({"pk": "cond", "sk": "1", "name": "ada", "n": 5, "flag": true}))
}

/// Condition cases: whether an item is stored, the condition, whether it holds.
fn condition_cases() -> Vec<(bool, Condition, bool)> {
    use Condition::*;
    let s = |v: &str| Value::from(v);
    let n = |v: i64| Value::from(v);
    vec![
        (true, Exists, true),
        (false, Exists, false),
        (true, NotExists, false),
        (false, NotExists, true),
        (true, AttrExists("name".into()), true),
        (true, AttrExists("missing".into()), false),
        (true, AttrNotExists("missing".into()), true),
        (true, AttrNotExists("name".into()), false),
        (false, AttrNotExists("name".into()), true),
        (true, Eq("n".into(), n(5)), true),
        (true, Eq("n".into(), n(6)), false),
        (true, Eq("n".into(), s("5")), false),
        (true, Eq("flag".into(), Value::from(true)), true),
        (false, Eq("n".into(), n(5)), false),
        (true, Ne("n".into(), n(6)), true),
        (true, Ne("n".into(), n(5)), false),
        (true, Ne("missing".into(), n(5)), true),
        (false, Ne("n".into(), n(5)), true),
        (true, Lt("n".into(), n(6)), true),
        (true, Lt("n".into(), n(5)), false),
        (true, Lt("name".into(), s("bob")), true),
        (true, Lt("name".into(), n(9)), false),
        (true, Le("n".into(), n(5)), true),
        (true, Le("n".into(), n(4)), false),
        (true, Gt("n".into(), n(4)), true),
        (true, Gt("n".into(), n(5)), false),
        (true, Gt("name".into(), s("ab")), true),
        (true, Ge("n".into(), n(5)), true),
        (true, Ge("n".into(), n(6)), false),
        (false, Ge("n".into(), n(0)), false),
        (true, And(vec![Exists, Eq("n".into(), n(5))]), true),
        (true, And(vec![Exists, Eq("n".into(), n(6))]), false),
        (true, And(vec![]), true),
        (
            true,
            Or(vec![Eq("n".into(), n(6)), Eq("name".into(), s("ada"))]),
            true,
        ),
        (true, Or(vec![Eq("n".into(), n(6)), NotExists]), false),
        (false, Or(vec![Exists, NotExists]), true),
        (true, Or(vec![]), false),
        (true, Not(Box::new(Eq("n".into(), n(6)))), true),
        (true, Not(Box::new(Exists)), false),
        (false, Not(Box::new(Exists)), true),
    ]
}

#[derive(Clone, Copy)]
enum Operation {
    Put,
    Update,
    Delete,
}

/// Runs every condition case through one kind of write: the write succeeds and
/// takes effect exactly when the condition holds, and changes nothing otherwise.
async fn check_conditions(store: TestTable, operation: Operation) {
    let key = key("cond", "1");
    for (stored, condition, holds) in condition_cases() {
        assert_eq!(condition.holds(stored.then_some(&base_item())), holds);
        store.table.delete(&key, None).await.expect("reset");
        if stored {
            store.table.put(base_item(), None).await.expect("reset");
        }
        let before = store.table.get(&key).await.expect("get");
        let case = format!("stored: {stored}, condition: {condition:?}");
        let condition = Some(condition);
        let outcome = match operation {
            Operation::Put => {
                let mut new = base_item();
                new.insert("name".into(), json!("new"));
                store.table.put(new, condition).await
            }
            Operation::Update => {
                let update = Update::new().set("name", "new");
                store.table.update(&key, &update, condition).await.map(drop)
            }
            Operation::Delete => store.table.delete(&key, condition).await.map(drop),
        };
        let after = store.table.get(&key).await.expect("get");
        if holds {
            outcome.unwrap_or_else(|e| panic!("{case}: {e}"));
            match operation {
                Operation::Put | Operation::Update => {
                    assert_eq!(
                        after.as_ref().map(|i| attr(i, "name")),
                        Some("new"),
                        "{case}"
                    );
                }
                Operation::Delete => assert_eq!(after, None, "{case}"),
            }
        } else {
            assert!(
                matches!(outcome, Err(TableError::ConditionFailed)),
                "{case}: {outcome:?}"
            );
            assert_eq!(after, before, "{case}: a failed write changed the item");
        }
    }
}

async fn conditional_put(store: TestTable) {
    check_conditions(store, Operation::Put).await;
}

async fn conditional_update(store: TestTable) {
    check_conditions(store, Operation::Update).await;
}

async fn conditional_delete(store: TestTable) {
    check_conditions(store, Operation::Delete).await;
}

// ---- single writes ----------------------------------------------------------

async fn update_semantics(store: TestTable) {
    let key = key("user", "profile");
    // An upsert: the item is created from its key; `add` starts from 0.
    let created = store
        .table
        .update(
            &key,
            &Update::new().set("name", "ada").add("logins", 2),
            None,
        )
        .await
        .expect("upsert");
    let expected = item(json!({"pk": "user", "sk": "profile", "name": "ada", "logins": 2}));
    assert_eq!(created, expected);
    assert_eq!(store.table.get(&key).await.expect("get"), Some(expected));

    // Set, add (negative too) and remove together; untouched attributes stay.
    store
        .table
        .update(
            &key,
            &Update::new().set("city", "Paris").set("tags", json!(["a"])),
            None,
        )
        .await
        .expect("set");
    let updated = store
        .table
        .update(
            &key,
            &Update::new()
                .set("name", "Ada L.")
                .add("logins", -1)
                .remove("city")
                .remove("never-there"),
            None,
        )
        .await
        .expect("update");
    let expected = item(json!({
        "pk": "user", "sk": "profile", "name": "Ada L.", "logins": 1, "tags": ["a"]
    }));
    assert_eq!(
        updated, expected,
        "the returned item is the item as written"
    );
    assert_eq!(store.table.get(&key).await.expect("get"), Some(expected));
}

async fn update_refuses_bad_changes(store: TestTable) {
    let key = key("user", "profile");
    let stored = item(json!({"pk": "user", "sk": "profile", "name": "ada"}));
    store.table.put(stored.clone(), None).await.expect("put");
    let refused = [
        Update::new().set("pk", "other"),
        Update::new().remove("sk"),
        Update::new().add("sk", 1),
        Update::new().set("gsi1pk", 7),
        Update::new().set("ttl", "tomorrow"),
        Update::new().add("name", 1),
        Update::new().set("name", "x").remove("name"),
        Update::new(),
    ];
    for update in refused {
        let outcome = store.table.update(&key, &update, None).await;
        assert!(
            matches!(outcome, Err(TableError::Invalid(_))),
            "{update:?}: {outcome:?}"
        );
        assert_eq!(
            store.table.get(&key).await.expect("get"),
            Some(stored.clone())
        );
    }
    let missing = key_of_nothing();
    let outcome = store
        .table
        .update(&missing, &Update::new().set("pk", "x"), None)
        .await;
    assert!(matches!(outcome, Err(TableError::Invalid(_))));
    assert_eq!(store.table.get(&missing).await.expect("get"), None);
}

fn key_of_nothing() -> Key {
    key("nothing", "here")
}

async fn put_refuses_bad_items(store: TestTable) {
    let refused = [
        json!({"pk": "a"}),
        json!({"pk": 1, "sk": "a"}),
        json!({"pk": "", "sk": "a"}),
        json!({"pk": "a", "sk": "a", "gsi1pk": "g", "gsi1sk": 3}),
        json!({"pk": "a", "sk": "a", "gsi2pk": ""}),
        json!({"pk": "a", "sk": "a", "ttl": "soon"}),
        json!({"pk": "a", "sk": "a", "blob": "x".repeat(401 * 1024)}),
    ];
    for bad in refused {
        let outcome = store.table.put(item(bad.clone()), None).await;
        assert!(
            matches!(outcome, Err(TableError::Invalid(_))),
            "{bad}: {outcome:?}"
        );
    }
    assert_eq!(store.table.get(&key("a", "a")).await.expect("get"), None);
}

// ---- transactions -----------------------------------------------------------

async fn transaction_applies_every_write(store: TestTable) {
    let t = &store.table;
    t.put(item(json!({"pk": "t", "sk": "updated", "n": 1})), None)
        .await
        .expect("put");
    t.put(item(json!({"pk": "t", "sk": "deleted"})), None)
        .await
        .expect("put");
    t.put(
        item(json!({"pk": "t", "sk": "checked", "state": "open"})),
        None,
    )
    .await
    .expect("put");
    t.transact(vec![
        Write::Put {
            item: item(json!({"pk": "t", "sk": "created", "v": "x"})),
            condition: Some(Condition::NotExists),
        },
        Write::Update {
            key: key("t", "updated"),
            update: Update::new().add("n", 1),
            condition: Some(Condition::eq("n", 1)),
        },
        Write::Delete {
            key: key("t", "deleted"),
            condition: Some(Condition::Exists),
        },
        Write::Check {
            key: key("t", "checked"),
            condition: Condition::eq("state", "open"),
        },
    ])
    .await
    .expect("transaction");
    let get = |sk: &'static str| async move { t.get(&key("t", sk)).await.expect("get") };
    assert_eq!(
        get("created").await,
        Some(item(json!({"pk": "t", "sk": "created", "v": "x"})))
    );
    assert_eq!(
        get("updated").await,
        Some(item(json!({"pk": "t", "sk": "updated", "n": 2})))
    );
    assert_eq!(get("deleted").await, None);
    assert_eq!(
        get("checked").await,
        Some(item(json!({"pk": "t", "sk": "checked", "state": "open"})))
    );
}

/// Five writes where only `failing` has a condition that does not hold.
fn writes_failing_at(failing: usize) -> Vec<Write> {
    let condition = |index: usize, holds: Condition, fails: Condition| {
        if index == failing { fails } else { holds }
    };
    vec![
        Write::Put {
            item: item(json!({"pk": "t", "sk": "new", "v": 1})),
            condition: Some(condition(0, Condition::NotExists, Condition::Exists)),
        },
        Write::Update {
            key: key("t", "counter"),
            update: Update::new().add("n", 1),
            condition: Some(condition(1, Condition::lt("n", 10), Condition::lt("n", 0))),
        },
        Write::Check {
            key: key("t", "guard"),
            condition: condition(2, Condition::Exists, Condition::NotExists),
        },
        Write::Delete {
            key: key("t", "old"),
            condition: Some(condition(
                3,
                Condition::Exists,
                Condition::attr_not_exists("sk"),
            )),
        },
        Write::Put {
            item: item(json!({"pk": "t", "sk": "counter-copy", "v": 2})),
            condition: Some(condition(4, Condition::NotExists, Condition::Exists)),
        },
    ]
}

async fn transaction_is_all_or_nothing(store: TestTable) {
    let t = &store.table;
    let seeded = [
        json!({"pk": "t", "sk": "counter", "n": 1}),
        json!({"pk": "t", "sk": "guard"}),
        json!({"pk": "t", "sk": "old"}),
    ];
    for seed in &seeded {
        t.put(item(seed.clone()), None).await.expect("seed");
    }
    let snapshot = || async {
        let page = t
            .query(&Query::new(Index::Table, "t"))
            .await
            .expect("query");
        page.items
    };
    let before = snapshot().await;
    assert_eq!(before.len(), 3);
    // First, middle, last (and the others): the failing one is reported, nothing is written.
    for failing in 0..5 {
        let outcome = t.transact(writes_failing_at(failing)).await;
        assert!(
            matches!(outcome, Err(TableError::TransactionConditionFailed { index }) if index == failing),
            "failing at {failing}: {outcome:?}"
        );
        assert_eq!(snapshot().await, before, "failing at {failing}");
    }
    // Two failing writes: the first is reported.
    let mut writes = writes_failing_at(3);
    writes[1] = writes_failing_at(1).swap_remove(1);
    let outcome = t.transact(writes).await;
    assert!(matches!(
        outcome,
        Err(TableError::TransactionConditionFailed { index: 1 })
    ));
    // With no failing write, every write lands.
    t.transact(writes_failing_at(usize::MAX))
        .await
        .expect("transaction");
    let sks: Vec<String> = snapshot()
        .await
        .iter()
        .map(|i| attr(i, "sk").to_owned())
        .collect();
    assert_eq!(sks, ["counter", "counter-copy", "guard", "new"]);
}

async fn transaction_limits(store: TestTable) {
    let t = &store.table;
    let put = |n: usize| Write::Put {
        item: item(json!({"pk": "many", "sk": format!("{n:03}")})),
        condition: Some(Condition::NotExists),
    };
    let too_many: Vec<Write> = (0..=MAX_TRANSACTION_WRITES).map(put).collect();
    assert!(matches!(
        t.transact(too_many).await,
        Err(TableError::Invalid(_))
    ));
    assert!(matches!(
        t.transact(vec![]).await,
        Err(TableError::Invalid(_))
    ));
    let twice = vec![
        put(1),
        Write::Delete {
            key: key("many", "001"),
            condition: None,
        },
    ];
    assert!(matches!(
        t.transact(twice).await,
        Err(TableError::Invalid(_))
    ));
    let bad_item = vec![
        put(2),
        Write::Put {
            item: item(json!({"pk": "many"})),
            condition: None,
        },
    ];
    assert!(matches!(
        t.transact(bad_item).await,
        Err(TableError::Invalid(_))
    ));
    let page = t
        .query(&Query::new(Index::Table, "many"))
        .await
        .expect("query");
    assert_eq!(page, Page::default(), "refused transactions wrote nothing");

    let hundred: Vec<Write> = (0..MAX_TRANSACTION_WRITES).map(put).collect();
    t.transact(hundred).await.expect("100 writes");
    let page = t
        .query(&Query::new(Index::Table, "many").limit(1000))
        .await
        .expect("query");
    let sks: Vec<&str> = page.items.iter().map(|i| attr(i, "sk")).collect();
    let expected: Vec<String> = (0..MAX_TRANSACTION_WRITES)
        .map(|n| format!("{n:03}"))
        .collect();
    assert_eq!(sks, expected);
}

// ---- queries ----------------------------------------------------------------

const SORT_KEYS: [&str; 6] = ["a", "b1", "b2", "b3", "c", "d"];

/// An item placed at (`partition`, `sort_key`) in `index`, unique in the table.
fn indexed_item(index: Index, partition: &str, sort_key: &str, n: usize) -> Item {
    let mut item = item(json!({"pk": format!("item#{n:03}"), "sk": "v", "n": n}));
    item.insert(index.pk_attr().into(), json!(partition));
    item.insert(index.sk_attr().into(), json!(sort_key));
    item
}

/// Items at `SORT_KEYS` in partition "P" of `index`, with neighbours in other
/// partitions, read back under every sort-key condition, both ways.
async fn check_sort_key_conditions(store: TestTable, index: Index) {
    for (n, sort_key) in SORT_KEYS.iter().enumerate() {
        store
            .table
            .put(indexed_item(index, "P", sort_key, n), None)
            .await
            .expect("put");
    }
    for (n, partition) in ["O", "PP", "p"].iter().enumerate() {
        store
            .table
            .put(indexed_item(index, partition, "b2", 100 + n), None)
            .await
            .expect("put");
    }
    let cases: [(Option<SortKey>, &[&str]); 9] = [
        (None, &SORT_KEYS),
        (Some(SortKey::Eq("b2".into())), &["b2"]),
        (Some(SortKey::Eq("b".into())), &[]),
        (Some(SortKey::BeginsWith("b".into())), &["b1", "b2", "b3"]),
        (
            Some(SortKey::Between("b2".into(), "c".into())),
            &["b2", "b3", "c"],
        ),
        (Some(SortKey::Lt("b2".into())), &["a", "b1"]),
        (Some(SortKey::Le("b2".into())), &["a", "b1", "b2"]),
        (Some(SortKey::Gt("b3".into())), &["c", "d"]),
        (Some(SortKey::Ge("b3".into())), &["b3", "c", "d"]),
    ];
    for (condition, expected) in cases {
        let mut query = Query::new(index, "P");
        query.sk = condition.clone();
        let forward = store.table.query(&query).await.expect("query");
        let got: Vec<&str> = forward
            .items
            .iter()
            .map(|i| attr(i, index.sk_attr()))
            .collect();
        assert_eq!(got, expected, "{index:?} {condition:?} forward");
        assert!(
            forward
                .items
                .iter()
                .all(|i| attr(i, index.pk_attr()) == "P")
        );
        assert_eq!(forward.cursor, None);

        let backward = store.table.query(&query.backward()).await.expect("query");
        let got: Vec<&str> = backward
            .items
            .iter()
            .map(|i| attr(i, index.sk_attr()))
            .collect();
        let reversed: Vec<&str> = expected.iter().rev().copied().collect();
        assert_eq!(got, reversed, "{index:?} {condition:?} backward");
    }
}

async fn query_table_sort_keys(store: TestTable) {
    check_sort_key_conditions(store, Index::Table).await;
}

async fn query_gsi1_sort_keys(store: TestTable) {
    check_sort_key_conditions(store, Index::Gsi1).await;
}

async fn query_gsi2_sort_keys(store: TestTable) {
    check_sort_key_conditions(store, Index::Gsi2).await;
}

/// Every page of `query`, checking none is over the limit.
async fn all_pages(table: &dyn Table, query: Query) -> Vec<Item> {
    let mut items = Vec::new();
    let mut cursor = None;
    // Bounded: a page holds at least one item, or the one after it ends the query.
    for _ in 0..=50 {
        let page = table
            .query(&query.clone().after(cursor))
            .await
            .expect("page");
        assert!(
            page.items.len() <= query.limit as usize,
            "page over the limit"
        );
        items.extend(page.items);
        cursor = page.cursor;
        if cursor.is_none() {
            return items;
        }
    }
    panic!("the query did not end");
}

async fn query_pages_with_cursor(store: TestTable) {
    let sort_keys: Vec<String> = (0..23).map(|n| format!("s{n:02}")).collect();
    for (n, sort_key) in sort_keys.iter().enumerate() {
        let mut item = indexed_item(Index::Gsi1, "G", sort_key, n);
        item.insert("pk".into(), json!("P"));
        item.insert("sk".into(), json!(sort_key));
        store.table.put(item, None).await.expect("put");
    }
    for index in [Index::Table, Index::Gsi1] {
        let partition = if index == Index::Table { "P" } else { "G" };
        for limit in [1, 4, 23] {
            let query = Query::new(index, partition).limit(limit);
            let forward = all_pages(store.table.as_ref(), query.clone()).await;
            let got: Vec<&str> = forward.iter().map(|i| attr(i, index.sk_attr())).collect();
            assert_eq!(got, sort_keys, "{index:?} limit {limit}");

            let backward = all_pages(store.table.as_ref(), query.backward()).await;
            let got: Vec<&str> = backward.iter().map(|i| attr(i, index.sk_attr())).collect();
            let reversed: Vec<&String> = sort_keys.iter().rev().collect();
            assert_eq!(got, reversed, "{index:?} limit {limit} backward");
        }
        // With a sort-key condition, across pages.
        let query = Query::new(index, partition)
            .sk(SortKey::Between("s05".into(), "s14".into()))
            .limit(3);
        let got = all_pages(store.table.as_ref(), query).await;
        let got: Vec<&str> = got.iter().map(|i| attr(i, index.sk_attr())).collect();
        assert_eq!(got, &sort_keys[5..=14], "{index:?} between");
    }
    // The first page is full and its cursor leads on.
    let first = store
        .table
        .query(&Query::new(Index::Table, "P").limit(5))
        .await
        .expect("query");
    assert_eq!(first.items.len(), 5);
    assert!(first.cursor.is_some());
}

async fn query_pages_through_tied_index_sort_keys(store: TestTable) {
    // Twelve items share three index sort keys: pages must still split them exactly.
    for n in 0..12 {
        let sort_key = ["x", "y", "z"][n % 3];
        store
            .table
            .put(indexed_item(Index::Gsi2, "T", sort_key, n), None)
            .await
            .expect("put");
    }
    for forward in [true, false] {
        let mut query = Query::new(Index::Gsi2, "T").limit(5);
        query.forward = forward;
        let items = all_pages(store.table.as_ref(), query).await;
        let mut ns: Vec<u64> = items.iter().filter_map(|i| i["n"].as_u64()).collect();
        let sort_keys: Vec<&str> = items.iter().map(|i| attr(i, "gsi2sk")).collect();
        let mut ordered = sort_keys.clone();
        ordered.sort_unstable();
        if !forward {
            ordered.reverse();
        }
        assert_eq!(sort_keys, ordered, "forward {forward}");
        ns.sort_unstable();
        assert_eq!(
            ns,
            (0..12).collect::<Vec<u64>>(),
            "forward {forward}: each item once"
        );
    }
}

async fn sparse_index(store: TestTable) {
    let items = [
        json!({"pk": "1", "sk": "a", "gsi2pk": "S", "gsi2sk": "1"}),
        json!({"pk": "2", "sk": "a", "gsi2pk": "S"}),
        json!({"pk": "3", "sk": "a", "gsi2sk": "3"}),
        json!({"pk": "4", "sk": "a", "gsi1pk": "S", "gsi1sk": "4"}),
        json!({"pk": "5", "sk": "a", "gsi2pk": "S", "gsi2sk": "5"}),
    ];
    for sparse in items {
        store.table.put(item(sparse), None).await.expect("put");
    }
    let page = store
        .table
        .query(&Query::new(Index::Gsi2, "S"))
        .await
        .expect("query");
    let pks: Vec<&str> = page.items.iter().map(|i| attr(i, "pk")).collect();
    assert_eq!(pks, ["1", "5"]);
    // Removing an index attribute takes the item out of the index.
    store
        .table
        .update(&key("5", "a"), &Update::new().remove("gsi2sk"), None)
        .await
        .expect("update");
    let page = store
        .table
        .query(&Query::new(Index::Gsi2, "S"))
        .await
        .expect("query");
    let pks: Vec<&str> = page.items.iter().map(|i| attr(i, "pk")).collect();
    assert_eq!(pks, ["1"]);
}

async fn bad_cursors_and_limits(store: TestTable) {
    for n in 0..4 {
        let mut item = indexed_item(Index::Gsi1, "G", &format!("{n}"), n);
        item.insert("pk".into(), json!("P"));
        item.insert("sk".into(), json!(format!("{n}")));
        store.table.put(item, None).await.expect("put");
    }
    let page_of = |index: Index, pk: &str| Query::new(index, pk).limit(2);
    let table_cursor = store
        .table
        .query(&page_of(Index::Table, "P"))
        .await
        .expect("query")
        .cursor;
    let gsi_cursor = store
        .table
        .query(&page_of(Index::Gsi1, "G"))
        .await
        .expect("query")
        .cursor;
    assert!(table_cursor.is_some() && gsi_cursor.is_some());

    let encoded = |json: &str| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    };
    let bad = [
        (page_of(Index::Table, "P"), Some("not base64!".to_owned())),
        (page_of(Index::Table, "P"), Some(encoded("not json"))),
        (page_of(Index::Table, "P"), Some(encoded(r#"["P","1"]"#))),
        (
            page_of(Index::Table, "P"),
            Some(encoded(r#"{"pk":"P","sk":1}"#)),
        ),
        (
            page_of(Index::Table, "P"),
            Some(encoded(r#"{"pk":"P","sk":"1","x":"1"}"#)),
        ),
        // Another partition, another index, outside the sort-key condition.
        (page_of(Index::Table, "Q"), table_cursor.clone()),
        (page_of(Index::Table, "P"), gsi_cursor.clone()),
        (page_of(Index::Gsi1, "G"), table_cursor.clone()),
        (page_of(Index::Gsi2, "G"), gsi_cursor.clone()),
        (
            page_of(Index::Table, "P").sk(SortKey::Ge("2".into())),
            table_cursor.clone(),
        ),
    ];
    for (query, cursor) in bad {
        let outcome = store.table.query(&query.clone().after(cursor)).await;
        assert!(
            matches!(outcome, Err(TableError::InvalidCursor)),
            "{query:?}: {outcome:?}"
        );
    }
    // The cursors are good where they came from.
    let next = store
        .table
        .query(&page_of(Index::Table, "P").after(table_cursor))
        .await
        .expect("next page");
    let sks: Vec<&str> = next.items.iter().map(|i| attr(i, "sk")).collect();
    assert_eq!(sks, ["2", "3"]);

    for limit in [0, 1001] {
        let outcome = store
            .table
            .query(&Query::new(Index::Table, "P").limit(limit))
            .await;
        assert!(
            matches!(outcome, Err(TableError::Invalid(_))),
            "limit {limit}"
        );
    }
}

// ---- expiry -----------------------------------------------------------------

/// Stores a short-lived, a long-lived and a lasting item in partition "E" (and
/// in gsi1), then moves the clock past the first expiry.
async fn seed_and_expire(store: &TestTable) {
    let now = store.now();
    let items = [
        json!({"pk": "E", "sk": "short", "gsi1pk": "E", "gsi1sk": "1", "old": "x", "ttl": now + 60}),
        json!({"pk": "E", "sk": "long", "gsi1pk": "E", "gsi1sk": "2", "ttl": now + 3600}),
        json!({"pk": "E", "sk": "lasting", "gsi1pk": "E", "gsi1sk": "3"}),
        json!({"pk": "E", "sk": "born-expired", "gsi1pk": "E", "gsi1sk": "0", "ttl": now - 1}),
    ];
    for seed in items {
        store.table.put(item(seed), None).await.expect("put");
    }
    assert!(
        store
            .table
            .get(&key("E", "short"))
            .await
            .expect("get")
            .is_some()
    );
    assert_eq!(
        store
            .table
            .get(&key("E", "born-expired"))
            .await
            .expect("get"),
        None
    );
    store.advance(120);
}

async fn expired_items_are_never_read(store: TestTable) {
    seed_and_expire(&store).await;
    assert_eq!(
        store.table.get(&key("E", "short")).await.expect("get"),
        None
    );
    assert!(
        store
            .table
            .get(&key("E", "long"))
            .await
            .expect("get")
            .is_some()
    );
    for index in [Index::Table, Index::Gsi1] {
        let items = all_pages(store.table.as_ref(), Query::new(index, "E").limit(1)).await;
        let sks: Vec<&str> = items.iter().map(|i| attr(i, "sk")).collect();
        let expected = match index {
            Index::Table => ["lasting", "long"],
            _ => ["long", "lasting"],
        };
        assert_eq!(sks, expected, "{index:?}");
    }
    // Deleting an expired item finds nothing to return.
    assert_eq!(
        store
            .table
            .delete(&key("E", "short"), None)
            .await
            .expect("delete"),
        None
    );
}

async fn expired_items_are_absent_for_conditions(store: TestTable) {
    seed_and_expire(&store).await;
    let short = key("E", "short");
    let outcome = store.table.delete(&short, Some(Condition::Exists)).await;
    assert!(
        matches!(outcome, Err(TableError::ConditionFailed)),
        "{outcome:?}"
    );
    let outcome = store
        .table
        .transact(vec![Write::Check {
            key: short.clone(),
            condition: Condition::eq("old", "x"),
        }])
        .await;
    assert!(matches!(
        outcome,
        Err(TableError::TransactionConditionFailed { index: 0 })
    ));
    // Absent: NotExists holds, and so does a negated condition on its attributes.
    store
        .table
        .transact(vec![Write::Check {
            key: short.clone(),
            condition: Condition::Not(Box::new(Condition::eq("old", "x"))),
        }])
        .await
        .expect("check");
    let fresh = item(json!({"pk": "E", "sk": "short", "v": 2}));
    store
        .table
        .put(fresh.clone(), Some(Condition::NotExists))
        .await
        .expect("put");
    assert_eq!(store.table.get(&short).await.expect("get"), Some(fresh));
    // The live item is still guarded.
    let outcome = store
        .table
        .put(
            item(json!({"pk": "E", "sk": "long"})),
            Some(Condition::NotExists),
        )
        .await;
    assert!(matches!(outcome, Err(TableError::ConditionFailed)));
}

async fn update_over_expired_item_starts_fresh(store: TestTable) {
    seed_and_expire(&store).await;
    let fresh = |sk: &str, extra: Value| {
        let mut item = item(json!({"pk": "E", "sk": sk}));
        item.extend(self::item(extra));
        item
    };
    // Conditions see no item: Exists fails, AttrNotExists holds.
    let outcome = store
        .table
        .update(
            &key("E", "short"),
            &Update::new().set("v", 1),
            Some(Condition::Exists),
        )
        .await;
    assert!(
        matches!(outcome, Err(TableError::ConditionFailed)),
        "{outcome:?}"
    );
    let updated = store
        .table
        .update(
            &key("E", "short"),
            &Update::new().set("v", 1).add("n", 1),
            Some(Condition::attr_not_exists("old")),
        )
        .await
        .expect("update");
    let expected = fresh("short", json!({"v": 1, "n": 1}));
    assert_eq!(
        updated, expected,
        "no stale attribute (old, ttl, gsi1) survives"
    );
    assert_eq!(
        store.table.get(&key("E", "short")).await.expect("get"),
        Some(expected)
    );
    let in_gsi1 = store
        .table
        .query(&Query::new(Index::Gsi1, "E"))
        .await
        .expect("query");
    assert!(in_gsi1.items.iter().all(|i| attr(i, "sk") != "short"));

    // In a transaction too, next to a write that needs nothing special.
    store
        .table
        .transact(vec![
            Write::Update {
                key: key("E", "born-expired"),
                update: Update::new().add("n", 5),
                condition: None,
            },
            Write::Update {
                key: key("E", "lasting"),
                update: Update::new().add("n", 1),
                condition: Some(Condition::Exists),
            },
        ])
        .await
        .expect("transaction");
    assert_eq!(
        store
            .table
            .get(&key("E", "born-expired"))
            .await
            .expect("get"),
        Some(fresh("born-expired", json!({"n": 5})))
    );
    assert_eq!(
        store.table.get(&key("E", "lasting")).await.expect("get"),
        Some(fresh(
            "lasting",
            json!({"gsi1pk": "E", "gsi1sk": "3", "n": 1})
        ))
    );
}

/// DynamoDB refuses partition keys over 2048 bytes and sort keys over 1024;
/// both adapters refuse them alike, before touching storage.
async fn oversized_keys_are_refused(store: TestTable) {
    let table = &store.table;
    let long_pk = "p".repeat(2049);
    let long_sk = "s".repeat(1025);
    let invalid = |result: Result<(), TableError>| matches!(result, Err(TableError::Invalid(_)));
    assert!(invalid(table.get(&key(&long_pk, "a")).await.map(drop)));
    assert!(invalid(table.get(&key("a", &long_sk)).await.map(drop)));
    assert!(invalid(
        table
            .put(item(json!({"pk": long_pk, "sk": "a"})), None)
            .await
    ));
    assert!(invalid(
        table
            .put(
                item(json!({"pk": "a", "sk": "a", "gsi1pk": long_pk, "gsi1sk": "x"})),
                None
            )
            .await
    ));
    assert!(invalid(
        table
            .query(&Query::new(Index::Table, long_pk.clone()))
            .await
            .map(drop)
    ));
    // At the limits themselves, keys are fine.
    let (pk, sk) = ("p".repeat(2048), "s".repeat(1024));
    table
        .put(item(json!({"pk": pk, "sk": sk, "v": 1})), None)
        .await
        .unwrap();
    assert_eq!(table.get(&key(&pk, &sk)).await.unwrap().unwrap()["v"], 1);
}
