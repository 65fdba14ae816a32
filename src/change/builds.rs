//! Proposed builds read from `.rpm` files: their headers become an rpm-md
//! repository (primary, filelists, repomd.xml) in a temporary directory, so
//! they enter the pool through the same parser as every repository and a
//! build read from its files is the same package as that build read from
//! the repository createrepo_c makes of them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Why a directory of builds cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("--add {dir}: {what}")]
pub struct BuildsError {
    /// The directory (or file) given.
    pub dir: String,
    /// What is wrong, naming the file.
    pub what: String,
}

/// A directory of `.rpm` files turned into an rpm-md repository.
pub struct RpmDir {
    /// Holds the generated repository; removed when dropped.
    dir: tempfile::TempDir,
    /// How many packages it holds.
    pub packages: usize,
}

impl RpmDir {
    /// The repository's location, for a [`RepoSpec`](crate::fetch::RepoSpec).
    pub fn location(&self) -> String {
        self.dir.path().display().to_string()
    }
}

/// Whether `path` is a directory of `.rpm` files rather than a repository
/// (a repository has `repodata/repomd.xml`).
pub fn is_rpm_dir(path: &Path) -> bool {
    path.is_dir() && !path.join("repodata/repomd.xml").is_file()
}

/// Reads every `.rpm` of `dir` (not its subdirectories) into a repository.
/// Source packages are kept, as createrepo_c keeps them: closure never checks
/// them, and they name no binary to replace.
pub fn read_rpm_dir(dir: &Path) -> Result<RpmDir, BuildsError> {
    let err = |what: String| BuildsError {
        dir: dir.display().to_string(),
        what,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| err(format!("cannot read the directory: {e}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rpm") && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(err("no .rpm files in it".to_owned()));
    }
    let mut primary = String::new();
    let mut filelists = String::new();
    for file in &files {
        let entry = read_rpm(file).map_err(|what| err(format!("{}: {what}", file.display())))?;
        entry.write_primary(&mut primary);
        entry.write_filelists(&mut filelists);
    }
    let n = files.len();
    let primary = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"http://linux.duke.edu/metadata/common\" \
         xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"{n}\">\n{primary}</metadata>\n"
    );
    let filelists = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<filelists xmlns=\"http://linux.duke.edu/metadata/filelists\" \
         packages=\"{n}\">\n{filelists}</filelists>\n"
    );
    let out = tempfile::Builder::new()
        .prefix("rpmatrix-builds-")
        .tempdir()
        .map_err(|e| err(format!("cannot create a temporary directory: {e}")))?;
    let repodata = out.path().join("repodata");
    let write = |name: &str, text: &str| {
        std::fs::write(repodata.join(name), text).map_err(|e| err(format!("cannot write {name}: {e}")))
    };
    std::fs::create_dir(&repodata).map_err(|e| err(format!("cannot create repodata: {e}")))?;
    let mut repomd = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" \
         xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n",
    );
    for (kind, text) in [("primary", &primary), ("filelists", &filelists)] {
        let name = format!("{kind}.xml");
        write(&name, text)?;
        let sum = hex::encode(Sha256::digest(text.as_bytes()));
        let size = text.len();
        let _ = write!(
            repomd,
            "  <data type=\"{kind}\">\n    <checksum type=\"sha256\">{sum}</checksum>\n    \
             <open-checksum type=\"sha256\">{sum}</open-checksum>\n    <location href=\"repodata/{name}\"/>\n    \
             <size>{size}</size>\n    <open-size>{size}</open-size>\n  </data>\n"
        );
    }
    repomd.push_str("</repomd>\n");
    write("repomd.xml", &repomd)?;
    Ok(RpmDir { dir: out, packages: n })
}

