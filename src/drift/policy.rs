//! Drift policies: which statuses and how much distance are acceptable, per
//! package name glob and per rdoinfo `conf`, and which packages are declared
//! forks (reported, never failing).
//!
//! ```toml
//! # Applies when no rule matches. Omitted keys allow everything.
//! [default]
//! allow = ["same", "release-ahead", "release-behind", "ahead", "behind", "ours-only", "theirs-only"]
//! max-distance = "minor"        # for `behind`: patch | minor | major | epoch
//!
//! # The first matching rule wins. A rule matches when every key it gives matches.
//! [[rule]]
//! names = ["python-*"]          # name globs (ours or the reference's name)
//! conf = ["fedora-dependency"]  # rdoinfo conf
//! references = ["f40"]          # only against these references
//! allow = ["same", "release-ahead", "behind"]
//! max-distance = "patch"
//!
//! [[fork]]
//! name = "mariadb"              # a glob
//! reason = "10.1 for Galera"
//! ```
//!
//! A package is judged against each reference; any violation makes it a
//! violation. Unknown keys are errors naming the file and line. This module
//! does not know how statuses are computed.

use std::path::Path;

use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};

use super::{Distance, DriftError, PackageDrift, RefEntry, Status};

/// The policy's verdict on one package.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "VerdictJson", from = "VerdictJson")]
pub enum Verdict {
    /// Acceptable (or no policy).
    #[default]
    Ok,
    /// A declared fork: reported, never failing.
    Fork {
        /// Why it is a fork (from the policy).
        reason: String,
    },
    /// Not acceptable.
    Violation {
        /// One reason per failing reference: `against f40: behind by major (1.2 < 2.0) exceeds max-distance minor`.
        reasons: Vec<String>,
    },
}

/// How a [`Verdict`] reads in JSON: `"verdict": "ok|fork|violation"` and
/// `"reasons": [...]` (a fork's one reason, a violation's one per reference).
#[derive(Clone, Serialize, Deserialize)]
struct VerdictJson {
    verdict: String,
    #[serde(default)]
    reasons: Vec<String>,
}

impl From<Verdict> for VerdictJson {
    fn from(v: Verdict) -> VerdictJson {
        VerdictJson {
            verdict: v.as_str().to_owned(),
            reasons: v.reasons(),
        }
    }
}

impl From<VerdictJson> for Verdict {
    fn from(j: VerdictJson) -> Verdict {
        match j.verdict.as_str() {
            "fork" => Verdict::Fork {
                reason: j.reasons.join("; "),
            },
            "violation" => Verdict::Violation { reasons: j.reasons },
            _ => Verdict::Ok,
        }
    }
}

impl Verdict {
    /// Why: a fork's reason, a violation's reasons (none for `ok`).
    pub fn reasons(&self) -> Vec<String> {
        match self {
            Verdict::Ok => Vec::new(),
            Verdict::Fork { reason } => vec![reason.clone()],
            Verdict::Violation { reasons } => reasons.clone(),
        }
    }

    /// Whether the policy rejects the package.
    pub fn is_violation(&self) -> bool {
        matches!(self, Verdict::Violation { .. })
    }

    /// `ok`, `fork` or `violation`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Fork { .. } => "fork",
            Verdict::Violation { .. } => "violation",
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    default: RuleFile,
    #[serde(default)]
    rule: Vec<RuleFile>,
    #[serde(default)]
    fork: Vec<ForkFile>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RuleFile {
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    conf: Vec<String>,
    #[serde(default)]
    references: Vec<String>,
    allow: Option<Vec<Status>>,
    max_distance: Option<Distance>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForkFile {
    name: String,
    #[serde(default)]
    reason: String,
}

/// One rule of a policy.
#[derive(Clone, Debug)]
pub struct Rule {
    names: Vec<GlobMatcher>,
    conf: Vec<String>,
    references: Vec<String>,
    /// Allowed statuses; `None` allows all.
    pub allow: Option<Vec<Status>>,
    /// The largest acceptable distance when `behind`; `None` for no limit.
    pub max_distance: Option<Distance>,
}

/// A parsed policy file.
#[derive(Clone, Debug)]
pub struct Policy {
    default: Rule,
    rules: Vec<Rule>,
    forks: Vec<(GlobMatcher, String)>,
}

fn glob(g: &str, file: &str) -> Result<GlobMatcher, DriftError> {
    Glob::new(g)
        .map(|g| g.compile_matcher())
        .map_err(|e| DriftError::Input(format!("{file}: bad glob {g:?}: {e}")))
}

impl Policy {
    /// Reads and checks a policy file.
    pub fn from_file(path: &Path) -> Result<Policy, DriftError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| DriftError::Input(format!("policy {}: {e}", path.display())))?;
        Policy::parse(&text, &path.display().to_string())
    }

