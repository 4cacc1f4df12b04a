//! Project tasks, run as `cargo xtask <task>`. Std only, so it builds in seconds.
//!
//! `cargo xtask test [cargo test args]`: the one test command. It makes sure moto's
//! server and cfn-lint are installed, starts moto on a free loopback port, runs
//! `cargo test --workspace` against it (the AWS half of every suite needs it), lints
//! template.yaml, stops moto whatever happened and exits non-zero if a step failed.

use std::ffi::OsStr;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: cargo xtask test [ARGS...]

  test   start a moto server, run `cargo test --workspace` against it, then
         `cfn-lint template.yaml`; ARGS go to cargo test
         (e.g. `cargo xtask test -p shared`, `cargo xtask test -- --nocapture`)";

/// How long moto may take to answer HTTP before the run fails.
const MOTO_START_TIMEOUT: Duration = Duration::from_secs(60);
const MOTO_POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How long one probe waits for moto's answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// cfn-lint through the interpreter pip installed it for, so a fresh install
/// works even when pip's script directory is not on PATH.
const CFN_LINT: [&str; 2] = [
    "-c",
    "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())",
];
/// Lines of moto's log shown when it does not start.
const LOG_TAIL_LINES: usize = 30;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((task, cargo_test_args)) if task == "test" => test(cargo_test_args),
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Why a step failed.
#[derive(Debug)]
enum StepError {
    /// A command could not be started at all.
    Spawn {
        command: String,
        error: std::io::Error,
    },
    /// A command ran and failed.
    Failed {
        command: String,
        status: ExitStatus,
    },
    Io {
        context: String,
        error: std::io::Error,
    },
    /// Moto exited or kept silent (`why`) instead of answering HTTP.
    MotoNotAnswering {
        why: String,
        log_tail: String,
    },
    MissingTemplate(PathBuf),
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Spawn { command, error } => write!(f, "could not run `{command}`: {error}"),
            Self::Failed { command, status } => write!(f, "`{command}` failed ({status})"),
            Self::Io { context, error } => write!(f, "{context}: {error}"),
            Self::MotoNotAnswering { why, log_tail } => {
                write!(f, "moto server {why}; its log ends with:\n{log_tail}")
            }
            Self::MissingTemplate(path) => write!(f, "{} does not exist", path.display()),
        }
    }
}

impl std::error::Error for StepError {}

/// One line of the final summary.
struct StepOutcome {
    name: &'static str,
    result: Result<String, StepError>,
}

