//! The retry budget: ratio, floor, decay.

use super::{MS, SEC};
use crate::policy::RetryBudget;

#[test]
fn retries_are_a_fraction_of_requests() {
    let budget = RetryBudget::new(0.2, 0);
    assert!(!budget.try_withdraw(0));
    budget.deposit(0, 5);
    assert!(budget.try_withdraw(0));
    assert!(!budget.try_withdraw(0));
    budget.deposit(MS, 9);
    assert!(budget.try_withdraw(MS));
    assert!(!budget.try_withdraw(MS));
}

#[test]
fn the_floor_allows_a_few_retries_a_second() {
    let budget = RetryBudget::new(0.0, 2);
    budget.deposit(0, 1000);
    assert!(budget.try_withdraw(0));
    assert!(budget.try_withdraw(0));
    assert!(!budget.try_withdraw(0));
    assert!(budget.try_withdraw(SEC / 2));
    assert!(!budget.try_withdraw(SEC / 2));
}

#[test]
fn the_balance_decays_with_the_ttl() {
    let budget = RetryBudget::new(1.0, 0);
    budget.deposit(0, 10);
    assert_eq!(budget.balance(0), 10.0);
    let after_ttl = budget.balance(10 * SEC);
    assert!(
        (after_ttl - 10.0 / std::f64::consts::E).abs() < 0.05,
        "{after_ttl}"
    );
    assert!(budget.balance(120 * SEC) < 0.001);
    // What was earned long ago cannot pay for retries now.
    assert!(!budget.try_withdraw(120 * SEC));
}
