//! The label every saved image carries: an XMP packet saying it was made by a trained model
//! (IPTC digital source type `trainedAlgorithmicMedia`), by which model, through whom, when,
//! in which run, under which unique id, from which prompt; and the request fields `wan regen`
//! sends again. Written here as a fixed template of escaped text; read back (ours, or a packet
//! another tool wrote) with a namespace-aware XML parser.

use std::fmt::Write as _;

use serde_json::{Map, Value};

/// IPTC's NewsCodes term for media made by a model trained on sampled content
/// (https://cv.iptc.org/newscodes/digitalsourcetype/), what the EU AI Act's and California's
/// transparency rules ask generated images to say.
pub const TRAINED_ALGORITHMIC_MEDIA: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
/// IPTC's term for media made by an algorithm with no training data: what the emulator
/// inside `wan --offline` draws in a model's place.
pub const ALGORITHMIC_MEDIA: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia";
/// Who served the model.
pub const PROVIDER: &str = "AIsa";
/// Who drew the picture offline.
pub const OFFLINE_PROVIDER: &str = "wan emulator (offline, no model)";

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const IPTC_EXT: &str = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/";
const XMP: &str = "http://ns.adobe.com/xap/1.0/";
const XMP_MM: &str = "http://ns.adobe.com/xap/1.0/mm/";
const DC: &str = "http://purl.org/dc/elements/1.1/";
/// `wan`'s own properties: what a request needs to be sent again. A URN, as no web address
/// is the project's to name.
pub const WAN_NS: &str = "urn:x-wan:xmp:1.0/";

/// The most an XMP packet may hold in one JPEG APP1 segment (XMP Specification Part 3,
/// 1.1.3: 65,535 less the marker's length field and the namespace that opens the segment).
pub const JPEG_MAX_PACKET: usize = 65_502;

/// What one prompt's images say of themselves: fixed before their first byte is written, so
/// that formats whose label goes at their start (JPEG, WebP) are labelled as they stream.
/// The request id is not in it: it may come after the images; the journal has it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Label {
    pub model: String,
    /// `None` with `--no-prompt-in-file` (or `prompt_in_file = false`): a prompt can be private.
    pub prompt: Option<String>,
    /// The journal's run id; `None` without a journal.
    pub run: Option<String>,
    /// `--route` as the run was given it: `auto`, `chat`, `images` or `gemini`.
    pub route: String,
    /// The body's fields beside model, prompt and n: `size`, `seed`, `--param`s.
    pub params: Map<String, Value>,
    /// Each reference: where it was read from (an absolute path or a URL) and its SHA-256
    /// (none for a URL).
    pub references: Vec<(String, Option<String>)>,
    /// The mask of an edit (`--mask`): where it was read and its SHA-256.
    pub mask: Option<(String, String)>,
    /// RFC 3339, UTC.
    pub created: String,
    /// Drawn by the emulator inside `wan --offline`, not by the model it names: the label
    /// says so rather than claim a model made it.
    pub offline: bool,
}

impl Label {
    /// The XMP packet of one image, `id` its unique id (a UUID). With `limit`, the prompt is
    /// cut (and the packet says so) where the whole packet would be longer.
    pub fn packet(&self, id: &str, limit: Option<usize>) -> String {
        let whole = self.render(id, self.prompt.as_deref(), false);
        let Some(limit) = limit.filter(|&limit| whole.len() > limit) else { return whole };
        let prompt = self.prompt.as_deref().unwrap_or_default();
        // What the packet holds besides the prompt, then as much of the prompt as fits
        // once escaped, whole characters only.
        let mut room = limit.saturating_sub(self.render(id, Some(""), true).len());
        let mut keep = 0;
        for c in prompt.chars() {
            let cost = escape(c.encode_utf8(&mut [0; 4])).len();
            if cost > room {
                break;
            }
            room -= cost;
            keep += c.len_utf8();
        }
        self.render(id, Some(&prompt[..keep]), true)
    }

