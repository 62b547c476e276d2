//! Black-box tests of the planner, through the public API other crates use.

mod calendar;
mod fixtures;
mod properties;
mod sentences;
