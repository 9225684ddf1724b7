//! What the benchmarks share: reading their options.

/// The value after `--name` (or `--name=value`) on the command line, else the environment
/// variable `env`. Unknown arguments (cargo passes `--bench`) are ignored.
pub fn option(name: &str, env: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    let flag = format!("--{name}");
    let prefixed = format!("{flag}=");
    for (i, arg) in args.iter().enumerate() {
        if *arg == flag {
            return args.get(i + 1).cloned();
        }
        if let Some(value) = arg.strip_prefix(&prefixed) {
            return Some(value.to_owned());
        }
    }
    std::env::var(env).ok()
}
