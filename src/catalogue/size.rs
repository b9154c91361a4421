//! Image sizes: `WIDTHxHEIGHT`, as `--size` takes them and the models' rules check them.

/// A `WIDTHxHEIGHT` image size, each side 1 or more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

pub fn parse_size(text: &str) -> Result<Size, String> {
    let side = |n: &str| n.parse::<u32>().ok().filter(|&v| v > 0 && n.bytes().all(|b| b.is_ascii_digit()));
    text.split_once(['x', 'X'])
        .and_then(|(w, h)| Some(Size { width: side(w)?, height: side(h)? }))
        .ok_or_else(|| "must be WIDTHxHEIGHT, e.g. 1024x1024".to_string())
}
