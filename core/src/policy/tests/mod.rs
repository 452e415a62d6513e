//! Unit tests of the policy state machines, with explicit times.