    /// Parses a policy; `file` names it in error messages.
    pub fn parse(text: &str, file: &str) -> Result<Policy, DriftError> {
        let f: PolicyFile = toml::from_str(text).map_err(|e| super::toml_error("policy", file, text, &e))?;
        let rule = |r: RuleFile| -> Result<Rule, DriftError> {
            Ok(Rule {
                names: r.names.iter().map(|g| glob(g, file)).collect::<Result<_, _>>()?,
                conf: r.conf,
                references: r.references,
                allow: r.allow,
                max_distance: r.max_distance,
            })
        };
        Ok(Policy {
            default: rule(f.default)?,
            rules: f.rule.into_iter().map(rule).collect::<Result<_, _>>()?,
            forks: f
                .fork
                .into_iter()
                .map(|k| Ok((glob(&k.name, file)?, k.reason)))
                .collect::<Result<_, DriftError>>()?,
        })
    }

    fn name_matches(m: &GlobMatcher, p: &PackageDrift) -> bool {
        m.is_match(&p.name) || p.theirs_name.as_deref().is_some_and(|t| m.is_match(t))
    }

    /// The rule that applies to a package against one reference.
    fn rule_for(&self, p: &PackageDrift, reference: &str) -> &Rule {
        self.rules
            .iter()
            .find(|r| {
                (r.names.is_empty() || r.names.iter().any(|m| Policy::name_matches(m, p)))
                    && (r.conf.is_empty() || p.origin.as_ref().is_some_and(|o| r.conf.contains(o)))
                    && (r.references.is_empty() || r.references.iter().any(|x| x == reference))
            })
            .unwrap_or(&self.default)
    }

    /// Judges a package against every reference: sets each reference's
    /// `violation` and the package's verdict.
    pub fn judge(&self, p: &mut PackageDrift) {
        if let Some((_, reason)) = self.forks.iter().find(|(m, _)| Policy::name_matches(m, p)) {
            p.verdict = Verdict::Fork {
                reason: if reason.is_empty() {
                    "declared fork".into()
                } else {
                    reason.clone()
                },
            };
            return;
        }
        let found: Vec<Option<String>> = p.theirs.iter().map(|r| self.check(p, r)).collect();
        for (r, v) in p.theirs.iter_mut().zip(&found) {
            r.violation = v.clone();
        }
        let reasons: Vec<String> = found.into_iter().flatten().collect();
        p.verdict = if reasons.is_empty() {
            Verdict::Ok
        } else {
            Verdict::Violation { reasons }
        };
    }

    /// Why a package violates the policy against one reference, or `None`.
    pub fn check(&self, p: &PackageDrift, r: &RefEntry) -> Option<String> {
        let status = r.status?;
        let rule = self.rule_for(p, &r.repo);
        let ours = p.ours.as_ref().map_or("-".to_owned(), |b| b.evr.to_string());
        let theirs = r.evr.as_deref().unwrap_or("-");
        if let Some(allow) = &rule.allow
            && !allow.contains(&status)
        {
            return Some(format!(
                "against {}: {status} ({ours} vs {theirs}) is not allowed (allowed: {})",
                r.repo,
                allow.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        if status == Status::Behind
            && let (Some(max), Some(d)) = (rule.max_distance, r.distance)
            && d > max
        {
            return Some(format!(
                "against {}: behind by {d} ({ours} < {theirs}), more than max-distance {max}",
                r.repo
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_names_line() {
        let err = Policy::parse("[default]\nallow = [\"same\"]\nmax-distanse = \"minor\"\n", "p.toml")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("policy p.toml:3:"), "{err}");
        assert!(err.contains("max-distanse"), "{err}");
    }

    #[test]
    fn bad_status_is_an_error() {
        assert!(Policy::parse("[default]\nallow = [\"behnd\"]\n", "p").is_err());
    }
}
