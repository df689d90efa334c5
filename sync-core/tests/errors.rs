//! The error kinds every binding shares: a caught panic is `internal`, and a provider
//! failure's structured parts (class, HTTP status, retry delay) come from the core.

use sync_core::{Error, ErrorKind, ProviderError};

#[test]
fn a_caught_panic_is_an_internal_error_with_its_message() {
    for payload in [
        std::panic::catch_unwind(|| panic!("static text")).unwrap_err(),
        std::panic::catch_unwind(|| panic!("formatted {}", 42)).unwrap_err(),
    ] {
        let err = Error::from_panic(&*payload);
        assert_eq!(err.kind(), ErrorKind::Internal);
        assert_eq!(err.kind().code(), "internal");
        let text = err.to_string();
        assert!(
            text.starts_with("internal error (a bug in tasksync): Rust panic: "),
            "{text}"
        );
        assert!(
            text.contains("static text") || text.contains("formatted 42"),
            "{text}"
        );
    }
    let odd = std::panic::catch_unwind(|| std::panic::panic_any(7_u8)).unwrap_err();
    assert!(
        Error::from_panic(&*odd)
            .to_string()
            .ends_with("unknown panic")
    );
}

#[test]
fn a_huge_panic_message_is_clipped() {
    let payload = std::panic::catch_unwind(|| panic!("{}", "x".repeat(100_000))).unwrap_err();
    let text = Error::from_panic(&*payload).to_string();
    assert!(text.len() < 300, "{} bytes", text.len());
}

fn every_class() -> Vec<ProviderError> {
    let provider = "mstodo".to_owned();
    let message = "m".to_owned();
    vec![
        ProviderError::Timeout {
            provider: provider.clone(),
            message: message.clone(),
        },
        ProviderError::RateLimited {
            provider: provider.clone(),
            retry_after_ms: 1500,
        },
        ProviderError::Unavailable {
            provider: provider.clone(),
            status: 503,
            message: message.clone(),
        },
        ProviderError::Unavailable {
            provider: provider.clone(),
            status: 0,
            message: message.clone(),
        },
        ProviderError::TokenExpired {
            provider: provider.clone(),
        },
        ProviderError::Rejected {
            provider,
            status: 422,
            message,
        },
    ]
}

#[test]
fn provider_details_carry_class_status_and_delay() {
    let details: Vec<_> = every_class()
        .iter()
        .map(|e| {
            let d = e.details();
            assert_eq!(d.provider, "mstodo");
            (d.class, d.http_status, d.retry_after_ms)
        })
        .collect();
    assert_eq!(
        details,
        vec![
            ("timeout", None, None),
            ("rate_limited", None, Some(1500)),
            ("unavailable", Some(503), None),
            ("unavailable", None, None),
            ("token_expired", None, None),
            ("rejected", Some(422), None),
        ]
    );
}

#[test]
fn the_class_is_the_serde_tag_hosts_raise() {
    for err in every_class() {
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["class"], err.class(), "{json}");
        let back: ProviderError = serde_json::from_value(json).unwrap();
        assert_eq!(back, err);
    }
}

#[test]
fn provider_details_come_through_the_core_error_only_for_provider_failures() {
    let err = Error::from(every_class().remove(1));
    assert_eq!(err.kind(), ErrorKind::Provider);
    let details = err
        .provider_details()
        .expect("a provider failure has details");
    assert_eq!(details.class, "rate_limited");
    assert_eq!(
        serde_json::to_string(&details).unwrap(),
        r#"{"provider":"mstodo","class":"rate_limited","http_status":null,"retry_after_ms":1500}"#
    );
    assert_eq!(Error::invalid_input("x").provider_details(), None);
    assert_eq!(Error::internal("x").provider_details(), None);
}
