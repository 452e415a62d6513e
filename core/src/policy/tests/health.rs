//! Active health thresholds.

use crate::policy::{is_healthy_status, ActiveHealth, HealthChange};

#[test]
fn verdicts_flip_after_streaks_only() {
    let h = ActiveHealth::with_thresholds(2, 3);
    assert!(h.is_healthy());
    assert_eq!(h.record(false), None);
    assert_eq!(h.record(false), None);
    // A pass in between starts the streak over.
    assert_eq!(h.record(true), None);
    assert_eq!(h.record(false), None);
    assert_eq!(h.record(false), None);
    assert_eq!(h.record(false), Some(HealthChange::Unhealthy));
    assert!(!h.is_healthy());
    assert_eq!(h.record(false), None);
    assert_eq!(h.record(true), None);
    assert_eq!(h.record(false), None);
    assert_eq!(h.record(true), None);
    assert_eq!(h.record(true), Some(HealthChange::Healthy));
    assert!(h.is_healthy());
}

#[test]
fn only_2xx_passes() {
    assert!(is_healthy_status(200) && is_healthy_status(204));
    assert!(!is_healthy_status(301) && !is_healthy_status(503) && !is_healthy_status(199));
}
