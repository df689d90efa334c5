//! The built-in providers through the binary, against the loopback fakes: `tasksync pull`
//! fills a scope from each HTTP kind, `tasksync status` queues a change, and `tasksync worker
//! --provider NAME=KIND:URL` delivers it (method, path, credential, Idempotency-Key). A 401
//! is renewed by the token command; a 429 with Retry-After defers the job; a 404 puts it in
//! the dead letters. No credential shows in any output, log line (at debug), job, history run,
//! audit entry or metrics line.

mod common;
mod fakes;

use std::process::Output;

use common::Hub;
use fakes::{FRESH, Fakes, TOKEN};
use serde_json::{Value, json};

/// One HTTP kind as the tests use it.
struct Kind {
    /// The provider's name on the command line.
    name: &'static str,
    /// Its key in the fakes' JSON line and its `KIND` in `--provider`.
    key: &'static str,
    kind: &'static str,
    /// The tasks' source.
    source: &'static str,
    provider_scope: &'static str,
    mapping: &'static str,
    /// A task to move to in_progress, and where its push goes.
    task: &'static str,
    path: &'static str,
    idempotency_key: bool,
}

const KINDS: [Kind; 4] = [
    Kind {
        name: "todo",
        key: "mstodo",
        kind: "mstodo",
        source: "mstodo",
        provider_scope: "list-1",
        mapping: "ms_todo",
        task: "list-1/t1",
        path: "/v1.0/me/todo/lists/list-1/tasks/t1",
        idempotency_key: true,
    },
    Kind {
        name: "cw",
        key: "connectwise",
        kind: "connectwise",
        source: "connectwise",
        provider_scope: "tickets",
        mapping: "connect_wise_ticket",
        task: "1",
        path: "/v4_6_release/apis/3.0/service/tickets/1",
        idempotency_key: true,
    },
    Kind {
        name: "plan",
        key: "processplan",
        kind: "processplan",
        source: "processplan",
        provider_scope: "p1",
        mapping: "process_step",
        task: "p1/s1",
        path: "/api/processes/p1/steps/s1",
        idempotency_key: true,
    },
    Kind {
        name: "ado",
        key: "azure_devops",
        kind: "azure-devops",
        source: "azure_devops",
        provider_scope: "*",
        mapping: "azure_devops",
        task: "1",
        path: "/acme/web/_apis/wit/workitems/1",
        idempotency_key: false,
    },
];

/// The credential environment of a kind (never on the command line).
fn credentials(kind: &Kind) -> Vec<(String, String)> {
    let var = |what: &str| format!("TASKSYNC_{}_{what}", kind.name.to_uppercase());
    match kind.key {
        "connectwise" => vec![
            (var("USER"), "acme+pubKEY".into()),
            (var("PASSWORD"), TOKEN.into()),
            (var("CLIENT_ID"), "3f1e9c1a-client".into()),
        ],
        "azure_devops" => vec![
            (var("USER"), String::new()),
            (var("PASSWORD"), TOKEN.into()),
        ],
        _ => vec![(var("TOKEN"), TOKEN.into())],
    }
}

/// Every output a test saw, for the credential sweep.
#[derive(Default)]
struct Shown(Vec<String>);

impl Shown {
    fn keep(&mut self, out: &Output) -> String {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        self.0.push(stdout.clone());
        self.0
            .push(String::from_utf8_lossy(&out.stderr).into_owned());
        stdout
    }

    /// Adds the hub's history, audit and jobs, then checks no form of a credential shows.
    fn sweep(&mut self, hub: &Hub) {
        for args in [
            &["history", "list", "--json"][..],
            &["history", "audit", "--json"],
            &["jobs", "list", "--json"],
        ] {
            self.0.push(hub.ok(args));
        }
        let basic =
            |user: &str, secret: &str| sync_providers_base64(format!("{user}:{secret}").as_bytes());
        let forms = [
            TOKEN.to_owned(),
            FRESH.to_owned(),
            basic("acme+pubKEY", TOKEN),
            basic("", TOKEN),
            basic("", FRESH),
        ];
        for text in &self.0 {
            for form in &forms {
                assert!(!text.contains(form.as_str()), "credential shown: {text}");
            }
        }
    }
}

