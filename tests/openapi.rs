//! The OpenAPI document, the routers and `template.yaml` describe the same API.

use std::collections::BTreeSet;

use platform_tests::platform::TestPlatform;
use serde_yaml::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn repo_file(name: &str) -> Value {
    let path = format!("{}/../{name}", env!("CARGO_MANIFEST_DIR"));
    serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// (METHOD, path) of every documented operation.
fn documented() -> BTreeSet<(String, String)> {
    let doc = repo_file("openapi.yaml");
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
            operations.insert((method.to_uppercase(), path.as_str().unwrap().to_string()));
        }
    }
    operations
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_no_other_method_is() {
    let p = TestPlatform::embedded().await;
    let documented = documented();
    assert!(documented.len() >= 14);
    let paths: BTreeSet<&String> = documented.iter().map(|(_, path)| path).collect();
    for path in paths {
        let id = "0190f2c1-7a80-7000-8000-000000000001";
        let concrete = path
            .replace("{session_id}", id)
            .replace("{notification_id}", id)
            .replace("{org_id}", id)
            .replace("{email}", "ada@example.com")
            .replace("{slug}", "corner-bakery")
            .replace("{invite_id}", id)
            .replace("{service_id}", id)
            .replace("{staff_id}", id)
            .replace("{booking_id}", id)
            .replace("{user_id}", id)
            .replace("{code}", "some-invite-code")
            .replace("{token}", "some-onboarding-token");
        assert!(
            !concrete.contains('{'),
            "fill the parameter of {path} in this test"
        );
        for method in METHODS.map(str::to_uppercase) {
            let reply = p.call(&method, &concrete, None, &[]).await;
            let routed = reply.status != 405 && reply.body["code"] != "no_route";
            let is_documented = documented.contains(&(method.clone(), path.clone()));
            assert_eq!(
                routed, is_documented,
                "{method} {path}: routed {routed}, documented {is_documented} ({reply:?})"
            );
        }
    }
}

#[test]
fn the_template_routes_exactly_the_documented_operations() {
    let template = repo_file("template.yaml");
    let mut routed = BTreeSet::new();
    for (_, resource) in template["Resources"].as_mapping().unwrap() {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for (_, event) in events.iter().filter(|(_, e)| e["Type"] == "HttpApi") {
            let props = &event["Properties"];
            routed.insert((
                props["Method"].as_str().unwrap().to_uppercase(),
                props["Path"].as_str().unwrap().to_string(),
            ));
        }
    }
    assert_eq!(routed, documented());
}
