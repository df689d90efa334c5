//! A private PostgreSQL server for the scenarios that stop, restart or starve it: `initdb` into
//! a temporary folder owned by the `postgres` OS user, run on a free port with its own socket
//! folder, stopped (and its folder removed) when dropped. The machine's server is never touched.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The newest PostgreSQL's binaries (`/usr/lib/postgresql/<version>/bin`).
fn binaries() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's binaries are not installed under /usr/lib/postgresql")
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .expect("no /usr/lib/postgresql/<version>/bin/postgres")
        .1
}

/// A free TCP port on this machine (bound once, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn as_postgres(bin: &Path, tool: &str) -> Command {
    let mut cmd = Command::new("runuser");
    cmd.args(["-u", "postgres", "--"]).arg(bin.join(tool));
    cmd
}

fn chown_postgres(path: &Path) {
    let status = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(path)
        .status()
        .expect("chown");
    assert!(status.success(), "chown postgres {}", path.display());
}

/// A running (or stopped) private server.
pub(crate) struct PrivatePg {
    _dir: tempfile::TempDir,
    bin: PathBuf,
    data: PathBuf,
    socket: PathBuf,
    log: PathBuf,
    /// Its port.
    pub(crate) port: u16,
    settings: Vec<String>,
    server: Option<Child>,
}

impl PrivatePg {
    /// Initialises and starts a server listening on `listen` (comma-separated addresses) and
    /// its socket folder, with `settings` (`name=value`, passed as `-c`), trusting every local
    /// connection and those from `trusted` (CIDR ranges).
    pub(crate) fn start(listen: &str, settings: &[&str], trusted: &[&str]) -> PrivatePg {
        let bin = binaries();
        let dir = tempfile::Builder::new()
            .prefix("tasksync-pg-")
            .tempdir()
            .unwrap();
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let (data, socket) = (dir.path().join("data"), dir.path().join("socket"));
        std::fs::create_dir(&data).unwrap();
        std::fs::create_dir(&socket).unwrap();
        chown_postgres(&data);
        chown_postgres(&socket);
        let out = as_postgres(&bin, "initdb")
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"])
            .output()
            .expect("initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if !trusted.is_empty() {
            let hba = data.join("pg_hba.conf");
            let mut text = std::fs::read_to_string(&hba).unwrap();
            for range in trusted {
                text.push_str(&format!("host all all {range} trust\n"));
            }
            std::fs::write(&hba, text).unwrap();
        }
        let mut all = vec![
            format!("listen_addresses={listen}"),
            // A test server: durability off, it is thrown away.
            "fsync=off".into(),
            "synchronous_commit=off".into(),
            "full_page_writes=off".into(),
        ];
        all.extend(settings.iter().map(|s| s.to_string()));
        let mut pg = PrivatePg {
            log: dir.path().join("server.log"),
            _dir: dir,
            bin,
            data,
            socket,
            port: free_port(),
            settings: all,
            server: None,
        };
        pg.start_again();
        pg
    }

    /// A URL to database `db` through `host`.
    pub(crate) fn url(&self, host: &str, db: &str) -> String {
        format!("postgres://postgres@{host}:{}/{db}", self.port)
    }

    /// Starts the stopped server and waits until it accepts connections.
    pub(crate) fn start_again(&mut self) {
        assert!(self.server.is_none(), "the server is running");
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut cmd = as_postgres(&self.bin, "postgres");
        cmd.arg("-D")
            .arg(&self.data)
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-k")
            .arg(&self.socket);
        for s in &self.settings {
            cmd.arg("-c").arg(s);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("postgres");
        self.server = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .arg("-h")
                .arg(&self.socket)
                .arg("-p")
                .arg(self.port.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            if let Some(Ok(Some(status))) = self.server.as_mut().map(Child::try_wait) {
                panic!("postgres exited ({status}): {}", self.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "postgres not ready in 60 s: {}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The end of the server's log.
    pub(crate) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// `pg_ctl stop -m MODE` and waits for the server to exit.
    fn stop_with(&mut self, mode: &str) {
        let Some(mut server) = self.server.take() else {
            return;
        };
        let _ = as_postgres(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["stop", "-w", "-t", "60", "-m", mode])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = server.wait();
    }

    /// Stops the server as `pg_ctl stop -m fast` does (every session is ended).
    pub(crate) fn stop_fast(&mut self) {
        self.stop_with("fast");
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        self.stop_with("immediate");
    }
}