    fn render(&self, id: &str, prompt: Option<&str>, cut: bool) -> String {
        let mut x = String::with_capacity(2048 + prompt.map_or(0, str::len));
        x.push_str("<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n");
        let _ = writeln!(x, "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"wan {}\">", env!("CARGO_PKG_VERSION"));
        let _ = writeln!(x, " <rdf:RDF xmlns:rdf=\"{RDF}\">");
        let _ = writeln!(
            x,
            "  <rdf:Description rdf:about=\"\" xmlns:Iptc4xmpExt=\"{IPTC_EXT}\" xmlns:xmp=\"{XMP}\" \
             xmlns:xmpMM=\"{XMP_MM}\" xmlns:wan=\"{WAN_NS}\">"
        );
        let mut property = |name: &str, value: &str| {
            let _ = writeln!(x, "   <{name}>{}</{name}>", escape(value));
        };
        let (source, provider) = match self.offline {
            true => (ALGORITHMIC_MEDIA, OFFLINE_PROVIDER),
            false => (TRAINED_ALGORITHMIC_MEDIA, PROVIDER),
        };
        property("Iptc4xmpExt:DigitalSourceType", source);
        property("Iptc4xmpExt:AISystemUsed", &self.model);
        if let Some(prompt) = prompt {
            property("Iptc4xmpExt:AIPromptInformation", prompt);
        }
        property("xmp:CreateDate", &self.created);
        property("xmp:CreatorTool", concat!("wan ", env!("CARGO_PKG_VERSION")));
        property("xmpMM:DocumentID", &format!("xmp.did:{id}"));
        property("xmpMM:InstanceID", &format!("xmp.iid:{id}"));
        property("wan:Provider", provider);
        if let Some(run) = &self.run {
            property("wan:Run", run);
        }
        property("wan:Route", &self.route);
        property("wan:Params", &Value::Object(self.params.clone()).to_string());
        if cut {
            property("wan:PromptCut", "True");
        }
        if !self.references.is_empty() {
            x.push_str("   <wan:References>\n    <rdf:Seq>\n");
            for (source, sha256) in &self.references {
                let _ =
                    write!(x, "     <rdf:li rdf:parseType=\"Resource\"><wan:Source>{}</wan:Source>", escape(source));
                if let Some(sha256) = sha256 {
                    let _ = write!(x, "<wan:SHA256>{}</wan:SHA256>", escape(sha256));
                }
                x.push_str("</rdf:li>\n");
            }
            x.push_str("    </rdf:Seq>\n   </wan:References>\n");
        }
        if let Some((source, sha256)) = &self.mask {
            let _ = writeln!(
                x,
                "   <wan:Mask rdf:parseType=\"Resource\"><wan:Source>{}</wan:Source><wan:SHA256>{}</wan:SHA256></wan:Mask>",
                escape(source),
                escape(sha256)
            );
        }
        x.push_str("  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"r\"?>");
        x
    }
}

/// What every image of a run says but its prompt and time, made once per run; each prompt's
/// [`Label`] is made from it as the prompt's request goes out.
#[derive(Clone, Debug, Default)]
pub struct RunLabel {
    pub model: String,
    pub run: Option<String>,
    pub route: String,
    pub params: Map<String, Value>,
    pub references: Vec<(String, Option<String>)>,
    pub mask: Option<(String, String)>,
    /// Write the prompt into the file (not with `--no-prompt-in-file`).
    pub prompt_in_file: bool,
    /// `--offline`: see [`Label::offline`].
    pub offline: bool,
}

impl RunLabel {
    /// The label of one prompt's images, made now.
    pub fn for_prompt(&self, prompt: &str) -> std::sync::Arc<Label> {
        std::sync::Arc::new(Label {
            model: self.model.clone(),
            prompt: self.prompt_in_file.then(|| prompt.to_string()),
            run: self.run.clone(),
            route: self.route.clone(),
            params: self.params.clone(),
            references: self.references.clone(),
            mask: self.mask.clone(),
            created: now(),
            offline: self.offline,
        })
    }
}

