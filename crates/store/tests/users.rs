//! The store contract for staff users and dashboard sessions, on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // Test set-up: a failure is a test failure.

use casewire_model::{EmailAddress, FirmId, NumberClass, PhoneNumber, Region, TextingNumber};
use casewire_store::{
    FirmSettings, NewFirm, NewSession, NewUser, PasswordHash, SessionHash, Store, StoreError,
};
use chrono::{DateTime, Duration, TimeZone, Utc};

casewire_store::both_backends!(
    a_user_address_is_unique_and_users_stay_in_their_firm,
    a_session_is_found_by_its_hash_until_it_expires_or_ends,
);

fn t(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0).unwrap()
}

async fn firm(store: &Store, name: &str, texting: &str) -> FirmId {
    store
        .create_firm(
            &NewFirm {
                name: name.into(),
                time_zone: chrono_tz::America::Chicago,
                region: Region::US,
                numbers: vec![TextingNumber::new(
                    PhoneNumber::parse(texting, Region::US).unwrap(),
                    NumberClass::LongCode,
                )],
                notification_email: EmailAddress::parse("intake@example.com").unwrap(),
                settings: FirmSettings::default(),
            },
            t(8),
        )
        .await
        .unwrap()
        .firm
        .id()
}

fn hash() -> PasswordHash {
    PasswordHash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into())
}

async fn a_user_address_is_unique_and_users_stay_in_their_firm(store: &Store) {
    let rivera = firm(store, "Rivera", "312-555-0100").await;
    let cole = firm(store, "Cole", "312-555-0200").await;
    let email = EmailAddress::parse("jane@rivera.example").unwrap();
    let new = NewUser {
        email: &email,
        name: "Jane Paralegal",
        password_hash: &hash(),
    };
    let jane = store.create_user(rivera, &new, t(9)).await.unwrap();
    assert_eq!(jane.firm_id, rivera);
    assert_eq!(jane.name, "Jane Paralegal");
    assert!(matches!(
        store.create_user(cole, &new, t(9)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.create_user(FirmId::new(9999), &new, t(9)).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.users(rivera).await.unwrap(), vec![jane.clone()]);
    assert!(store.users(cole).await.unwrap().is_empty());
    let credentials = store.credentials(&email).await.unwrap().unwrap();
    assert_eq!(credentials.user, jane);
    assert_eq!(credentials.password_hash, hash());
    let nobody = EmailAddress::parse("nobody@rivera.example").unwrap();
    assert!(store.credentials(&nobody).await.unwrap().is_none());
}

async fn a_session_is_found_by_its_hash_until_it_expires_or_ends(store: &Store) {
    let rivera = firm(store, "Rivera", "312-555-0100").await;
    let email = EmailAddress::parse("jane@rivera.example").unwrap();
    let jane = store
        .create_user(
            rivera,
            &NewUser {
                email: &email,
                name: "Jane",
                password_hash: &hash(),
            },
            t(9),
        )
        .await
        .unwrap();
    let token = SessionHash("a".repeat(64));
    let id = store
        .create_session(
            &NewSession {
                token_hash: &token,
                user: &jane,
                csrf_token: "csrf-token",
                expires_at: t(9) + Duration::hours(12),
            },
            t(9),
        )
        .await
        .unwrap();
    let session = store.session(&token, t(10)).await.unwrap().unwrap();
    assert_eq!(session.id, id);
    assert_eq!(session.user, jane);
    assert_eq!(session.csrf_token, "csrf-token");
    assert_eq!(session.flash, None);
    assert!(
        store
            .session(&SessionHash("b".repeat(64)), t(10))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .session(&token, t(21) + Duration::minutes(1))
            .await
            .unwrap()
            .is_none(),
        "expired"
    );

    store
        .set_session_flash(id, Some("done:Saved."))
        .await
        .unwrap();
    let session = store.session(&token, t(10)).await.unwrap().unwrap();
    assert_eq!(session.flash.as_deref(), Some("done:Saved."));
    store.set_session_flash(id, None).await.unwrap();

    assert!(store.delete_session(&token).await.unwrap());
    assert!(store.session(&token, t(10)).await.unwrap().is_none());
    assert!(!store.delete_session(&token).await.unwrap());
}
