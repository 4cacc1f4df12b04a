//! The local runner's developer routes for time: `/_dev/clock` moves the clock
//! every function sees, and `/_dev/schedules` lists and fires the scheduled
//! functions of template.yaml.

use platform_tests::platform::TestPlatform;
use serde_json::json;

#[tokio::test]
async fn the_clock_is_set_for_every_function_and_restored() {
    let p = TestPlatform::embedded().await;
    let set = p
        .post("/_dev/clock", json!({ "now": "2030-03-01T08:00:00Z" }))
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let now: jiff::Timestamp = set.body["now"].as_str().unwrap().parse().unwrap();
    let then: jiff::Timestamp = "2030-03-01T08:00:00Z".parse().unwrap();
    assert!(
        now >= then && now.duration_since(then).as_secs() < 60,
        "{now}"
    );
    assert!(set.body["offset_secs"].as_i64().unwrap() > 0);
    // The functions' clock is the one that moved.
    assert!(p.platform.deps.clock.now() >= then);

    let shown = p.call("GET", "/_dev/clock", None, &[]).await;
    assert!(
        shown.body["now"]
            .as_str()
            .unwrap()
            .starts_with("2030-03-01T08:0")
    );

    let reset = p.call("DELETE", "/_dev/clock", None, &[]).await;
    assert_eq!(reset.status, 200);
    assert_eq!(reset.body["offset_secs"], 0);
    assert!(p.platform.deps.clock.now() < then);
}

#[tokio::test]
async fn a_clock_that_is_not_a_time_is_refused() {
    let p = TestPlatform::embedded().await;
    for body in [
        json!({ "now": "tomorrow" }),
        json!({ "then": "2030-01-01T00:00:00Z" }),
    ] {
        let refused = p.post("/_dev/clock", body).await;
        assert_eq!(refused.status, 422, "{}", refused.body);
    }
}

#[tokio::test]
async fn the_schedules_are_those_of_the_template_and_an_unknown_one_is_404() {
    let p = TestPlatform::embedded().await;
    let listed = p.call("GET", "/_dev/schedules", None, &[]).await;
    assert_eq!(listed.status, 200);
    let mut schedules = shared::template::schedules(local::TEMPLATE).unwrap();
    // Listed by function name.
    schedules.sort_by(|a, b| a.function.cmp(&b.function));
    let expected: Vec<_> = schedules
        .into_iter()
        .map(|s| json!({ "function": s.function, "rate_secs": s.rate.as_secs() }))
        .collect();
    assert_eq!(listed.body, json!(expected));

    let unknown = p
        .post("/_dev/schedules/no-such-function/run", json!({}))
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.problem_code(), "not_found");
}

#[tokio::test]
async fn a_schedule_fired_on_demand_runs_its_function_and_reports() {
    let p = TestPlatform::embedded().await;
    let ran = p
        .post("/_dev/schedules/onboarding-reminders/run", json!({}))
        .await;
    assert_eq!(ran.status, 200, "{}", ran.body);
    assert_eq!(ran.body["function"], "onboarding-reminders");
    // Nothing is due on an empty platform.
    assert_eq!(ran.body["report"]["sent"], 0, "{}", ran.body);
}
