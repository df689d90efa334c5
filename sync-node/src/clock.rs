//! Clocks: the system clock, a manual clock tests drive, or a JS function returning
//! milliseconds.
//!
//! Invariant: the core's `Clock` is synchronous, so a JS clock is called from a tokio thread
//! and that thread waits for the JS thread's answer; the engines only read the clock inside
//! their futures, never on the JS thread, so the wait cannot deadlock. A JS clock that throws
//! or returns something that is not a finite integer fails the operation that asked for the
//! time with `StoreError` (code `store`), before it writes anything (the core's `HostClock`).

use std::sync::Arc;
use std::sync::mpsc;

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use sync_core::{Millis, SystemClock};

use crate::error::coded;

type NowFn = ThreadsafeFunction<(), f64, (), napi::Status, false, true>;

struct JsClock(NowFn);

impl sync_core::FallibleClock for JsClock {
    fn read(&self) -> Result<Millis, String> {
        let (tx, rx) = mpsc::sync_channel(1);
        let status = self.0.call_with_return_value(
            (),
            ThreadsafeFunctionCallMode::Blocking,
            move |result: napi::Result<f64>, _env| {
                let _ = tx.send(result.map_err(|e| e.reason.clone()));
                Ok(())
            },
        );
        if status != napi::Status::Ok {
            return Err(format!(
                "the clock function could not be called ({status:?})"
            ));
        }
        match rx.recv() {
            Ok(Ok(ms)) if ms.is_finite() && ms.fract() == 0.0 && ms.abs() < 9.007e15 => {
                Ok(ms as Millis)
            }
            Ok(Ok(ms)) => Err(format!(
                "the clock function returned {ms}, not an integer number of milliseconds"
            )),
            Ok(Err(reason)) => Err(reason),
            Err(_) => Err("the clock function did not answer".into()),
        }
    }
}

/// A source of time for the engines.
#[napi]
pub struct Clock {
    pub(crate) inner: Arc<dyn sync_core::Clock>,
    manual: Option<Arc<sync_core::ManualClock>>,
    /// Whether it calls a JS function (then it must never be read on the JS thread).
    pub(crate) host: bool,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clock")
            .field("manual", &self.manual.is_some())
            .finish()
    }
}

impl Clock {
    fn manual_or_err(&self) -> napi::Result<&sync_core::ManualClock> {
        self.manual.as_deref().ok_or_else(|| {
            coded(
                "invalid_input",
                "invalid input: only a manual clock can be moved",
            )
        })
    }
}

#[napi]
impl Clock {
    /// The system's wall clock.
    #[napi(factory)]
    pub fn system() -> Clock {
        Clock {
            inner: Arc::new(SystemClock),
            manual: None,
            host: false,
        }
    }

    /// A clock at `startMs` that moves only through `advance` and `set`.
    #[napi(factory)]
    pub fn manual(start_ms: i64) -> Clock {
        let manual = Arc::new(sync_core::ManualClock::new(start_ms));
        Clock {
            inner: manual.clone(),
            manual: Some(manual),
            host: false,
        }
    }

    /// A clock that asks a JS function `() => number` (milliseconds since the epoch).
    #[napi(factory)]
    pub fn host(now: Function<'_, (), f64>) -> napi::Result<Clock> {
        let tsfn = now
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(Clock {
            inner: Arc::new(sync_core::HostClock::new(JsClock(tsfn))),
            manual: None,
            host: true,
        })
    }

    /// Now, in milliseconds since the epoch (not for a host clock: call the function itself).
    #[napi]
    pub fn now_ms(&self) -> napi::Result<i64> {
        match &self.manual {
            Some(manual) => Ok(sync_core::Clock::now_ms(&**manual)),
            None => Ok(SystemClock.now_ms()),
        }
    }

    /// Moves a manual clock by `deltaMs`.
    #[napi]
    pub fn advance(&self, delta_ms: i64) -> napi::Result<()> {
        self.manual_or_err()?.advance(delta_ms);
        Ok(())
    }

    /// Sets a manual clock.
    #[napi]
    pub fn set(&self, at_ms: i64) -> napi::Result<()> {
        self.manual_or_err()?.set(at_ms);
        Ok(())
    }
}

use sync_core::Clock as _;
