//! Black-box tests of the Casewire binaries.
