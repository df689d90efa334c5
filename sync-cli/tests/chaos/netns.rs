//! Separate network hosts on one machine: a network namespace per host, joined to the root
//! namespace by a veth pair on its own /30 (`10.77.X.4i+1` on the root side, `+2` inside).
//! Everything is removed when the [`Hosts`] value is dropped, a failing test included.

use std::process::{Command, Stdio};

/// One namespace.
#[derive(Debug)]
pub(crate) struct Host {
    /// The namespace's name (`ip netns exec NAME …`).
    pub(crate) namespace: String,
    /// Its address.
    pub(crate) address: String,
    /// The root namespace's address on its link: where a server for it listens.
    pub(crate) gateway: String,
    /// The root side's interface.
    link: String,
}

/// The namespaces of one test.
#[derive(Debug)]
pub(crate) struct Hosts {
    /// Each host.
    pub(crate) hosts: Vec<Host>,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `ip`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Why this machine cannot make namespaces, if it cannot.
fn unavailable() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("network namespaces need root (`ip netns add`): run the test as root".into());
    }
    None
}

impl Hosts {
    /// `count` namespaces named after `tag` (a few hex digits), on the /24 `10.77.{subnet}`.
    /// Panics with the reason when namespaces cannot be made (not root, no `ip netns`).
    pub(crate) fn create(count: usize, tag: &str, subnet: u8) -> Hosts {
        if let Some(why) = unavailable() {
            panic!("separate network hosts: {why}");
        }
        let mut made = Hosts { hosts: Vec::new() };
        for i in 0..count {
            let namespace = format!("tasksync-{tag}-{i}");
            let link = format!("tsq{tag}{i}");
            let peer = format!("tsp{tag}{i}");
            let base = 4 * i as u32;
            let gateway = format!("10.77.{subnet}.{}", base + 1);
            let address = format!("10.77.{subnet}.{}", base + 2);
            if let Err(why) = ip(&["netns", "add", &namespace]) {
                panic!("separate network hosts: `ip netns` is unavailable here: {why}");
            }
            made.hosts.push(Host {
                namespace: namespace.clone(),
                address: address.clone(),
                gateway: gateway.clone(),
                link: link.clone(),
            });
            let (outer, inner) = (format!("{gateway}/30"), format!("{address}/30"));
            let ns = namespace.as_str();
            let steps: [&[&str]; 7] = [
                &["link", "add", &link, "type", "veth", "peer", "name", &peer],
                &["link", "set", &peer, "netns", ns],
                &["addr", "add", &outer, "dev", &link],
                &["link", "set", &link, "up"],
                &["-n", ns, "addr", "add", &inner, "dev", &peer],
                &["-n", ns, "link", "set", &peer, "up"],
                &["-n", ns, "link", "set", "lo", "up"],
            ];
            for step in steps {
                if let Err(why) = ip(step) {
                    panic!("separate network hosts: {why}");
                }
            }
        }
        made
    }

    /// A /24 of `10.77.0.0/16` that no interface of this machine uses yet.
    pub(crate) fn free_subnet(draw: u64) -> u8 {
        let out = Command::new("ip")
            .args(["-o", "addr"])
            .output()
            .expect("ip addr");
        let used = String::from_utf8_lossy(&out.stdout).into_owned();
        (0..256u64)
            .map(|k| ((draw + k) % 254 + 1) as u8)
            .find(|s| !used.contains(&format!("10.77.{s}.")))
            .expect("a free 10.77.X.0/24")
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for host in &self.hosts {
            // Deleting either end of a veth pair deletes both; the namespace goes with its end.
            let _ = ip(&["link", "del", &host.link]);
            let _ = ip(&["netns", "del", &host.namespace]);
        }
    }
}