/// What primary and filelists say of one package.
struct Entry {
    name: String,
    arch: String,
    epoch: u32,
    version: String,
    release: String,
    pkgid: String,
    sourcerpm: String,
    /// (list tag, dependencies) in primary's order.
    deps: Vec<(&'static str, Vec<rpm::Dependency>)>,
    files: Vec<String>,
}

/// Reads one `.rpm` header as createrepo_c does.
fn read_rpm(path: &Path) -> Result<Entry, String> {
    let meta = rpm::PackageMetadata::open(path).map_err(|e| format!("not a readable rpm: {e}"))?;
    let text = |r: Result<&str, rpm::Error>, what: &str| r.map(str::to_owned).map_err(|e| format!("no {what}: {e}"));
    let source = meta.is_source_package();
    let arch = match source {
        true => "src".to_owned(),
        false => text(meta.get_arch(), "arch")?,
    };
    let deps = |r: Result<Vec<rpm::Dependency>, rpm::Error>, what: &str| r.map_err(|e| format!("bad {what}: {e}"));
    let files: Vec<String> = meta
        .get_file_paths()
        .map_err(|e| format!("bad file list: {e}"))?
        .into_iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut requires = deps(meta.get_requires(), "requires")?;
    // createrepo_c leaves out rpmlib() requires and the requires a package
    // meets with its own primary files.
    let own_primary_file = |name: &str| is_primary_file(name) && files.iter().any(|f| f == name);
    requires.retain(|d| !(d.name.starts_with("rpmlib(") || own_primary_file(&d.name)));
    let mut lists = vec![
        ("provides", deps(meta.get_provides(), "provides")?),
        ("requires", requires),
        ("conflicts", deps(meta.get_conflicts(), "conflicts")?),
        ("obsoletes", deps(meta.get_obsoletes(), "obsoletes")?),
        ("suggests", deps(meta.get_suggests(), "suggests")?),
        ("enhances", deps(meta.get_enhances(), "enhances")?),
        ("recommends", deps(meta.get_recommends(), "recommends")?),
        ("supplements", deps(meta.get_supplements(), "supplements")?),
    ];
    for (_, list) in &mut lists {
        let mut seen = Vec::new();
        list.retain(|d| {
            let key = (d.name.clone(), d.flags.bits() & 0xe, d.version.clone());
            let new = !seen.contains(&key);
            seen.push(key);
            new
        });
    }
    Ok(Entry {
        name: text(meta.get_name(), "name")?,
        arch,
        epoch: meta.get_epoch().unwrap_or(0),
        version: text(meta.get_version(), "version")?,
        release: text(meta.get_release(), "release")?,
        pkgid: file_sha256(path)?,
        sourcerpm: match source {
            true => String::new(),
            false => meta.get_source_rpm().unwrap_or("").to_owned(),
        },
        deps: lists,
        files,
    })
}

/// The sha256 of a whole file, createrepo_c's pkgid, read in pieces (a
/// build's payload can be large).
fn file_sha256(path: &Path) -> Result<String, String> {
    use std::io::Read as _;
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| format!("cannot read: {e}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// createrepo_c's rule for the files primary.xml lists.
fn is_primary_file(path: &str) -> bool {
    path.starts_with("/etc/") || path.contains("bin/") || path == "/usr/lib/sendmail"
}

/// `&`, `<`, `>` and `"` escaped for XML text and attributes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Entry {
    fn version_attrs(&self) -> String {
        format!(
            "epoch=\"{}\" ver=\"{}\" rel=\"{}\"",
            self.epoch,
            esc(&self.version),
            esc(&self.release)
        )
    }

    fn write_primary(&self, out: &mut String) {
        let _ = write!(
            out,
            "<package type=\"rpm\">\n  <name>{}</name>\n  <arch>{}</arch>\n  <version {}/>\n  \
             <checksum type=\"sha256\" pkgid=\"YES\">{}</checksum>\n  <location href=\"{}-{}-{}.{}.rpm\"/>\n  \
             <format>\n    <rpm:sourcerpm>{}</rpm:sourcerpm>\n",
            esc(&self.name),
            esc(&self.arch),
            self.version_attrs(),
            self.pkgid,
            esc(&self.name),
            esc(&self.version),
            esc(&self.release),
            esc(&self.arch),
            esc(&self.sourcerpm)
        );
        for (tag, list) in &self.deps {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(out, "    <rpm:{tag}>");
            for d in list {
                let _ = writeln!(out, "      <rpm:entry {}/>", entry_attrs(d, *tag == "requires"));
            }
            let _ = writeln!(out, "    </rpm:{tag}>");
        }
        for f in self.files.iter().filter(|f| is_primary_file(f)) {
            let _ = writeln!(out, "    <file>{}</file>", esc(f));
        }
        out.push_str("  </format>\n</package>\n");
    }

    fn write_filelists(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "<package pkgid=\"{}\" name=\"{}\" arch=\"{}\">\n  <version {}/>",
            self.pkgid,
            esc(&self.name),
            esc(&self.arch),
            self.version_attrs()
        );
        for f in &self.files {
            let _ = writeln!(out, "  <file>{}</file>", esc(f));
        }
        out.push_str("</package>\n");
    }
}

/// An `<rpm:entry>`'s attributes for a header dependency: `E:V-R` split as
/// createrepo_c splits it (epoch 0 when absent), `pre="1"` for the
/// dependencies rpm must meet before a scriptlet runs.
fn entry_attrs(d: &rpm::Dependency, requires: bool) -> String {
    use rpm::DependencyFlags as F;
    let mut s = format!("name=\"{}\"", esc(&d.name));
    let sense = d.flags & (F::LESS | F::GREATER | F::EQUAL);
    let flags = match sense {
        s if s == F::LESS => Some("LT"),
        s if s == F::GREATER => Some("GT"),
        s if s == F::EQUAL => Some("EQ"),
        s if s == F::LE => Some("LE"),
        s if s == F::GE => Some("GE"),
        _ => None,
    };
    if let (Some(flags), false) = (flags, d.version.is_empty()) {
        let (epoch, rest) = match d.version.split_once(':') {
            Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (e, rest),
            _ => ("0", d.version.as_str()),
        };
        let _ = write!(s, " flags=\"{flags}\" epoch=\"{}\"", esc(epoch));
        match rest.rsplit_once('-') {
            Some((v, r)) => {
                let _ = write!(s, " ver=\"{}\" rel=\"{}\"", esc(v), esc(r));
            }
            None => {
                let _ = write!(s, " ver=\"{}\"", esc(rest));
            }
        }
    }
    let pre = F::PREREQ | F::SCRIPT_PRE | F::SCRIPT_POST;
    if requires && d.flags.intersects(pre) {
        s.push_str(" pre=\"1\"");
    }
    s
}
