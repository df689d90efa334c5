//! The pure session operations: a session and `now` in, a new session or a typed error out.

use std::collections::HashSet;

use crate::error::{Error, Result, clip};
use crate::limits::{self, Limits, MAX_ID_BYTES};
use crate::model::Millis;

use super::model::{Cycle, Session};
use crate::state::{CycleTime, SessionState, SessionStatus};

/// `b - a` for instants with `a <= b` (guaranteed by clamping), exact over the whole range of
/// instants; 0 otherwise.
fn span(a: Millis, b: Millis) -> u64 {
    u64::try_from(i128::from(b) - i128::from(a)).unwrap_or(0)
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

/// A copy stamped for a change at `t`: version + 1, `last_seen` = `t`. (Arithmetic here and
/// below saturates: a session from a store is checked by [`check`] before any operation, and
/// an operation on an unchecked one must still never panic.)
fn next(session: &Session, t: Millis) -> Session {
    let mut s = session.clone();
    s.version = s.version.saturating_add(1);
    s.last_seen = t;
    s
}

/// Closes the running segment at `t`, adding it to the current cycle.
fn close_segment(s: &mut Session, t: Millis) {
    if let Some(from) = s.segment_started_at.take()
        && let Some(ms) = s.cycle_ms.get_mut(s.current)
    {
        *ms = ms.saturating_add(span(from, t));
    }
}

/// Closes the open pause at `t`.
fn close_pause(s: &mut Session, t: Millis) {
    if let Some(from) = s.paused_at.take() {
        s.paused_ms = s.paused_ms.saturating_add(span(from, t));
    }
}

/// A new session in state `created` with version 1 (see [`create_within`]), within the
/// default [`Limits`].
pub fn create(id: impl Into<String>, cycles: Vec<Cycle>, now: Millis) -> Result<Session> {
    create_within(id, cycles, now, &Limits::default())
}

/// A new session in state `created` with version 1. Fails with `InvalidInput` for an empty or
/// over-long id, no cycles or more than `limits.max_cycles`, an empty, over-long or duplicate
/// cycle id, an over-long cycle name.
pub fn create_within(
    id: impl Into<String>,
    cycles: Vec<Cycle>,
    now: Millis,
    limits: &Limits,
) -> Result<Session> {
    let id = id.into();
    limits::check_id("session id", &id)?;
    if cycles.is_empty() {
        return Err(Error::invalid_input(format!(
            "session `{}` needs at least one cycle",
            clip(&id)
        )));
    }
    limits::check_count(
        "the session's cycles",
        cycles.len(),
        limits.max_cycles,
        Some("max_cycles"),
    )?;
    let mut seen = HashSet::new();
    for cycle in &cycles {
        limits::check_id("cycle id", &cycle.id)?;
        limits::check_name("cycle name", &cycle.name)?;
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
    if let Some(id) = to {
        limits::check_len("cycle id", id, MAX_ID_BYTES)?;
    }
    let target = match to {
        None => session
            .current
            .saturating_add(1)
            .checked_rem(session.cycles.len())
            .unwrap_or(0),
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
    s.switch_count = s.switch_count.saturating_add(1);
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
        current.elapsed_ms = current.elapsed_ms.saturating_add(span(from, t));
    }
    let paused_ms = session
        .paused_ms
        .saturating_add(session.paused_at.map_or(0, |from| span(from, t)));
    let running_ms = cycles
        .iter()
        .fold(0u64, |sum, c| sum.saturating_add(c.elapsed_ms));
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

fn inconsistent(session: &Session, why: String) -> Error {
    Error::Store(format!(
        "the session store returned an inconsistent session `{}`: {why}",
        clip(&session.id)
    ))
}

/// Checks a session read from a store before any operation uses it: at least one cycle, the
/// current cycle in range, one time per cycle, a version that can still grow, the optional
/// times its status implies (and no others), times in order, and the exact accounting
/// (cycle times plus paused time equal the time since start). A session the operations wrote
/// always passes; anything else (a host store's corrupt or hand-edited data) is
/// [`Error::Store`], and no operation sees it.
pub fn check(session: &Session) -> Result<()> {
    use SessionStatus::*;
    let bad = |why: String| Err(inconsistent(session, why));
    let cycles = session.cycles.len();
    if cycles == 0 {
        return bad("it has no cycles".into());
    }
    if session.current >= cycles {
        return bad(format!("current cycle {} of {cycles}", session.current));
    }
    if session.cycle_ms.len() != cycles {
        return bad(format!(
            "{} cycle times for {cycles} cycles",
            session.cycle_ms.len()
        ));
    }
    if session.version == 0 || session.version == u64::MAX {
        return bad(format!("version {}", session.version));
    }
    let (started, segment, paused, completed) = (
        session.started_at,
        session.segment_started_at,
        session.paused_at,
        session.completed_at,
    );
    let mark = match (session.status, started, segment, paused, completed) {
        (Created, None, None, None, None) => None,
        (Running, Some(_), Some(at), None, None)
        | (Paused, Some(_), None, Some(at), None)
        | (Completed, Some(_), None, None, Some(at)) => Some(at),
        _ => {
            return bad(format!(
                "status {} with started_at {started:?}, segment_started_at {segment:?}, \
                 paused_at {paused:?}, completed_at {completed:?}",
                session.status
            ));
        }
    };
    let total = session
        .cycle_ms
        .iter()
        .try_fold(session.paused_ms, |sum, ms| sum.checked_add(*ms));
    let Some(total) = total else {
        return bad("its times overflow".into());
    };
    let (Some(started), Some(mark)) = (started, mark) else {
        if total != 0 || session.switch_count != 0 || session.current != 0 {
            return bad("it was never started but has times, switches or a current cycle".into());
        }
        return match session.created_at <= session.last_seen {
            true => Ok(()),
            false => bad("created after it was last seen".into()),
        };
    };
    if !(session.created_at <= started && started <= mark && mark <= session.last_seen) {
        return bad(format!(
            "times out of order (created {}, started {started}, last change {mark}, last seen {})",
            session.created_at, session.last_seen
        ));
    }
    if total != span(started, mark) {
        return bad(format!(
            "{total} ms accounted for {} ms since its start",
            span(started, mark)
        ));
    }
    Ok(())
}
