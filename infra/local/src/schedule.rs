//! Fires the scheduled functions the way EventBridge does, on the rates
//! `template.yaml` gives them, and on demand (`POST /_dev/schedules/{name}/run`),
//! so a developer or a test sees scheduled work without waiting for it.

use std::{collections::BTreeMap, future::Future, pin::Pin, sync::Arc, time::Duration};

use serde_json::Value;
use shared::template::ScheduleSettings;

type Run =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<Value, String>> + Send>> + Send + Sync>;

/// One scheduled function: what it runs and how often.
struct Scheduled {
    rate: Duration,
    run: Run,
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("no scheduled function is named {0}")]
    Unknown(String),
    #[error("template.yaml schedules {0}, but the local runner has no handler for it")]
    NoHandler(String),
    #[error("the local runner has a handler for {0}, but template.yaml does not schedule it")]
    NotInTemplate(String),
    #[error("{function} failed: {error}")]
    Failed { function: String, error: String },
}

/// The scheduled functions, by the name of their binary.
#[derive(Default)]
pub struct Schedules {
    by_function: BTreeMap<String, Scheduled>,
}

/// A scheduled function's handler, before its rate is known.
pub struct Handler {
    function: &'static str,
    run: Run,
}

impl Handler {
    pub fn new<F, Fut, T, E>(function: &'static str, run: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, E>> + Send + 'static,
        T: serde::Serialize,
        E: std::fmt::Display,
    {
        Handler {
            function,
            run: Arc::new(move || {
                let running = run();
                Box::pin(async move {
                    let report = running.await.map_err(|e| e.to_string())?;
                    serde_json::to_value(report).map_err(|e| e.to_string())
                })
            }),
        }
    }
}

impl Schedules {
    /// Pairs each schedule of the template with its handler; a schedule
    /// without a handler, or a handler without a schedule, is an error, so the
    /// runner and the template cannot drift apart.
    pub fn new(
        settings: Vec<ScheduleSettings>,
        handlers: Vec<Handler>,
    ) -> Result<Self, ScheduleError> {
        let mut handlers: BTreeMap<&str, Run> = handlers
            .into_iter()
            .map(|handler| (handler.function, handler.run))
            .collect();
        let mut by_function = BTreeMap::new();
        for schedule in settings {
            let run = handlers
                .remove(schedule.function.as_str())
                .ok_or_else(|| ScheduleError::NoHandler(schedule.function.clone()))?;
            by_function.insert(
                schedule.function,
                Scheduled {
                    rate: schedule.rate,
                    run,
                },
            );
        }
        if let Some(function) = handlers.keys().next() {
            return Err(ScheduleError::NotInTemplate(function.to_string()));
        }
        Ok(Schedules { by_function })
    }

    /// The scheduled functions and their rates.
    pub fn list(&self) -> Vec<(String, Duration)> {
        self.by_function
            .iter()
            .map(|(function, scheduled)| (function.clone(), scheduled.rate))
            .collect()
    }

    /// Runs `function` once, now; returns its report.
    pub async fn run(&self, function: &str) -> Result<Value, ScheduleError> {
        let scheduled = self
            .by_function
            .get(function)
            .ok_or_else(|| ScheduleError::Unknown(function.to_string()))?;
        (scheduled.run)()
            .await
            .map_err(|error| ScheduleError::Failed {
                function: function.to_string(),
                error,
            })
    }

    /// Runs every scheduled function on its rate (the first run one period
    /// after start, as EventBridge would) for as long as the process runs.
    pub fn spawn(self: &Arc<Self>) {
        for (function, scheduled) in &self.by_function {
            let (function, rate, run) = (function.clone(), scheduled.rate, scheduled.run.clone());
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + rate, rate);
                ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    ticks.tick().await;
                    match run().await {
                        Ok(report) => tracing::info!(%function, %report, "scheduled run"),
                        Err(error) => tracing::error!(%function, %error, "scheduled run failed"),
                    }
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(function: &str) -> ScheduleSettings {
        ScheduleSettings {
            function: function.to_string(),
            rate: Duration::from_secs(300),
        }
    }

    fn handler(function: &'static str) -> Handler {
        Handler::new(function, || async {
            Ok::<_, String>(serde_json::json!({"sent": 1}))
        })
    }

    #[tokio::test]
    async fn a_schedule_runs_its_handler_on_demand() {
        let schedules = Schedules::new(vec![settings("reminders")], vec![handler("reminders")])
            .expect("paired");
        assert_eq!(schedules.run("reminders").await.expect("ran")["sent"], 1);
        assert!(matches!(
            schedules.run("other").await,
            Err(ScheduleError::Unknown(name)) if name == "other"
        ));
    }

    #[test]
    fn the_template_and_the_handlers_must_name_the_same_functions() {
        assert!(matches!(
            Schedules::new(vec![settings("reminders")], vec![]),
            Err(ScheduleError::NoHandler(name)) if name == "reminders"
        ));
        assert!(matches!(
            Schedules::new(vec![], vec![handler("reminders")]),
            Err(ScheduleError::NotInTemplate(name)) if name == "reminders"
        ));
    }
}
