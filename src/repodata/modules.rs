//! `modules.yaml`: which packages belong to which module stream, and which
//! stream of each module is the default.

use std::collections::BTreeMap;

use serde::Deserialize;

/// One `modulemd` document (a module stream and its artifacts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleStream {
    /// Module name.
    pub name: String,
    /// Stream name.
    pub stream: String,
    /// Context, when given.
    pub context: String,
    /// The architecture the stream was built for (empty when not given).
    /// dnf activates a default stream only if one of its documents has an
    /// arch the machine can install.
    pub arch: String,
    /// NEVRAs of the packages of this stream (`name-epoch:version-release.arch`).
    pub artifacts: Vec<String>,
}

/// What modules.yaml says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleIndex {
    /// Every module stream (all contexts).
    pub streams: Vec<ModuleStream>,
    /// Module name → the default streams named for it by the
    /// `modulemd-defaults` documents (one, unless the file contradicts
    /// itself). Merging the repositories' defaults is the pool's business.
    pub defaults: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    document: String,
    #[serde(default)]
    data: Data,
}

#[derive(Deserialize, Default)]
struct Data {
    #[serde(default)]
    name: Option<Scalar>,
    #[serde(default)]
    stream: Option<Scalar>,
    #[serde(default)]
    context: Option<Scalar>,
    #[serde(default)]
    arch: Option<Scalar>,
    #[serde(default)]
    module: Option<Scalar>,
    #[serde(default)]
    artifacts: Option<Artifacts>,
}

#[derive(Deserialize, Default)]
struct Artifacts {
    #[serde(default)]
    rpms: Vec<String>,
}

/// Stream names such as `3.6` or `8` are YAML numbers unless quoted.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Int(i64),
    Float(f64),
}

impl Scalar {
    fn into_string(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
        }
    }
}

/// The YAML reader's limits, scaled to the text. Its defaults (1,024
/// documents, 250,000 nodes) suit a configuration file, not modules.yaml:
/// EL8 AppStream keeps every build of every module stream, thousands of
/// documents. The text itself is already bounded (the decompression limit),
/// and no document, node or event takes less than a byte of it, so these
/// only add what the text cannot bound: aliases and anchors keep the
/// reader's own defaults (a "billion laughs" file is still refused).
fn options_for(text: &str) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    let len = text.len();
    budget.max_documents = budget.max_documents.max(len);
    budget.max_nodes = budget.max_nodes.max(len);
    budget.max_events = budget.max_events.max(len.saturating_mul(2));
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(len);
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// Parses the (multi-document) modules.yaml text.
pub fn parse(text: &str) -> Result<ModuleIndex, super::Malformed> {
    parse_text(text).map_err(super::Malformed)
}

fn parse_text(text: &str) -> Result<ModuleIndex, String> {
    let docs: Vec<Document> = serde_saphyr::from_multiple_with_options(text, options_for(text))
        .map_err(|e| format!("malformed YAML: {e}"))?;
    let mut index = ModuleIndex::default();
    for doc in docs {
        let data = doc.data;
        match doc.document.as_str() {
            "modulemd" => index.streams.push(ModuleStream {
                name: data.name.map(Scalar::into_string).unwrap_or_default(),
                stream: data.stream.map(Scalar::into_string).unwrap_or_default(),
                context: data.context.map(Scalar::into_string).unwrap_or_default(),
                arch: data.arch.map(Scalar::into_string).unwrap_or_default(),
                artifacts: data.artifacts.map(|a| a.rpms).unwrap_or_default(),
            }),
            "modulemd-defaults" => {
                if let (Some(module), Some(stream)) = (data.module, data.stream) {
                    let streams = index.defaults.entry(module.into_string()).or_default();
                    let stream = stream.into_string();
                    if !streams.contains(&stream) {
                        streams.push(stream);
                    }
                }
            }
            _ => {}
        }
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_streams_and_defaults() {
        let y = r#"---
document: modulemd
version: 2
data:
  name: nodejs
  stream: 18
  context: abc
  artifacts:
    rpms:
    - nodejs-1:18.1.0-1.module_el9.x86_64
...
---
document: modulemd-defaults
version: 1
data:
  module: nodejs
  stream: "18"
  profiles:
    18: [common]
...
"#;
        let idx = parse(y).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(idx.streams[0].stream, "18");
        assert_eq!(idx.streams[0].artifacts.len(), 1);
        assert_eq!(idx.defaults.get("nodejs"), Some(&vec!["18".to_owned()]));
    }

    /// EL8 AppStream keeps every module build: thousands of documents, past
    /// the YAML reader's default budget of 1,024 (issue 20, point 8).
    #[test]
    fn reads_thousands_of_documents() {
        let mut y = String::new();
        for i in 0..5000 {
            y.push_str(&format!(
                "---\ndocument: modulemd\nversion: 2\ndata:\n  name: m{i}\n  stream: \"1\"\n  context: c\n  arch: x86_64\n  artifacts:\n    rpms:\n    - m{i}-0:1.0-1.module_el8.x86_64\n    - m{i}-devel-0:1.0-1.module_el8.x86_64\n...\n"
            ));
        }
        let idx = parse(&y).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(idx.streams.len(), 5000);
        assert_eq!(idx.streams[4999].artifacts.len(), 2);
    }

    #[test]
    fn keeps_arch_and_every_default_named() {
        let y = r#"---
document: modulemd
version: 2
data:
  name: m
  stream: s
  arch: aarch64
...
---
document: modulemd-defaults
version: 1
data:
  module: m
  stream: s
...
---
document: modulemd-defaults
version: 1
data:
  module: m
  stream: t
...
"#;
        let idx = parse(y).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(idx.streams[0].arch, "aarch64");
        assert_eq!(idx.defaults.get("m"), Some(&vec!["s".to_owned(), "t".to_owned()]));
    }
}
