//! Any text, parsed as an agent file and validated, must never panic.
#![no_main]

use std::path::Path;

use harness::agent::{definition, validate};
use harness::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(parsed) = definition::parse(Path::new("fuzz.md"), text) {
        let _ = validate::validate(&parsed.definition, &validate::Context::default());
        let _ = Policy::compile(&parsed.definition);
    }
});
