//! The pure session operations: a session and `now` in, a new session or a typed error out.

use std::collections::HashSet;

use crate::error::{Error, Result, clip};
use crate::model::Millis;

use super::model::{Cycle, CycleTime, Session, SessionState, SessionStatus};

/// `b - a` for instants with `a <= b` (guaranteed by clamping); 0 otherwise.
fn span(a: Millis, b: Millis) -> u64 {
    u64::try_from(b.saturating_sub(a)).unwrap_or(0)
}

/// `now`, or the session's last recorded instant if the clock went backwards.
fn instant(session: &Session, now: Millis) -> Millis {
    if now < session.last_seen {
        tracing::warn!(
            session = %clip(&session.id),
            now,
            last_seen = session.last_seen,
            "clock went backwards; clamping to the last recorded instant"
        );
        session.last_seen
    } else {
        now
    }
}

fn refuse(session: &Session, operation: &str) -> Error {
    Error::InvalidState {
        entity: format!("session `{}`", clip(&session.id)),
        from: session.status.as_str().to_owned(),
        operation: operation.to_owned(),
    }
}

fn require(session: &Session, operation: &str, allowed: &[SessionStatus]) -> Result<()> {
    if allowed.contains(&session.status) {
        Ok(())
    } else {
        Err(refuse(session, operation))
    }
}

/// A copy stamped for a change at `t`: version + 1, `last_seen` = `t`.
fn next(session: &Session, t: Millis) -> Session {
    let mut s = session.clone();
    s.version += 1;
    s.last_seen = t;
    s
}

/// Closes the running segment at `t`, adding it to the current cycle.
fn close_segment(s: &mut Session, t: Millis) {
    if let Some(from) = s.segment_started_at.take() {
        s.cycle_ms[s.current] += span(from, t);
    }
}

/// Closes the open pause at `t`.
fn close_pause(s: &mut Session, t: Millis) {
    if let Some(from) = s.paused_at.take() {
        s.paused_ms += span(from, t);
    }
}

/// A new session in state `created` with version 1. Fails with `InvalidInput` for an empty id,
/// no cycles, an empty or duplicate cycle id.
pub fn create(id: impl Into<String>, cycles: Vec<Cycle>, now: Millis) -> Result<Session> {
    let id = id.into();
    if id.trim().is_empty() {
        return Err(Error::invalid_input("a session id must not be empty"));
    }
    if cycles.is_empty() {
        return Err(Error::invalid_input(format!(
            "session `{}` needs at least one cycle",
            clip(&id)
        )));
    }
    let mut seen = HashSet::new();
    for cycle in &cycles {
        if cycle.id.trim().is_empty() {
            return Err(Error::invalid_input("a cycle id must not be empty"));
        }
        if !seen.insert(cycle.id.as_str()) {
            return Err(Error::invalid_input(format!(
                "cycle id `{}` appears more than once",
                clip(&cycle.id)
            )));
        }
    }
    Ok(Session {
        id,
        cycle_ms: vec![0; cycles.len()],
        cycles,
        status: SessionStatus::Created,
        current: 0,
        paused_ms: 0,
        switch_count: 0,
        version: 1,
        created_at: now,
        started_at: None,
        completed_at: None,
        segment_started_at: None,
        paused_at: None,
        last_seen: now,
    })
}

/// Starts a `created` session in its first cycle.
pub fn start(session: &Session, now: Millis) -> Result<Session> {
    require(session, "start", &[SessionStatus::Created])?;
    let t = instant(session, now);
    let mut s = next(session, t);
    s.status = SessionStatus::Running;
    s.current = 0;
    s.started_at = Some(t);
    s.segment_started_at = Some(t);
    Ok(s)
}

/// Switches a `running` session to the cycle `to`, or (for `None`) to the next one in order,
/// wrapping around. An unknown cycle id is `InvalidInput`.
pub fn switch(session: &Session, to: Option<&str>, now: Millis) -> Result<Session> {
    require(session, "switch", &[SessionStatus::Running])?;
    let target = match to {
        None => (session.current + 1) % session.cycles.len(),
        Some(id) => session
            .cycles
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "session `{}` has no cycle `{}`",
                    clip(&session.id),
                    clip(id)
                ))
            })?,
    };
    let t = instant(session, now);
    let mut s = next(session, t);
    close_segment(&mut s, t);
    s.current = target;
    s.segment_started_at = Some(t);
    s.switch_count += 1;
    Ok(s)
}

/// Pauses a `running` session.
pub fn pause(session: &Session, now: Millis) -> Result<Session> {
    require(session, "pause", &[SessionStatus::Running])?;
    let t = instant(session, now);
    let mut s = next(session, t);
    close_segment(&mut s, t);
    s.status = SessionStatus::Paused;
    s.paused_at = Some(t);
    Ok(s)
}

/// Resumes a `paused` session in the cycle it was paused in.
pub fn resume(session: &Session, now: Millis) -> Result<Session> {
    require(session, "resume", &[SessionStatus::Paused])?;
    let t = instant(session, now);
    let mut s = next(session, t);
    close_pause(&mut s, t);
    s.status = SessionStatus::Running;
    s.segment_started_at = Some(t);
    Ok(s)
}

/// Completes a `running` or `paused` session; its times freeze at `now`.
pub fn complete(session: &Session, now: Millis) -> Result<Session> {
    require(
        session,
        "complete",
        &[SessionStatus::Running, SessionStatus::Paused],
    )?;
    let t = instant(session, now);
    let mut s = next(session, t);
    close_segment(&mut s, t);
    close_pause(&mut s, t);
    s.status = SessionStatus::Completed;
    s.completed_at = Some(t);
    Ok(s)
}

/// Checks that a session may be deleted (any state may) and returns its final view.
pub fn delete(session: &Session, now: Millis) -> Result<SessionState> {
    Ok(state(session, now))
}

/// The live view of a session at `now`, without changing it.
pub fn state(session: &Session, now: Millis) -> SessionState {
    let t = match session.completed_at {
        Some(done) => done,
        None => now.max(session.last_seen),
    };
    let mut cycles: Vec<CycleTime> = session
        .cycles
        .iter()
        .zip(&session.cycle_ms)
        .map(|(c, ms)| CycleTime {
            id: c.id.clone(),
            name: c.name.clone(),
            elapsed_ms: *ms,
        })
        .collect();
    if let (Some(from), Some(current)) =
        (session.segment_started_at, cycles.get_mut(session.current))
    {
        current.elapsed_ms += span(from, t);
    }
    let paused_ms = session.paused_ms + session.paused_at.map_or(0, |from| span(from, t));
    let running_ms = cycles.iter().map(|c| c.elapsed_ms).sum();
    SessionState {
        id: session.id.clone(),
        status: session.status,
        current_index: session.current,
        current_cycle: session
            .cycles
            .get(session.current)
            .map(|c| c.id.clone())
            .unwrap_or_default(),
        cycles,
        running_ms,
        paused_ms,
        elapsed_ms: session.started_at.map_or(0, |from| span(from, t)),
        switch_count: session.switch_count,
        version: session.version,
        at: t,
        created_at: session.created_at,
        started_at: session.started_at,
        completed_at: session.completed_at,
    }
}