fn test(cargo_test_args: &[String]) -> ExitCode {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = match repo_root(&cargo) {
        Ok(root) => root,
        Err(error) => {
            eprintln!("xtask: cannot find the workspace root: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut outcomes = Vec::new();

    let tools = ensure_tools();
    let tools_ready = tools.is_ok();
    outcomes.push(StepOutcome {
        name: "tools (moto, cfn-lint)",
        result: tools.map(|()| "installed".to_owned()),
    });

    if tools_ready {
        match MotoServer::start(&root, &target_dir(&root)) {
            Ok(moto) => {
                outcomes.push(StepOutcome {
                    name: "moto server",
                    result: Ok(moto.endpoint()),
                });
                outcomes.push(StepOutcome {
                    name: "cargo test",
                    result: run_cargo_test(&cargo, &root, &moto.endpoint(), cargo_test_args),
                });
                // `moto` is dropped here: the server stops before linting.
            }
            Err(error) => outcomes.push(StepOutcome {
                name: "moto server",
                result: Err(error),
            }),
        }
        outcomes.push(StepOutcome {
            name: "cfn-lint",
            result: lint_template(&root),
        });
    }

    print_summary(&outcomes)
}

fn print_summary(outcomes: &[StepOutcome]) -> ExitCode {
    println!("\nxtask test summary:");
    let mut failed = false;
    for StepOutcome { name, result } in outcomes {
        match result {
            Ok(detail) => println!("  ok      {name}: {detail}"),
            Err(error) => {
                failed = true;
                println!("  FAILED  {name}: {error}");
            }
        }
    }
    if let Some(Ok(counts)) = outcomes
        .iter()
        .find(|o| o.name == "cargo test")
        .map(|o| &o.result)
    {
        // The plain closing line CI reads.
        println!("tests: {counts}");
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The root of the workspace cargo was invoked in. Asked of cargo at run time, not
/// taken from where this binary was compiled: worktrees sharing one target
/// directory also share the `xtask` binary.
fn repo_root(cargo: &OsStr) -> Result<PathBuf, StepError> {
    let mut command = Command::new(cargo);
    command.args(["locate-project", "--workspace", "--message-format", "plain"]);
    let output = command.output().map_err(|error| StepError::Spawn {
        command: show(&command),
        error,
    })?;
    if !output.status.success() {
        return Err(StepError::Failed {
            command: show(&command),
            status: output.status,
        });
    }
    let manifest = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    Ok(manifest.parent().unwrap_or(Path::new(".")).to_path_buf())
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// Installs moto's server and cfn-lint with pip when they are missing.
fn ensure_tools() -> Result<(), StepError> {
    if !succeeds(Command::new("python3").args(["-c", "import moto.server"])) {
        run(Command::new("python3").args(["-m", "pip", "install", "moto[server]"]))?;
    }
    if !succeeds(Command::new("python3").args(CFN_LINT).arg("--version")) {
        run(Command::new("python3").args(["-m", "pip", "install", "cfn-lint"]))?;
    }
    Ok(())
}

/// Whether a probe command runs and exits 0; its output is not wanted.
fn succeeds(command: &mut Command) -> bool {
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn run(command: &mut Command) -> Result<(), StepError> {
    let shown = show(command);
    let status = command.status().map_err(|error| StepError::Spawn {
        command: shown.clone(),
        error,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(StepError::Failed {
            command: shown,
            status,
        })
    }
}

fn show(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A moto server on a free loopback port, stopped when dropped. On Ctrl-C the
/// terminal signals the whole process group, moto included, so it stops too.
/// It runs through `infra/xtask/moto_server.py`, which gives moto DynamoDB's
/// isolation (one DynamoDB request at a time), so tests may run transactions
/// concurrently.
struct MotoServer {
    child: Child,
    port: u16,
}

impl MotoServer {
    fn start(root: &Path, target_dir: &Path) -> Result<Self, StepError> {
        let port = free_port()?;
        std::fs::create_dir_all(target_dir).map_err(|error| StepError::Io {
            context: format!("creating {}", target_dir.display()),
            error,
        })?;
        let log_path = target_dir.join("moto.log");
        let log = File::create(&log_path).map_err(|error| StepError::Io {
            context: format!("creating {}", log_path.display()),
            error,
        })?;
        let stderr_log = log.try_clone().map_err(|error| StepError::Io {
            context: format!("sharing {}", log_path.display()),
            error,
        })?;
        let mut command = Command::new("python3");
        command
            .arg(root.join("infra/xtask/moto_server.py"))
            .args(["-H", "127.0.0.1", "-p"])
            .arg(port.to_string())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr_log);
        let child = command.spawn().map_err(|error| StepError::Spawn {
            command: show(&command),
            error,
        })?;
        let mut server = Self { child, port };
        server.wait_until_answering(&log_path)?;
        Ok(server)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls until moto answers HTTP, it exits, or the time is up.
    fn wait_until_answering(&mut self, log_path: &Path) -> Result<(), StepError> {
        let deadline = Instant::now() + MOTO_START_TIMEOUT;
        let why = loop {
            if answers_http(self.port) {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                break format!("exited ({status})");
            }
            if Instant::now() >= deadline {
                break format!("did not answer within {MOTO_START_TIMEOUT:?}");
            }
            thread::sleep(MOTO_POLL_INTERVAL);
        };
        Err(StepError::MotoNotAnswering {
            why,
            log_tail: log_tail(log_path),
        })
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // It may have exited already; either way, reap it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port the OS just handed out, released for moto to bind.
fn free_port() -> Result<u16, StepError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| StepError::Io {
            context: "finding a free loopback port".to_owned(),
            error,
        })
}

fn answers_http(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, MOTO_POLL_INTERVAL) else {
        return false;
    };
    let request = format!("GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    let mut answer = [0u8; 5];
    stream.set_read_timeout(Some(PROBE_TIMEOUT)).is_ok()
        && stream.write_all(request.as_bytes()).is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"HTTP/"
}

fn log_tail(log_path: &Path) -> String {
    match std::fs::read_to_string(log_path) {
        Ok(log) => {
            let lines: Vec<&str> = log.lines().collect();
            let start = lines.len().saturating_sub(LOG_TAIL_LINES);
            lines[start..].join("\n")
        }
        Err(error) => format!("(could not read {}: {error})", log_path.display()),
    }
}

/// `cargo test --workspace ARGS` against moto; with `-p`/`--package` among the
/// ARGS, just those packages.
fn run_cargo_test(
    cargo: &OsStr,
    root: &Path,
    endpoint: &str,
    args: &[String],
) -> Result<String, StepError> {
    let mut command = Command::new(cargo);
    // Every test binary runs, so one failure does not hide the others.
    command.current_dir(root).args(["test", "--no-fail-fast"]);
    if !selects_packages(args) {
        command.arg("--workspace");
    }
    command
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::piped());
    let shown = show(&command);
    let mut child = command.spawn().map_err(|error| StepError::Spawn {
        command: shown.clone(),
        error,
    })?;
    // Passed through line by line, and tallied for the closing line.
    let mut tally = Tally::default();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("{line}");
            tally.read(&line);
        }
    }
    let status = child.wait().map_err(|error| StepError::Io {
        context: format!("waiting for `{shown}`"),
        error,
    })?;
    let counts = format!("{} passed, {} failed", tally.passed, tally.failed);
    if status.success() {
        Ok(counts)
    } else {
        Err(StepError::Failed {
            command: format!("{shown} ({counts})"),
            status,
        })
    }
}

/// Test counts summed over every `test result:` line cargo test prints.
#[derive(Default, Debug, PartialEq, Eq)]
struct Tally {
    passed: u64,
    failed: u64,
}

impl Tally {
    fn read(&mut self, line: &str) {
        let Some(result) = line.strip_prefix("test result: ") else {
            return;
        };
        for part in result.split(['.', ';']) {
            match part.trim().split_once(' ') {
                Some((n, "passed")) => self.passed += n.parse().unwrap_or(0),
                Some((n, "failed")) => self.failed += n.parse().unwrap_or(0),
                _ => {}
            }
        }
    }
}

/// Whether cargo's own arguments (before `--`) pick packages, which
/// `--workspace` would override.
fn selects_packages(args: &[String]) -> bool {
    args.iter()
        .take_while(|arg| *arg != "--")
        .any(|arg| arg.starts_with("-p") || arg.starts_with("--package"))
}

fn lint_template(root: &Path) -> Result<String, StepError> {
    let template = root.join("template.yaml");
    if !template.is_file() {
        return Err(StepError::MissingTemplate(template));
    }
    run(Command::new("python3")
        .current_dir(root)
        .args(CFN_LINT)
        .arg("template.yaml"))
    .map(|()| "template.yaml is clean".to_owned())
}

#[cfg(test)]
mod tests {
    use super::{Tally, selects_packages};

    #[test]
    fn tally_sums_every_test_result_line() {
        let mut tally = Tally::default();
        for line in [
            "test result: ok. 14 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 8.67s",
            "running 3 tests",
            "test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.1s",
        ] {
            tally.read(line);
        }
        assert_eq!(
            tally,
            Tally {
                passed: 16,
                failed: 1
            }
        );
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| arg.to_string()).collect()
    }

    #[test]
    fn package_selection_is_read_from_cargo_args_only() {
        assert!(selects_packages(&args(&["-p", "shared"])));
        assert!(selects_packages(&args(&["-pshared"])));
        assert!(selects_packages(&args(&["--package=shared"])));
        assert!(!selects_packages(&args(&[])));
        assert!(!selects_packages(&args(&["--", "-p"])));
        assert!(!selects_packages(&args(&[
            "--no-fail-fast",
            "--",
            "--nocapture"
        ])));
    }
}
