//! Reads an rdoinfo checkout (RDO's package database) for drift:
//!
//! * `deps.yml`: for each dependency, the Fedora package it follows (the last
//!   path component of its `upstream` URL when that is on
//!   `src.fedoraproject.org/rpms/`, else its conf's `upstream` template with
//!   `%(project)s` filled in) and its origin (`conf`: `fedora-dependency`,
//!   `rdo-dependency`, `unmanaged-dependency`);
//! * `buildsys-tags/TAG.yml`: the exact NVR of each package in a CBS build
//!   tag, which can serve as "ours" (`--ours rdoinfo:TAG`). NVRs carry no
//!   epoch: such a build's epoch is unknown, and it is compared with the
//!   reference's without epochs (the report says so), never as epoch 0.
//!
//! It does not follow `import:` lists, read `rdo.yml`, or fetch anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{DriftError, NameMap, Side, parse_nvr};

#[derive(Deserialize)]
struct DepsFile {
    #[serde(default, rename = "package-configs")]
    package_configs: BTreeMap<String, ConfFile>,
    #[serde(default)]
    packages: Vec<DepFile>,
}

#[derive(Deserialize, Default)]
struct ConfFile {
    #[serde(default)]
    upstream: Option<String>,
}

#[derive(Deserialize)]
struct DepFile {
    project: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    conf: Option<String>,
    #[serde(default)]
    upstream: Option<String>,
}

#[derive(Deserialize)]
struct TagFile {
    #[serde(default)]
    packages: Vec<TagPackage>,
}

#[derive(Deserialize)]
struct TagPackage {
    #[serde(default, rename = "buildsys-tags")]
    buildsys_tags: BTreeMap<String, Option<String>>,
}

/// One dependency of `deps.yml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    /// rdoinfo's project name.
    pub project: String,
    /// The source package name (`name`, else the project).
    pub name: String,
    /// The Fedora package it follows, when its upstream is Fedora dist-git.
    pub fedora: Option<String>,
    /// `conf`: who maintains it.
    pub conf: Option<String>,
}

/// An opened rdoinfo directory.
#[derive(Clone, Debug)]
pub struct Rdoinfo {
    dir: PathBuf,
    /// The dependencies of `deps.yml`.
    pub deps: Vec<Dependency>,
}

/// The Fedora package named by a dist-git URL (`https://src.fedoraproject.org/rpms/NAME[.git][/]`).
pub fn fedora_package(url: &str) -> Option<String> {
    let rest = url
        .trim()
        .strip_prefix("https://")
        .or_else(|| url.trim().strip_prefix("http://"))?
        .strip_prefix("src.fedoraproject.org/")?;
    let rest = rest.strip_prefix("rpms/")?;
    let name = rest.trim_end_matches('/');
    let name = name.strip_suffix(".git").unwrap_or(name);
    (!name.is_empty() && !name.contains('/') && !name.contains('%')).then(|| name.to_owned())
}

fn read(path: &Path, what: &str) -> Result<String, DriftError> {
    std::fs::read_to_string(path).map_err(|e| DriftError::Input(format!("rdoinfo: {what} {}: {e}", path.display())))
}

impl Rdoinfo {
    /// Opens `DIR` and reads `DIR/deps.yml`.
    pub fn open(dir: &Path) -> Result<Rdoinfo, DriftError> {
        if !dir.is_dir() {
            return Err(DriftError::Input(format!(
                "rdoinfo: {} is not a directory",
                dir.display()
            )));
        }
        let path = dir.join("deps.yml");
        if !path.is_file() {
            return Err(DriftError::Input(format!(
                "rdoinfo: {} has no deps.yml (expected an rdoinfo checkout)",
                dir.display()
            )));
        }
        let text = read(&path, "cannot read")?;
        let file: DepsFile = serde_saphyr::from_str(&text)
            .map_err(|e| DriftError::Input(format!("rdoinfo: {}: {e}", path.display())))?;
        let deps = file
            .packages
            .into_iter()
            .map(|d| {
                let upstream = d.upstream.clone().or_else(|| {
                    d.conf
                        .as_ref()
                        .and_then(|c| file.package_configs.get(c))
                        .and_then(|c| c.upstream.as_ref())
                        .map(|u| u.replace("%(project)s", &d.project))
                });
                Dependency {
                    name: d.name.clone().unwrap_or_else(|| d.project.clone()),
                    fedora: upstream.as_deref().and_then(fedora_package),
                    project: d.project,
                    conf: d.conf,
                }
            })
            .collect();
        Ok(Rdoinfo {
            dir: dir.to_owned(),
            deps,
        })
    }

    /// Our source name → Fedora name (only when they differ) and → origin.
    /// Both the `name` and the `project` key an entry.
    pub fn name_map(&self) -> NameMap {
        let mut map = NameMap::default();
        for d in &self.deps {
            for key in [&d.name, &d.project] {
                if let Some(f) = &d.fedora
                    && f != key
                {
                    map.names.entry(key.clone()).or_insert_with(|| f.clone());
                }
                if let Some(c) = &d.conf {
                    map.origins.entry(key.clone()).or_insert_with(|| c.clone());
                }
            }
        }
        map
    }

    /// The builds of `buildsys-tags/TAG.yml` as a side named `rdoinfo:TAG`.
    pub fn buildsys_tag(&self, tag: &str) -> Result<Side, DriftError> {
        let path = self.dir.join("buildsys-tags").join(format!("{tag}.yml"));
        if !path.is_file() {
            return Err(DriftError::Input(format!(
                "rdoinfo: no build tag {tag:?} ({} does not exist)",
                path.display()
            )));
        }
        let text = read(&path, "cannot read")?;
        let file: TagFile = serde_saphyr::from_str(&text)
            .map_err(|e| DriftError::Input(format!("rdoinfo: {}: {e}", path.display())))?;
        let mut builds = Vec::new();
        for p in file.packages {
            if let Some(Some(nvr)) = p.buildsys_tags.get(tag) {
                let (name, evr) = parse_nvr(nvr)
                    .ok_or_else(|| DriftError::Input(format!("rdoinfo: {}: {nvr:?} is not N-V-R", path.display())))?;
                builds.push((name, evr));
            }
        }
        Ok(Side::from_builds(&format!("rdoinfo:{tag}"), builds, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fedora_urls() {
        assert_eq!(
            fedora_package("https://src.fedoraproject.org/rpms/python-foo").as_deref(),
            Some("python-foo")
        );
        assert_eq!(
            fedora_package("https://src.fedoraproject.org/rpms/python-foo.git/").as_deref(),
            Some("python-foo")
        );
        assert_eq!(fedora_package("https://github.com/sphinx-doc/sphinx"), None);
    }
}
