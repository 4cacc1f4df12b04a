//! Customer records end to end, on both backends: bookings link to one
//! customer by email, else phone, else a new one (driven through
//! `link_for_booking` and `visit_writes` in one transaction, as booking
//! creation and the lifecycle do), a lost race links again, search by
//! prefixes, counters and history, notes, and who may see customers; and
//! end to end, two public bookings by one person make one customer.

use platform_tests::{
    bookings::business,
    on_both_backends,
    orgs::{
        assert_least_role, audit_actions, members_of_every_role, refused_fields, register, token,
    },
    platform::{Reply, TestPlatform},
};
use serde_json::{Value, json};
use shared::{
    bookings::{
        customers::{Contact, CustomerLink, VisitFacts, link_for_booking, visit_writes},
        lifecycle::{BookingStatus, PaymentStatus},
    },
    types::Money,
};

on_both_backends!(
    two_public_bookings_with_one_email_make_one_customer,
    bookings_link_to_one_customer_by_email_else_by_phone,
    a_first_booking_that_lost_a_race_links_again_to_the_winner,
    customers_are_found_by_name_phone_and_email_prefixes,
    a_customer_shows_counters_and_history_newest_first,
    notes_are_added_listed_newest_first_and_deleted,
    only_managers_and_up_reach_customers_of_their_organization,
);

const PASSWORD: &str = "correct horse battery";

async fn owner(p: &TestPlatform) -> Reply {
    p.signed_in("owner@example.com", PASSWORD, "d1").await
}

/// A booking's customer as booking creation checked it (`phone` in
/// international form, `email` lower-cased).
fn customer(name: &str, phone: &str, email: Option<&str>) -> Contact {
    Contact {
        name: name.into(),
        phone: phone.into(),
        email: email.map(str::to_string),
    }
}

/// The facts of a new pending 25.00 EUR haircut at `start`.
fn haircut(p: &TestPlatform, start: &str) -> VisitFacts {
    VisitFacts {
        booking_id: p.platform.deps.ids.new_id(),
        service_name: "Haircut".into(),
        start: start.parse().expect("a timestamp"),
        status: BookingStatus::Pending,
        payment_status: PaymentStatus::Pending,
        price: Money {
            amount: 2500,
            currency: "EUR".into(),
        },
    }
}

/// Books `facts` for `contact` as booking creation does: links the customer and
/// writes the link and the visit in one transaction. Returns the customer id
/// and whether it is new.
async fn book(p: &TestPlatform, org: &str, contact: Contact, facts: &VisitFacts) -> (String, bool) {
    let deps = &p.platform.deps;
    let link = link_for_booking(deps, org, &contact, None)
        .await
        .expect("linked");
    let mut writes = link.writes;
    writes.extend(visit_writes(org, &link.customer_id, None, facts).expect("visit writes"));
    deps.table.transact(writes).await.expect("booked");
    (link.customer_id, link.is_new)
}

/// Moves a booking of `customer_id` from `before` to `after`, as the
/// lifecycle does.
async fn transition(
    p: &TestPlatform,
    org: &str,
    customer_id: &str,
    before: &VisitFacts,
    after: &VisitFacts,
) {
    let writes = visit_writes(org, customer_id, Some(before), after).expect("visit writes");
    p.platform.deps.table.transact(writes).await.expect("moved");
}

async fn get_ok(p: &TestPlatform, login: &Reply, path: &str) -> Value {
    let reply = p.authed("GET", path, &token(login), None).await;
    assert_eq!(reply.status, 200, "GET {path}: {reply:?}");
    reply.body
}

fn names(page: &Value) -> Vec<String> {
    let items = page["items"].as_array().expect("items");
    items
        .iter()
        .map(|i| i["name"].as_str().expect("a name").to_string())
        .collect()
}

