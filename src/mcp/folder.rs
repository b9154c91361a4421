//! `wan mcp --out DIR`: the one folder tools write under, and a call's `out_dir` checked to stay inside it.

use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::error::Error;

/// The `--out` folder, made and resolved (symbolic links and all) once at start.
#[derive(Debug)]
pub struct Root {
    dir: PathBuf,
}

impl Root {
    /// `--out` (the current folder when not given), created with its parents if missing.
    pub fn new(out: Option<&Path>) -> Result<Self, Error> {
        let given = out.unwrap_or(Path::new("."));
        fs::create_dir_all(given)
            .map_err(|e| Error::usage(format!("cannot create output folder {}: {e}", given.display())))?;
        let dir = fs::canonicalize(given)
            .map_err(|e| Error::usage(format!("cannot resolve output folder {}: {e}", given.display())))?;
        if !dir.is_dir() {
            return Err(Error::usage(format!("output path {} is not a directory", given.display())));
        }
        Ok(Self { dir })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The folder a call writes to: `out_dir` taken inside the root. Refused: an absolute
    /// path, `..`, and a path whose existing part leads out of the root through a symbolic
    /// link. What does not exist yet is made later as plain folders, inside.
    pub fn inside(&self, out_dir: Option<&str>) -> Result<PathBuf, Error> {
        let Some(text) = out_dir.filter(|t| !t.trim().is_empty()) else { return Ok(self.dir.clone()) };
        let refused = |why: &str| {
            Error::usage(format!("out_dir {text:?} {why}"))
                .with_hint(format!("give a folder relative to {}, such as \"images/logos\"", self.dir.display()))
        };
        if text.contains('\0') {
            return Err(refused("holds a NUL character"));
        }
        let relative = Path::new(text);
        let mut target = self.dir.clone();
        for component in relative.components() {
            match component {
                Component::Normal(part) => target.push(part),
                Component::CurDir => {}
                Component::ParentDir => return Err(refused("may not hold `..`: files stay inside --out")),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(refused("is absolute: it is taken inside --out and may not leave it"));
                }
            }
        }
        // The deepest part that exists decides where the rest will be made: resolved,
        // it must still be inside the root, whatever links lead there.
        let existing = target.ancestors().find(|p| fs::symlink_metadata(p).is_ok()).unwrap_or(&self.dir);
        let resolved = fs::canonicalize(existing)
            .map_err(|e| refused(&format!("cannot be resolved ({}: {e})", existing.display())))?;
        if !resolved.starts_with(&self.dir) {
            return Err(refused("leads out of --out through a symbolic link"));
        }
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Kind;

    fn root() -> (tempfile::TempDir, Root) {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(Some(&dir.path().join("out"))).unwrap();
        (dir, root)
    }

    #[test]
    fn relative_folders_are_taken_inside_the_root() {
        let (_dir, root) = root();
        assert_eq!(root.inside(None).unwrap(), root.path());
        assert_eq!(root.inside(Some("")).unwrap(), root.path());
        assert_eq!(root.inside(Some("logos/v2")).unwrap(), root.path().join("logos/v2"));
        assert_eq!(root.inside(Some("./logos/")).unwrap(), root.path().join("logos"));
    }

    #[test]
    fn parent_steps_and_absolute_paths_are_refused() {
        let (_dir, root) = root();
        for bad in ["..", "../x", "a/../../x", "a/..", "/etc", "/tmp/x", "a\0b"] {
            let err = root.inside(Some(bad)).unwrap_err();
            assert_eq!(err.kind, Kind::Usage, "{bad}");
            assert!(err.message.starts_with("out_dir"), "{bad}: {err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_out_of_the_root_is_refused_and_one_inside_taken() {
        let (dir, root) = root();
        let elsewhere = dir.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.path().join("escape")).unwrap();
        for bad in ["escape", "escape/deeper/still"] {
            let err = root.inside(Some(bad)).unwrap_err();
            assert!(err.to_string().contains("symbolic link"), "{bad}: {err}");
        }
        fs::create_dir(root.path().join("real")).unwrap();
        std::os::unix::fs::symlink(root.path().join("real"), root.path().join("alias")).unwrap();
        assert_eq!(root.inside(Some("alias/x")).unwrap(), root.path().join("alias/x"));
        // a dangling link cannot be resolved, so nothing can be written through it
        std::os::unix::fs::symlink(dir.path().join("nowhere"), root.path().join("dangling")).unwrap();
        assert!(root.inside(Some("dangling/x")).is_err());
    }

    #[test]
    fn the_root_is_made_if_missing() {
        let dir = tempfile::tempdir().unwrap();
        let root = Root::new(Some(&dir.path().join("a/b"))).unwrap();
        assert!(root.path().is_dir());
        fs::write(dir.path().join("file"), "x").unwrap();
        assert!(Root::new(Some(&dir.path().join("file"))).is_err());
    }
}
