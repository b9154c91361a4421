//! C2PA manifest stores (Content Credentials) as they sit in an image: told apart from other
//! JUMBF, and their claim generator read where it is cheap to — a scan for the claim's CBOR
//! key, no CBOR library, no signature check. Validating a manifest needs a C2PA SDK (the
//! `c2pa` crate: an X.509/COSE/crypto stack of its own, several times `wan`'s size), which
//! `wan` does not take: it keeps a signed file's bytes exactly as served, so that any
//! validator can check them, and says that the file carries a manifest and who made it.

/// The JUMBF description label of a C2PA manifest store.
const STORE_LABEL: &[u8] = b"c2pa\0";
/// The most of a store `wan info` reads to find the claim generator.
pub const MAX_STORE: u64 = 16 << 20;

/// Whether `jumbf` (a JUMBF superbox: a PNG `caBX` chunk's data, a WebP `C2PA` chunk's, the
/// boxes of JPEG APP11 segments) is a C2PA manifest store: a `jumb` box whose description
/// box (`jumd`: type UUID, toggles, label) is labelled `c2pa`.
pub fn is_store(jumbf: &[u8]) -> bool {
    jumbf.get(4..8) == Some(b"jumb")
        && jumbf.get(12..16) == Some(b"jumd")
        && jumbf.get(33..33 + STORE_LABEL.len()) == Some(STORE_LABEL)
}

/// Whether a JPEG APP11 segment's payload (after the marker and length) is JUMBF of a C2PA
/// store: `JP`, box instance and sequence number, then the box (its first segment says `c2pa`;
/// later ones continue it).
pub fn is_jpeg_app11(payload: &[u8]) -> bool {
    payload.starts_with(b"JP") && payload.get(12..16) == Some(b"jumb")
}

/// The JUMBF bytes an APP11 segment's payload adds to the store: all of the box from the
/// first segment, and what follows the repeated box header in the next ones.
pub fn jpeg_app11_part(payload: &[u8], first: bool) -> &[u8] {
    let skip = if first { 8 } else { 16 };
    payload.get(skip..).unwrap_or_default()
}

/// Who made the manifest store's last (active) claim: `claim_generator_info`'s name and
/// version (C2PA 2.x), else the `claim_generator` text (1.x); cleaned for a terminal.
pub fn claim_generator(store: &[u8]) -> Option<String> {
    let info = last_key(store, b"\x74claim_generator_info").and_then(|at| generator_info(&store[at..]));
    let text = || last_key(store, b"\x6fclaim_generator").and_then(|at| text_string(&store[at..])).map(|(s, _)| s);
    info.or_else(text).map(|s| clean(&s)).filter(|s| !s.is_empty())
}

/// Where the value after the last occurrence of the CBOR text key `key` starts.
fn last_key(bytes: &[u8], key: &[u8]) -> Option<usize> {
    memchr::memmem::rfind(bytes, key).map(|at| at + key.len())
}

/// `name` (and `version`) of the first map of a `claim_generator_info` value: a map, or an
/// array of maps (1.x).
fn generator_info(value: &[u8]) -> Option<String> {
    let (&head, rest) = value.split_first()?;
    let map = match head {
        0x80..=0x97 => rest,
        0xA0..=0xB7 => value,
        _ => return None,
    };
    let (&map_head, mut entries) = map.split_first()?;
    if !(0xA0..=0xB7).contains(&map_head) {
        return None;
    }
    let (mut name, mut version) = (None, None);
    for _ in 0..(map_head - 0xA0) {
        let (key, after) = text_string(entries)?;
        match text_string(after) {
            Some((value, next)) => {
                match key.as_str() {
                    "name" => name = Some(value),
                    "version" => version = Some(value),
                    _ => {}
                }
                entries = next;
            }
            // A value that is no text (an icon, a nested map): nothing after it is read.
            None => break,
        }
    }
    let name = name?;
    Some(match version {
        Some(version) => format!("{name} {version}"),
        None => name,
    })
}

/// A CBOR text string at the start of `bytes`, and what follows it.
fn text_string(bytes: &[u8]) -> Option<(String, &[u8])> {
    let (&head, rest) = bytes.split_first()?;
    let (len, rest) = match head {
        0x60..=0x77 => (usize::from(head - 0x60), rest),
        0x78 => (usize::from(*rest.first()?), rest.get(1..)?),
        0x79 => (usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?])), rest.get(2..)?),
        _ => return None,
    };
    let text = std::str::from_utf8(rest.get(..len)?).ok()?;
    Some((text.to_string(), &rest[len..]))
}

/// Control characters out, and at most 200 characters: it is the file's text, not ours.
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect::<String>().trim().to_string()
}

/// A minimal manifest store for tests: the C2PA store box, one manifest, and its claim box
/// holding a CBOR claim with `claim_generator` (1.x) or `claim_generator_info` (2.x). Not
/// signed: a signature is no part of what `wan` reads.
#[cfg(test)]
pub fn test_store(generator: &str, v2: bool) -> Vec<u8> {
    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }
    fn superbox(label: &str, children: &[Vec<u8>]) -> Vec<u8> {
        let mut description = b"c2pa\x00\x11\x00\x10\x80\x00\x00\xaa\x00\x38\x9b\x71\x03".to_vec();
        description.extend_from_slice(label.as_bytes());
        description.push(0);
        let mut body = boxed(b"jumd", &description);
        for child in children {
            body.extend_from_slice(child);
        }
        boxed(b"jumb", &body)
    }
    /// A CBOR text string, its length in the shortest form (as encoders write it).
    fn text(s: &str) -> Vec<u8> {
        let mut out = match s.len() {
            n @ 0..24 => vec![0x60 + n as u8],
            n => vec![0x78, n as u8],
        };
        out.extend_from_slice(s.as_bytes());
        out
    }
    let mut claim = vec![0xA2];
    if v2 {
        claim.extend(text("claim_generator_info"));
        claim.push(0xA2);
        claim.extend(text("name"));
        claim.extend(text(generator));
        claim.extend(text("version"));
        claim.extend(text("1.0"));
    } else {
        claim.extend(text("claim_generator"));
        claim.extend(text(generator));
    }
    claim.extend(text("alg"));
    claim.extend(text("sha256"));
    let claim_box = superbox("c2pa.claim", &[boxed(b"cbor", &claim)]);
    let manifest = superbox("urn:c2pa:00000000-0000-0000-0000-000000000000", &[claim_box]);
    superbox("c2pa", &[manifest])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_is_told_and_its_claim_generator_read() {
        let v1 = test_store("OpenAI-API c2pa-rs/0.49", false);
        assert!(is_store(&v1));
        assert_eq!(claim_generator(&v1).as_deref(), Some("OpenAI-API c2pa-rs/0.49"));
        let v2 = test_store("ChatGPT", true);
        assert!(is_store(&v2));
        assert_eq!(claim_generator(&v2).as_deref(), Some("ChatGPT 1.0"));
        assert!(!is_store(b"\0\0\0\x10jumb\0\0\0\x08xxxx"));
        assert_eq!(claim_generator(b"no claim here"), None);
        let tricky = test_store("evil\u{1b}[31m name", false);
        assert_eq!(claim_generator(&tricky).as_deref(), Some("evil[31m name"));
    }
}