/// Standard base64 (the Basic header's encoding), to look for encoded credentials.
fn sync_providers_base64(input: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn spec(fakes: &Fakes, kind: &Kind) -> String {
    format!("{}={}:{}", kind.name, kind.kind, fakes.base(kind.key))
}

fn run(hub: &Hub, kind: &Kind, extra: &[(&str, &str)], args: &[&str]) -> Output {
    let owned = credentials(kind);
    let mut env: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.extend_from_slice(extra);
    env.push(("TASKSYNC_LOG", "debug"));
    hub.run_with(&env, args)
}

fn ok(shown: &mut Shown, out: Output, what: &str) -> String {
    let stdout = shown.keep(&out);
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Pulls `kind` into scope `kind.name` and queues one status change; answers the job id.
fn pulled_and_changed(hub: &Hub, fakes: &Fakes, kind: &Kind, shown: &mut Shown) -> String {
    let provider = spec(fakes, kind);
    let pulled = run(
        hub,
        kind,
        &[],
        &[
            "pull",
            "--provider",
            &provider,
            "--scope",
            kind.name,
            "--provider-scope",
            kind.provider_scope,
            "--all-statuses",
            "--once",
        ],
    );
    let line: Value = serde_json::from_str(&ok(shown, pulled, "pull")).unwrap();
    assert_eq!(line["outcome"], "executed", "{line}");
    let task = format!("{}:{}", kind.source, kind.task);
    let target = format!("{}={}@{}", kind.name, kind.mapping, kind.source);
    let out = hub.run(&[
        "status",
        "--task",
        &task,
        "--to",
        "in_progress",
        "--target",
        &target,
    ]);
    let stdout = ok(shown, out, "status");
    let job = stdout
        .split_whitespace()
        .find(|w| w.starts_with("job-"))
        .unwrap_or_else(|| panic!("no job queued: {stdout}"));
    job.to_owned()
}

fn worker(hub: &Hub, fakes: &Fakes, kind: &Kind, extra: &[(&str, &str)], mode: &str) -> Output {
    let provider = spec(fakes, kind);
    run(
        hub,
        kind,
        extra,
        &["worker", "--provider", &provider, mode, "--metrics"],
    )
}

fn job(hub: &Hub, id: &str) -> Value {
    serde_json::from_str(&hub.ok(&["jobs", "show", id])).unwrap()
}

#[test]
fn the_worker_delivers_to_every_http_kind() {
    let fakes = Fakes::start();
    let hub = Hub::empty();
    let mut shown = Shown::default();
    for kind in &KINDS {
        let id = pulled_and_changed(&hub, &fakes, kind, &mut shown);
        let before = fakes.writes(kind.key).len();
        let out = ok(
            &mut shown,
            worker(&hub, &fakes, kind, &[], "--until-idle"),
            "worker",
        );
        assert!(out.contains("1 succeeded"), "{}: {out}", kind.name);
        let writes = fakes.writes(kind.key);
        assert_eq!(writes.len(), before + 1, "{}: {writes:?}", kind.name);
        let push = writes.last().unwrap();
        assert_eq!(push["method"], "PATCH", "{}", kind.name);
        assert_eq!(push["path"], kind.path, "{}", kind.name);
        assert!(!push["body"].as_str().unwrap().is_empty(), "{}", kind.name);
        let sent = &fakes.seen(kind.key)[0]["headers"]["authorization"];
        assert_eq!(&push["headers"]["authorization"], sent, "{}", kind.name);
        if kind.idempotency_key {
            assert_eq!(
                push["headers"]["idempotency-key"],
                json!(id),
                "{}",
                kind.name
            );
        }
        assert_eq!(job(&hub, &id)["state"], "succeeded", "{}", kind.name);
    }
    shown.sweep(&hub);
}

#[test]
fn a_401_is_renewed_by_the_token_command_and_a_failing_command_dead_letters() {
    let fakes = Fakes::start();
    let hub = Hub::empty();
    let mut shown = Shown::default();
    let todo = &KINDS[0];
    let id = pulled_and_changed(&hub, &fakes, todo, &mut shown);
    std::fs::write(hub.root.join("fresh.txt"), format!("{FRESH}\n")).unwrap();
    fakes.control(
        "mstodo",
        "POST",
        "credential",
        Some(json!({"token": FRESH})),
    );
    let renew = [("TASKSYNC_TODO_TOKEN_COMMAND", "cat fresh.txt")];
    let out = ok(
        &mut shown,
        worker(&hub, &fakes, todo, &renew, "--until-idle"),
        "worker",
    );
    assert!(out.contains("1 succeeded"), "{out}");
    assert_eq!(job(&hub, &id)["state"], "succeeded");
    let last = fakes.seen("mstodo").pop().unwrap();
    assert_eq!(last["headers"]["authorization"], format!("Bearer {FRESH}"));

    // A token command that fails: the job is dead, the error names the command, not its output.
    fakes.control("mstodo", "POST", "reset", None);
    fakes.control(
        "mstodo",
        "POST",
        "credential",
        Some(json!({"token": FRESH})),
    );
    let task = "mstodo:list-1/t2";
    let out = hub.run(&[
        "status",
        "--task",
        task,
        "--to",
        "completed",
        "--target",
        "todo=ms_todo@mstodo",
    ]);
    ok(&mut shown, out, "status");
    let failing = [(
        "TASKSYNC_TODO_TOKEN_COMMAND",
        "echo tok-LEAKED-71c3; echo tok-LEAKED-0e9a >&2; exit 3",
    )];
    let out = ok(
        &mut shown,
        worker(&hub, &fakes, todo, &failing, "--until-idle"),
        "worker",
    );
    assert!(out.contains("1 dead"), "{out}");
    let dead: Value = serde_json::from_str(&hub.ok(&["jobs", "dead", "--json"])).unwrap();
    let error = dead[0]["last_error"].as_str().unwrap().to_owned();
    assert!(error.contains("token command of `todo` failed"), "{error}");
    for text in &shown.0 {
        assert!(
            !text.contains("LEAKED"),
            "token command output shown: {text}"
        );
    }
    shown.sweep(&hub);
}

#[test]
fn a_429_defers_the_job_and_a_404_dead_letters_it() {
    let fakes = Fakes::start();
    let hub = Hub::empty();
    let mut shown = Shown::default();
    let plan = &KINDS[2];
    let id = pulled_and_changed(&hub, &fakes, plan, &mut shown);
    fakes.fault(
        "processplan",
        json!({"status": 429, "headers": {"retry-after": "30"}, "body": "{}"}),
    );
    let out = ok(
        &mut shown,
        worker(&hub, &fakes, plan, &[], "--once"),
        "worker",
    );
    assert!(
        out.contains("0 succeeded") && out.contains("0 dead"),
        "{out}"
    );
    let waiting = job(&hub, &id);
    assert_eq!(waiting["state"], "pending", "{waiting}");
    assert!(
        waiting["last_error"]
            .as_str()
            .unwrap()
            .contains("rate limited"),
        "{waiting}"
    );
    let due = waiting["run_at"].as_i64().unwrap() - waiting["updated_at"].as_i64().unwrap();
    assert!(due >= 29_000, "the job waits for Retry-After: {waiting}");

    // A change for To Do gets a 404: dead letter, listed by `jobs dead`.
    let todo = &KINDS[0];
    let second = pulled_and_changed(&hub, &fakes, todo, &mut shown);
    fakes.fault(
        "mstodo",
        json!({"status": 404, "body": "{\"error\": {\"code\": \"ErrorItemNotFound\"}}"}),
    );
    let out = ok(
        &mut shown,
        worker(&hub, &fakes, todo, &[], "--once"),
        "worker",
    );
    assert!(out.contains("1 dead"), "{out}");
    assert!(out.contains("tasksync_"), "metrics printed: {out}");
    let dead: Value = serde_json::from_str(&hub.ok(&["jobs", "dead", "--json"])).unwrap();
    assert_eq!(dead[0]["id"], second, "{dead}");
    assert!(
        dead[0]["last_error"].as_str().unwrap().contains("404"),
        "{dead}"
    );
    shown.sweep(&hub);
}

#[test]
fn an_expired_credential_without_renewal_is_final_and_never_shown() {
    let fakes = Fakes::start();
    let hub = Hub::empty();
    let mut shown = Shown::default();
    for kind in &KINDS {
        let id = pulled_and_changed(&hub, &fakes, kind, &mut shown);
        // The fake now wants another secret and echoes the presented one in its 401 body.
        let credential = match kind.key {
            "connectwise" => json!({"user": "acme+pubKEY", "password": FRESH}),
            "azure_devops" => json!({"user": "", "password": FRESH}),
            _ => json!({"token": FRESH}),
        };
        fakes.control(kind.key, "POST", "credential", Some(credential));
        let out = ok(
            &mut shown,
            worker(&hub, &fakes, kind, &[], "--until-idle"),
            "worker",
        );
        assert!(out.contains("1 dead"), "{}: {out}", kind.name);
        assert_eq!(job(&hub, &id)["state"], "dead", "{}", kind.name);
    }
    shown.sweep(&hub);
}