async fn bookings_link_to_one_customer_by_email_else_by_phone(p: TestPlatform) {
    let owner = owner(&p).await;
    let org = register(&p, &owner, "Salon", "salon").await;
    let at = "2026-12-01T10:00:00Z";
    let ada = customer("Ada", "+33612345678", Some("ada@example.com"));
    let (ada_id, new) = book(&p, &org, ada, &haircut(&p, at)).await;
    assert!(new);
    // The same email with another phone and name: Ada, with her latest contact.
    let renamed = customer("Ada L.", "+447700900123", Some("ada@example.com"));
    assert_eq!(
        book(&p, &org, renamed, &haircut(&p, at)).await,
        (ada_id.clone(), false)
    );
    // No email, her first phone: still Ada.
    let by_phone = customer("Ada", "+33612345678", None);
    assert_eq!(
        book(&p, &org, by_phone, &haircut(&p, at)).await,
        (ada_id.clone(), false)
    );
    // Someone else is new; their phone with Ada's email is Ada (email first).
    let bob = customer("Bob", "+33700000001", Some("bob@example.com"));
    let (bob_id, new) = book(&p, &org, bob, &haircut(&p, at)).await;
    assert!(new && bob_id != ada_id);
    let mixed = customer("Ada", "+33700000001", Some("ada@example.com"));
    assert_eq!(
        book(&p, &org, mixed, &haircut(&p, at)).await,
        (ada_id.clone(), false)
    );

    let detail = get_ok(&p, &owner, &format!("/v1/orgs/{org}/customers/{ada_id}")).await;
    assert_eq!(detail["booking_count"], 4);
    assert_eq!(detail["name"], "Ada");
    assert_eq!(detail["phone"], "+33700000001");
    assert_eq!(detail["email"], "ada@example.com");
    assert_eq!(detail["version"], 4, "four changes of contact: {detail}");
    let bob = get_ok(&p, &owner, &format!("/v1/orgs/{org}/customers/{bob_id}")).await;
    assert_eq!(bob["booking_count"], 1);
    let all = get_ok(&p, &owner, &format!("/v1/orgs/{org}/customers")).await;
    assert_eq!(names(&all), ["Ada", "Bob"]);
}

async fn a_first_booking_that_lost_a_race_links_again_to_the_winner(p: TestPlatform) {
    let owner = owner(&p).await;
    let org = register(&p, &owner, "Salon", "salon").await;
    let deps = &p.platform.deps;
    let contact = customer("Cy", "+33600000002", Some("cy@example.com"));
    // Both first bookings link before either is written: both see a new customer.
    let first = link_for_booking(deps, &org, &contact, None).await.unwrap();
    let second = link_for_booking(deps, &org, &contact, None).await.unwrap();
    assert!(first.is_new && second.is_new);
    let visit = |link: &CustomerLink, facts: &VisitFacts| {
        let mut writes = link.writes.clone();
        writes.extend(visit_writes(&org, &link.customer_id, None, facts).unwrap());
        writes
    };
    deps.table
        .transact(visit(&first, &haircut(&p, "2026-12-01T10:00:00Z")))
        .await
        .expect("the first booking wins");
    let facts = haircut(&p, "2026-12-01T11:00:00Z");
    let lost = deps
        .table
        .transact(visit(&second, &facts))
        .await
        .expect_err("the second fails on a match item");
    assert!(second.lost_race(0, &lost), "{lost:?}");
    let again = link_for_booking(deps, &org, &contact, None).await.unwrap();
    assert_eq!(
        (again.customer_id.as_str(), again.is_new),
        (first.customer_id.as_str(), false)
    );
    assert!(
        again.writes.is_empty(),
        "nothing changed: {:?}",
        again.writes
    );
    deps.table.transact(visit(&again, &facts)).await.unwrap();

    let all = get_ok(&p, &owner, &format!("/v1/orgs/{org}/customers")).await;
    assert_eq!(names(&all), ["Cy"]);
    let path = format!("/v1/orgs/{org}/customers/{}", first.customer_id);
    assert_eq!(get_ok(&p, &owner, &path).await["booking_count"], 2);
}