/// The time now, as XMP dates are written: RFC 3339 in UTC, to the second.
fn now() -> String {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_second(now.as_second()).unwrap_or(now).to_string()
}

/// A new unique id for one image (a fixed one in the unit tests, so that files compare).
pub fn new_id() -> String {
    if cfg!(test) {
        return "00000000-0000-4000-8000-000000000000".to_string();
    }
    uuid::Uuid::new_v4().to_string()
}

/// `text` as XML element content: markup escaped, a carriage return kept as a reference
/// (parsers turn a bare one into a line feed), and the characters XML 1.0 cannot hold at
/// all (other control characters, U+FFFE, U+FFFF) written as U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// What an XMP packet says, as far as `wan` reads it: the standard label and AI fields
/// (written by `wan` or another tool), and `wan`'s own.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Read {
    pub digital_source_type: Option<String>,
    pub model: Option<String>,
    pub prompt: Option<String>,
    /// The prompt was cut to fit the format (JPEG's one segment).
    pub prompt_cut: bool,
    pub created: Option<String>,
    pub creator_tool: Option<String>,
    /// The unique id (`xmpMM:InstanceID`, else `DocumentID`).
    pub id: Option<String>,
    pub provider: Option<String>,
    pub run: Option<String>,
    pub route: Option<String>,
    pub params: Option<Map<String, Value>>,
    pub references: Vec<(String, Option<String>)>,
    pub mask: Option<(String, String)>,
    /// `dc:description`, which some tools fill with the prompt.
    pub description: Option<String>,
}

impl Read {
    /// The IPTC term of the digital source type (`trainedAlgorithmicMedia`), if there is one.
    pub fn source_term(&self) -> Option<&str> {
        let value = self.digital_source_type.as_deref()?;
        Some(value.rsplit('/').next().unwrap_or(value))
    }

    /// Whether `wan` wrote this packet (it has `wan`'s fields).
    pub fn is_wans(&self) -> bool {
        self.route.is_some() || self.params.is_some()
    }
}

/// Reads an XMP packet (with or without its `<?xpacket?>` wrapper); `None` if it is no XML.
pub fn read(packet: &str) -> Option<Read> {
    // roxmltree reads one document: the wrapper's processing instructions are fine, a
    // byte-order mark or padding around them is trimmed first.
    let text = packet.trim_start_matches('\u{FEFF}').trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let doc = roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions { allow_dtd: false, ..roxmltree::ParsingOptions::default() },
    )
    .ok()?;
    let mut found = Read::default();
    for description in doc.descendants().filter(|n| n.has_tag_name((RDF, "Description"))) {
        for attribute in description.attributes() {
            if let Some(ns) = attribute.namespace() {
                found.take(ns, attribute.name(), attribute.value().to_string());
            }
        }
        for property in description.children().filter(roxmltree::Node::is_element) {
            let name = property.tag_name();
            let Some(ns) = name.namespace() else { continue };
            if (ns, name.name()) == (WAN_NS, "References") {
                found.references = references(property);
                continue;
            }
            if (ns, name.name()) == (WAN_NS, "Mask") {
                found.mask = source_and_sha256(property).and_then(|(source, sha256)| Some((source, sha256?)));
                continue;
            }
            if let Some(value) = simple_value(property) {
                found.take(ns, name.name(), value);
            }
        }
    }
    Some(found)
}

