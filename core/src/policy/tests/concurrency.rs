//! The in-flight limit.

use crate::policy::InFlight;

#[test]
fn admits_up_to_the_maximum() {
    let limit = InFlight::new(2);
    assert!(limit.try_acquire() && limit.try_acquire());
    assert!(!limit.try_acquire());
    assert_eq!((limit.current(), limit.max()), (2, 2));
    limit.release();
    assert!(limit.try_acquire());
}

#[test]
fn guards_release_on_drop_and_releases_saturate() {
    let limit = InFlight::new(1);
    {
        let _guard = limit.guard().unwrap();
        assert!(limit.guard().is_none());
    }
    assert_eq!(limit.current(), 0);
    limit.release();
    assert_eq!(limit.current(), 0);
    assert!(limit.try_acquire());
    assert!(!InFlight::new(0).try_acquire());
}