async fn customers_are_found_by_name_phone_and_email_prefixes(p: TestPlatform) {
    let owner = owner(&p).await;
    let org = register(&p, &owner, "Salon", "salon").await;
    let at = "2026-12-01T10:00:00Z";
    for (name, phone, email) in [
        ("Grace Hopper", "+12025550100", "grace@navy.mil"),
        ("Ada Lovelace", "+33612345678", "ada@example.com"),
        ("Alan Turing", "+442079460000", "alan@bletchley.org"),
    ] {
        book(
            &p,
            &org,
            customer(name, phone, Some(email)),
            &haircut(&p, at),
        )
        .await;
    }
    let search = |q: &str| format!("/v1/orgs/{org}/customers?q={q}");
    let found = async |q: &str| names(&get_ok(&p, &owner, &search(q)).await);
    // "ada lovelace" and "ada@example.com" both match: Ada is listed once.
    assert_eq!(found("a").await, ["Ada Lovelace", "Alan Turing"]);
    assert_eq!(found("ALAN").await, ["Alan Turing"]);
    assert_eq!(found("grace%40navy").await, ["Grace Hopper"]);
    assert_eq!(found("%2B44%2020").await, ["Alan Turing"]);
    assert_eq!(found("%2B1").await, ["Grace Hopper"]);
    assert!(found("bletchley").await.is_empty(), "prefixes only");
    assert!(found("zed").await.is_empty());

    let first = get_ok(&p, &owner, &format!("/v1/orgs/{org}/customers?limit=2")).await;
    assert_eq!(names(&first), ["Ada Lovelace", "Alan Turing"]);
    let cursor = first["next_cursor"].as_str().expect("more follow");
    let rest = format!("/v1/orgs/{org}/customers?limit=2&cursor={cursor}");
    assert_eq!(names(&get_ok(&p, &owner, &rest).await), ["Grace Hopper"]);

    // A new phone replaces the old one in the search.
    let moved = customer("Alan Turing", "+441234567890", Some("alan@bletchley.org"));
    book(&p, &org, moved, &haircut(&p, at)).await;
    assert!(found("%2B4420").await.is_empty());
    assert_eq!(found("%2B44123").await, ["Alan Turing"]);

    let long = search(&"x".repeat(101));
    let refused = p.authed("GET", &long, &token(&owner), None).await;
    assert_eq!(refused_fields(&refused), ["q"]);
}