impl Read {
    fn take(&mut self, ns: &str, name: &str, value: String) {
        let slot = match (ns, name) {
            (IPTC_EXT, "DigitalSourceType") => &mut self.digital_source_type,
            (IPTC_EXT, "AISystemUsed") => &mut self.model,
            (IPTC_EXT, "AIPromptInformation") => &mut self.prompt,
            (XMP, "CreateDate") => &mut self.created,
            (XMP, "CreatorTool") => &mut self.creator_tool,
            (XMP_MM, "InstanceID") => &mut self.id,
            (XMP_MM, "DocumentID") if self.id.is_none() => &mut self.id,
            (DC, "description") => &mut self.description,
            (WAN_NS, "Provider") => &mut self.provider,
            (WAN_NS, "Run") => &mut self.run,
            (WAN_NS, "Route") => &mut self.route,
            (WAN_NS, "Params") => {
                self.params = serde_json::from_str::<Map<String, Value>>(&value).ok();
                return;
            }
            (WAN_NS, "PromptCut") => {
                self.prompt_cut = value.eq_ignore_ascii_case("true");
                return;
            }
            _ => return,
        };
        let value = match name {
            "InstanceID" | "DocumentID" => {
                value.trim_start_matches("xmp.iid:").trim_start_matches("xmp.did:").to_string()
            }
            _ => value,
        };
        *slot = Some(value);
    }
}

/// A property's text: its own, or its first `rdf:li`'s (an `rdf:Alt` of languages, a
/// `rdf:Seq` or `rdf:Bag`), or an `rdf:value` attribute's.
fn simple_value(property: roxmltree::Node) -> Option<String> {
    if let Some(value) = property.attribute((RDF, "resource")) {
        return Some(value.to_string());
    }
    let element = property.children().find(roxmltree::Node::is_element);
    match element {
        None => Some(text_of(property)),
        Some(container) => {
            let items: Vec<roxmltree::Node> = container.children().filter(|n| n.has_tag_name((RDF, "li"))).collect();
            let chosen = items
                .iter()
                .find(|li| li.attribute(("http://www.w3.org/XML/1998/namespace", "lang")) == Some("x-default"))
                .or(items.first())?;
            Some(text_of(*chosen))
        }
    }
}

fn text_of(node: roxmltree::Node) -> String {
    node.children().filter(roxmltree::Node::is_text).filter_map(|n| n.text()).collect()
}

fn references(property: roxmltree::Node) -> Vec<(String, Option<String>)> {
    property.descendants().filter(|n| n.has_tag_name((RDF, "li"))).filter_map(source_and_sha256).collect()
}

