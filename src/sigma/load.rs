//! Reading rule text and rule files into a [`RuleSet`]: multi-document YAML, folders walked
//! recursively (`.yml`/`.yaml`), every failure kept as a [`RuleLoadError`] naming its file.
//!
//! Knows nothing about what a rule means (see `compile`).

use std::path::Path;

use serde::Deserialize;

use super::{RuleLoadError, RuleSet, compile};

impl RuleSet {
    /// Adds the rules of one YAML text (one or more documents). `source` names it in errors.
    ///
    /// Every failure is reported exactly once: when nothing could be loaded and there is one
    /// failure it is returned as `Err`; otherwise failures are pushed to [`RuleSet::errors`]
    /// and the number of rules added is returned.
    pub fn load_str(&mut self, yaml: &str, source: &str) -> Result<usize, RuleLoadError> {
        self.index.clear();
        let mut docs = Vec::new();
        for doc in serde_yaml::Deserializer::from_str(yaml) {
            match serde_yaml::Value::deserialize(doc) {
                Ok(serde_yaml::Value::Null) => {}
                Ok(v) => docs.push(Ok(v)),
                Err(e) => {
                    docs.push(Err(format!("YAML error: {e}")));
                    // A syntax error ends the stream: the parser cannot resynchronise.
                    break;
                }
            }
        }
        if docs.is_empty() {
            return Err(RuleLoadError {
                source: source.to_string(),
                reason: "no YAML document".into(),
            });
        }
        let many = docs.len() > 1;
        let mut loaded = 0;
        let mut errors = Vec::new();
        for (n, doc) in docs.into_iter().enumerate() {
            let name = if many {
                format!("{source}#{}", n + 1)
            } else {
                source.to_string()
            };
            match doc.and_then(|d| compile::rule(&d)) {
                Ok(mut rule) => {
                    rule.source = source.to_string();
                    self.rules.push(rule);
                    loaded += 1;
                }
                Err(reason) => errors.push(RuleLoadError {
                    source: name,
                    reason,
                }),
            }
        }
        if loaded == 0 && errors.len() == 1 {
            return Err(errors.remove(0));
        }
        self.errors.extend(errors);
        Ok(loaded)
    }

    /// Adds the rules of a file, or of every `.yml`/`.yaml` file under a folder (sorted,
    /// recursive). Returns how many rules were added; failures go to [`RuleSet::errors`].
    pub fn load_path(&mut self, path: &Path) -> usize {
        let mut files = Vec::new();
        if path.is_dir() {
            collect(path, &mut files, &mut self.errors);
            files.sort();
        } else {
            files.push(path.to_path_buf());
        }
        let mut loaded = 0;
        for file in files {
            let source = file.display().to_string();
            match std::fs::read(&file) {
                Ok(bytes) => {
                    let text = String::from_utf8_lossy(&bytes);
                    match self.load_str(&text, &source) {
                        Ok(n) => loaded += n,
                        Err(e) => self.errors.push(e),
                    }
                }
                Err(e) => self.errors.push(RuleLoadError {
                    source,
                    reason: format!("cannot read: {e}"),
                }),
            }
        }
        loaded
    }
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>, errors: &mut Vec<RuleLoadError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(RuleLoadError {
                source: dir.display().to_string(),
                reason: format!("cannot read folder: {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect(&p, out, errors);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
        {
            out.push(p);
        }
    }
}