async fn a_customer_shows_counters_and_history_newest_first(p: TestPlatform) {
    let owner = owner(&p).await;
    let org = register(&p, &owner, "Salon", "salon").await;
    let ada = || customer("Ada", "+33612345678", Some("ada@example.com"));
    let status = |facts: &VisitFacts, status| VisitFacts {
        status,
        ..facts.clone()
    };

    // Completed and paid.
    let done = haircut(&p, "2026-12-01T10:00:00Z");
    let (id, _) = book(&p, &org, ada(), &done).await;
    let confirmed = status(&done, BookingStatus::Confirmed);
    transition(&p, &org, &id, &done, &confirmed).await;
    let completed = status(&done, BookingStatus::Completed);
    transition(&p, &org, &id, &confirmed, &completed).await;
    let paid = VisitFacts {
        payment_status: PaymentStatus::Paid,
        ..completed.clone()
    };
    transition(&p, &org, &id, &completed, &paid).await;
    // Cancelled.
    let dropped = haircut(&p, "2026-12-05T10:00:00Z");
    book(&p, &org, ada(), &dropped).await;
    let cancelled = status(&dropped, BookingStatus::Cancelled);
    transition(&p, &org, &id, &dropped, &cancelled).await;
    // Rescheduled from the 3rd to the 10th.
    let moved = haircut(&p, "2026-12-03T10:00:00Z");
    book(&p, &org, ada(), &moved).await;
    let later = VisitFacts {
        start: "2026-12-10T15:30:00Z".parse().unwrap(),
        ..moved.clone()
    };
    transition(&p, &org, &id, &moved, &later).await;

    let path = format!("/v1/orgs/{org}/customers/{id}");
    let detail = get_ok(&p, &owner, &path).await;
    assert_eq!(detail["booking_count"], 3);
    assert_eq!(detail["visit_count"], 1);
    assert_eq!(
        detail["total_paid"],
        json!([{ "amount": 2500, "currency": "EUR" }])
    );
    assert_eq!(detail["last_visit_at"], "2026-12-01T10:00:00Z");
    let history = detail["history"]["items"].as_array().expect("history");
    let seen: Vec<(&str, &str, &str)> = history
        .iter()
        .map(|v| {
            (
                v["booking_id"].as_str().unwrap(),
                v["status"].as_str().unwrap(),
                v["start"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (later.booking_id.as_str(), "pending", "2026-12-10T15:30:00Z"),
            (
                dropped.booking_id.as_str(),
                "cancelled",
                "2026-12-05T10:00:00Z"
            ),
            (
                done.booking_id.as_str(),
                "completed",
                "2026-12-01T10:00:00Z"
            ),
        ]
    );
    assert_eq!(history[2]["payment_status"], "paid");
    assert_eq!(history[2]["service_name"], "Haircut");

    let first = get_ok(&p, &owner, &format!("{path}?limit=2")).await;
    assert_eq!(first["history"]["items"].as_array().unwrap().len(), 2);
    let cursor = first["history"]["next_cursor"].as_str().expect("more");
    let rest = get_ok(&p, &owner, &format!("{path}?limit=2&cursor={cursor}")).await;
    assert_eq!(
        rest["history"]["items"][0]["booking_id"],
        done.booking_id.as_str()
    );
    assert_eq!(rest["booking_count"], 3);
}

async fn notes_are_added_listed_newest_first_and_deleted(p: TestPlatform) {
    let owner = owner(&p).await;
    let org = register(&p, &owner, "Salon", "salon").await;
    let ada = customer("Ada", "+33612345678", None);
    let (id, _) = book(&p, &org, ada, &haircut(&p, "2026-12-01T10:00:00Z")).await;
    let notes = format!("/v1/orgs/{org}/customers/{id}/notes");
    let bearer = format!("Bearer {}", token(&owner));
    let add = async |text: &str, key: &str| {
        let headers = [("authorization", bearer.as_str()), ("idempotency-key", key)];
        p.call("POST", &notes, Some(json!({ "text": text })), &headers)
            .await
    };
    let first = add("  Prefers mornings\nAllergic to latex ", "k1").await;
    assert_eq!(first.status, 201, "{first:?}");
    assert_eq!(first.body["text"], "Prefers mornings\nAllergic to latex");
    assert_eq!(first.body["author_user_id"], owner.body["user"]["id"]);
    assert_eq!(first.body["customer_id"], id.as_str());
    // A retry with the same key adds nothing.
    let retried = add("  Prefers mornings\nAllergic to latex ", "k1").await;
    assert_eq!(retried.status, 201);
    assert_eq!(retried.body["id"], first.body["id"]);
    let second = add("Likes short cuts", "k2").await;
    assert_eq!(second.status, 201, "{second:?}");
    for bad in ["  ", &"x".repeat(2001)] {
        assert_eq!(
            refused_fields(&add(bad, &format!("bad-{}", bad.len())).await),
            ["text"]
        );
    }

    let listed = get_ok(&p, &owner, &notes).await;
    let texts: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["Likes short cuts", "Prefers mornings\nAllergic to latex"]
    );

    let note = format!("{notes}/{}", second.body["id"].as_str().unwrap());
    let deleted = p.authed("DELETE", &note, &token(&owner), None).await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    let again = p.authed("DELETE", &note, &token(&owner), None).await;
    assert_eq!((again.status, again.problem_code()), (404, "not_found"));
    assert_eq!(
        get_ok(&p, &owner, &notes).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let actions = audit_actions(&p, &owner, &org).await;
    assert_eq!(
        actions[..3],
        [
            "customer_note_deleted",
            "customer_note_added",
            "customer_note_added"
        ]
    );

    let unknown = format!("/v1/orgs/{org}/customers/0190f2c1-7a80-7000-8000-000000000001/notes");
    let reply = p.authed("GET", &unknown, &token(&owner), None).await;
    assert_eq!((reply.status, reply.problem_code()), (404, "not_found"));
}

async fn only_managers_and_up_reach_customers_of_their_organization(p: TestPlatform) {
    let owner = owner(&p).await;
    let org = register(&p, &owner, "Salon", "salon").await;
    let ada = customer("Ada", "+33612345678", None);
    let (id, _) = book(&p, &org, ada, &haircut(&p, "2026-12-01T10:00:00Z")).await;
    let callers = members_of_every_role(&p, &org, owner, PASSWORD).await;
    let outsider = p.signed_in("outsider@example.com", PASSWORD, "o").await;
    let customer_path = format!("/v1/orgs/{org}/customers/{id}");
    let notes = format!("{customer_path}/notes");
    let note = json!({ "text": "Prefers mornings" });
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/v1/orgs/{org}/customers"), None),
        ("GET", format!("/v1/orgs/{org}/customers?q=ada"), None),
        ("GET", customer_path.clone(), None),
        ("GET", notes.clone(), None),
        ("POST", notes.clone(), Some(note.clone())),
    ];
    for (method, path, body) in routes {
        assert_least_role(&p, &callers, &outsider, (method, &path, body), "manager").await;
    }
    // owner, admin, manager | editor, analyst, viewer
    let (managers_and_up, below) = callers.split_at(3);
    let (_, owner) = &managers_and_up[0];
    let added = p.authed("POST", &notes, &token(owner), Some(note)).await;
    let note_path = format!("{notes}/{}", added.body["id"].as_str().expect("a note id"));
    for (_, login) in below {
        let reply = p.authed("DELETE", &note_path, &token(login), None).await;
        assert_eq!((reply.status, reply.problem_code()), (403, "forbidden"));
    }
    let reply = p
        .authed("DELETE", &note_path, &token(&outsider), None)
        .await;
    assert_eq!((reply.status, reply.problem_code()), (404, "not_found"));
    let (_, manager) = &managers_and_up[2];
    let reply = p.authed("DELETE", &note_path, &token(manager), None).await;
    assert_eq!(reply.status, 204, "{reply:?}");

    // Another organization's owner does not reach this customer through theirs.
    let other = register(&p, &outsider, "Other", "other-salon").await;
    for path in [
        format!("/v1/orgs/{other}/customers/{id}"),
        format!("/v1/orgs/{other}/customers/{id}/notes"),
    ] {
        let reply = p.authed("GET", &path, &token(&outsider), None).await;
        assert_eq!(
            (reply.status, reply.problem_code()),
            (404, "not_found"),
            "{path}"
        );
    }
    let empty = get_ok(&p, &outsider, &format!("/v1/orgs/{other}/customers")).await;
    assert!(names(&empty).is_empty());
}

async fn two_public_bookings_with_one_email_make_one_customer(p: TestPlatform) {
    // Monday 2027-03-22, 07:00 in Berlin: Tuesday and Wednesday are bookable.
    p.platform
        .clock
        .set("2027-03-22T06:00:00Z".parse().unwrap());
    let owner = owner(&p).await;
    let salon = business(&p, &owner, "salon", "Europe/Berlin").await;
    let book_at = async |start: &str, customer: Value| {
        let body = json!({ "service_id": salon.haircut_id, "start": start, "customer": customer });
        let path = format!("/v1/public/orgs/{}/bookings", salon.slug);
        let reply = p.post(&path, body).await;
        assert_eq!(reply.status, 201, "{reply:?}");
        reply.body["booking_id"]
            .as_str()
            .expect("a booking id")
            .to_string()
    };
    let first = book_at(
        "2027-03-23T10:00:00+01:00",
        json!({ "name": "Chloé Martin", "phone": "+49 30 1234567", "email": "chloe@example.test" }),
    )
    .await;
    let second = book_at(
        "2027-03-24T10:00:00+01:00",
        json!({ "name": "Chloé M.", "phone": "+49 170 0000000", "email": "Chloe@Example.test" }),
    )
    .await;

    let org = &salon.org_id;
    let all = get_ok(&p, &owner, &format!("/v1/orgs/{org}/customers")).await;
    assert_eq!(names(&all), ["Chloé M."]);
    let id = all["items"][0]["id"].as_str().expect("a customer id");
    let detail = get_ok(&p, &owner, &format!("/v1/orgs/{org}/customers/{id}")).await;
    assert_eq!(detail["booking_count"], 2);
    assert_eq!(detail["email"], "chloe@example.test");
    assert_eq!(detail["phone"], "+491700000000");
    let history: Vec<(&str, &str)> = detail["history"]["items"]
        .as_array()
        .expect("history")
        .iter()
        .map(|v| {
            (
                v["booking_id"].as_str().unwrap(),
                v["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            (second.as_str(), "confirmed"),
            (first.as_str(), "confirmed")
        ]
    );
    // The search knows her latest phone only (her first one still links her).
    let found = get_ok(&p, &owner, &format!("/v1/orgs/{org}/customers?q=%2B4930")).await;
    assert!(
        names(&found).is_empty(),
        "the record shows her latest phone only"
    );
}