/// A file's `wan:Source` and `wan:SHA256`, as elements or attributes of `node`.
fn source_and_sha256(node: roxmltree::Node) -> Option<(String, Option<String>)> {
    let field = |name: &str| {
        node.children()
            .find(|n| n.has_tag_name((WAN_NS, name)))
            .map(text_of)
            .or_else(|| node.attribute((WAN_NS, name)).map(String::from))
    };
    Some((field("Source")?, field("SHA256")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn label() -> Label {
        Label {
            model: "wan2.7-image".into(),
            prompt: Some("a <red> panda & \"friends\"\r\n\ttab \u{1b}[31m 小熊猫".into()),
            run: Some("3f2a9c".into()),
            route: "auto".into(),
            params: json!({"size": "1024x1024", "seed": 42}).as_object().unwrap().clone(),
            references: vec![("/home/me/a&b.png".into(), Some("ab".repeat(32))), ("https://x/y.png".into(), None)],
            mask: Some(("/home/me/<mask>.png".into(), "cd".repeat(32))),
            created: "2026-12-07T21:08:23Z".into(),
            offline: false,
        }
    }

    #[test]
    fn the_packet_reads_back_whole() {
        let packet = label().packet("1b4e28ba-2fa1-11d2-883f-0016d3cca427", None);
        assert!(packet.starts_with("<?xpacket begin=\"\u{FEFF}\""), "{packet}");
        assert!(packet.ends_with("<?xpacket end=\"r\"?>"));
        let read = read(&packet).expect("well-formed XML");
        assert_eq!(read.digital_source_type.as_deref(), Some(TRAINED_ALGORITHMIC_MEDIA));
        assert_eq!(read.source_term(), Some("trainedAlgorithmicMedia"));
        assert_eq!(read.model.as_deref(), Some("wan2.7-image"));
        // Everything but the escape character, which XML cannot hold.
        assert_eq!(read.prompt.as_deref(), Some("a <red> panda & \"friends\"\r\n\ttab \u{FFFD}[31m 小熊猫"));
        assert!(!read.prompt_cut);
        assert_eq!(read.run.as_deref(), Some("3f2a9c"));
        assert_eq!(read.route.as_deref(), Some("auto"));
        assert_eq!(read.provider.as_deref(), Some("AIsa"));
        assert_eq!(read.id.as_deref(), Some("1b4e28ba-2fa1-11d2-883f-0016d3cca427"));
        assert_eq!(read.created.as_deref(), Some("2026-12-07T21:08:23Z"));
        assert_eq!(read.params, Some(label().params));
        assert_eq!(read.references, label().references);
        assert_eq!(read.mask, label().mask);
        assert_eq!(super::read(&Label { mask: None, ..label() }.packet("x", None)).unwrap().mask, None);
        assert!(read.is_wans());
    }

    #[test]
    fn without_the_prompt_the_packet_has_none() {
        let private = Label { prompt: None, ..label() };
        let packet = private.packet("x", None);
        assert!(!packet.contains("panda") && !packet.contains("AIPromptInformation"), "{packet}");
        assert_eq!(read(&packet).unwrap().prompt, None);
    }

    #[test]
    fn a_prompt_too_long_for_a_jpeg_segment_is_cut_and_says_so() {
        let long = Label { prompt: Some("é&".repeat(40_000)), ..label() };
        let packet = long.packet("x", Some(JPEG_MAX_PACKET));
        assert!(packet.len() <= JPEG_MAX_PACKET, "{}", packet.len());
        let read = read(&packet).unwrap();
        assert!(read.prompt_cut);
        let prompt = read.prompt.unwrap();
        assert!(prompt.len() > 10_000 && "é&".repeat(40_000).starts_with(&prompt));
        // A short one is left whole.
        assert!(!super::read(&label().packet("x", Some(JPEG_MAX_PACKET))).unwrap().prompt_cut);
    }

    #[test]
    fn packets_other_tools_wrote_are_read_too() {
        // As exiftool 12.76 writes it (`exiftool -XMP-iptcExt:DigitalSourceType=… -XMP-dc:Description=…`):
        // properties as attributes of the description, single quotes, another prefix order.
        let exiftool = "<?xpacket begin='\u{FEFF}' id='W5M0MpCehiHzreSzNTczkc9d'?>\n\
            <x:xmpmeta xmlns:x='adobe:ns:meta/' x:xmptk='Image::ExifTool 12.76'>\n\
            <rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>\n\
             <rdf:Description rdf:about=''\n  xmlns:Iptc4xmpExt='http://iptc.org/std/Iptc4xmpExt/2008-02-29/'>\n\
              <Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia</Iptc4xmpExt:DigitalSourceType>\n\
             </rdf:Description>\n\
             <rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/'>\n\
              <dc:description><rdf:Alt><rdf:li xml:lang='x-default'>a lighthouse</rdf:li></rdf:Alt></dc:description>\n\
             </rdf:Description>\n\
             <rdf:Description rdf:about='' xmlns:ai='http://iptc.org/std/Iptc4xmpExt/2008-02-29/' ai:AISystemUsed='Other Model'/>\n\
            </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end='w'?>";
        let read = read(exiftool).unwrap();
        assert_eq!(read.source_term(), Some("compositeWithTrainedAlgorithmicMedia"));
        assert_eq!(read.description.as_deref(), Some("a lighthouse"));
        assert_eq!(read.model.as_deref(), Some("Other Model"));
        assert!(!read.is_wans());
        assert_eq!(super::read("not xml <"), None);
    }
}
