//! The emulator's pictures: real PNGs drawn from the prompt (a gradient and discs), or an
//! edit's reference image tinted and marked by the prompt.

/// FNV-1a: a small, stable hash, so a prompt gives the same picture on every machine.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// splitmix64: turns one seed into a stream of well-mixed numbers.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The most raw pixel data a reference may decode to (4096 × 4096 RGBA); a larger one
/// is not decoded and the edit gets a drawn picture instead.
const MAX_DECODED: usize = 64 << 20;

/// A disc in unit coordinates (the picture is 1 × 1), so it scales with the picture.
struct Disc {
    cx: f64,
    cy: f64,
    r: f64,
    color: [u8; 3],
}

/// Every choice a picture makes, taken from the prompt and the picture's index.
struct Scene {
    top: [u8; 3],
    bottom: [u8; 3],
    discs: Vec<Disc>,
    seed: u64,
}

fn color(bits: u64) -> [u8; 3] {
    [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]
}

impl Scene {
    fn new(prompt: &str, index: u32, discs: u64, scale: f64) -> Self {
        let seed = fnv1a(prompt.as_bytes()) ^ mix(u64::from(index));
        let mut state = seed;
        let mut next = move || {
            state = mix(state);
            state
        };
        let (top, bottom) = (color(next()), color(next()));
        let count = discs + next() % 4;
        let discs = (0..count)
            .map(|_| Disc {
                r: ((next() % 1000) as f64 / 1000.0 * 0.25 + 0.08) * scale,
                cx: (next() % 1000) as f64 / 1000.0,
                cy: (next() % 1000) as f64 / 1000.0,
                color: color(next()),
            })
            .collect();
        Self { top, bottom, discs, seed }
    }
}

/// RGB pixels, row after row.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    /// A diagonal gradient from `top` to `bottom` in 256 steps. Rows in the same step
    /// are alike, so each distinct row is made once and copied: the cost is a copy per
    /// row, not arithmetic per pixel.
    fn gradient(width: usize, height: usize, top: [u8; 3], bottom: [u8; 3]) -> Self {
        let palette: Vec<[u8; 3]> = (0..256u32)
            .map(|t| {
                let mut c = [0u8; 3];
                for i in 0..3 {
                    c[i] = ((u32::from(top[i]) * (255 - t) + u32::from(bottom[i]) * t) / 255) as u8;
                }
                c
            })
            .collect();
        let steps_x: Vec<usize> = (0..width).map(|x| x * 256 / width).collect();
        let stride = width * 3;
        let mut pixels = vec![0u8; stride * height];
        let mut made: Option<(usize, usize)> = None; // (step of y, row it is in)
        for y in 0..height {
            let step_y = y * 256 / height;
            match made {
                Some((step, row)) if step == step_y => pixels.copy_within(row * stride..(row + 1) * stride, y * stride),
                _ => {
                    let line = &mut pixels[y * stride..(y + 1) * stride];
                    for (px, step_x) in line.chunks_exact_mut(3).zip(&steps_x) {
                        px.copy_from_slice(&palette[(step_x + step_y) / 2]);
                    }
                    made = Some((step_y, y));
                }
            }
        }
        Self { width, height, pixels }
    }

    /// Fills a disc, a span of each row it crosses at a time.
    fn disc(&mut self, disc: &Disc) {
        let (w, h) = (self.width as f64, self.height as f64);
        let solid: Vec<u8> = disc.color.repeat(self.width);
        for y in 0..self.height {
            let dy = (y as f64 + 0.5) / h - disc.cy;
            let reach = disc.r * disc.r - dy * dy;
            if reach <= 0.0 {
                continue;
            }
            let half = reach.sqrt();
            let from = (((disc.cx - half) * w - 0.5).ceil().max(0.0)) as usize;
            let to = (((disc.cx + half) * w - 0.5).floor() + 1.0).clamp(0.0, w) as usize;
            if from < to {
                let row = y * self.width * 3;
                self.pixels[row + from * 3..row + to * 3].copy_from_slice(&solid[from * 3..to * 3]);
            }
        }
    }

    /// A frame `thickness` pixels wide in `color`.
    fn frame(&mut self, thickness: usize, color: [u8; 3]) {
        let solid = color.repeat(self.width);
        let stride = self.width * 3;
        let t = thickness.min(self.width / 2).min(self.height / 2);
        for y in 0..self.height {
            let row = &mut self.pixels[y * stride..(y + 1) * stride];
            if y < t || y >= self.height - t {
                row.copy_from_slice(&solid);
            } else {
                row[..t * 3].copy_from_slice(&solid[..t * 3]);
                row[stride - t * 3..].copy_from_slice(&solid[..t * 3]);
            }
        }
    }

    /// Scrambles every pixel, so the PNG hardly compresses (for size tests).
    fn noise(&mut self, seed: u64) {
        for y in 0..self.height {
            for x in 0..self.width {
                let bits = mix(seed ^ ((y as u64) << 32 | x as u64));
                let at = (y * self.width + x) * 3;
                self.pixels[at] ^= bits as u8;
                self.pixels[at + 1] ^= (bits >> 8) as u8;
                self.pixels[at + 2] ^= (bits >> 16) as u8;
            }
        }
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().expect("writing a PNG into memory cannot fail");
        writer.write_image_data(&self.pixels).expect("the pixel buffer matches the header");
        writer.finish().expect("writing a PNG into memory cannot fail");
        out
    }
}

/// A `width`×`height` PNG for picture `index` of `prompt`: a diagonal gradient between two
/// colours with a few discs on it, every choice taken from the prompt and the index. With
/// `noise`, every pixel is scrambled too, so the PNG hardly compresses (for size tests).
pub fn picture(prompt: &str, index: u32, width: u32, height: u32, noise: bool) -> Vec<u8> {
    let scene = Scene::new(prompt, index, 3, 1.0);
    let mut canvas = Canvas::gradient(width as usize, height as usize, scene.top, scene.bottom);
    for disc in &scene.discs {
        canvas.disc(disc);
    }
    if noise {
        canvas.noise(scene.seed);
    }
    canvas.encode()
}

/// An edit: the reference (a PNG) scaled to `width`×`height`, tinted a quarter of the way
/// to the prompt's colour and marked with a frame and small discs taken from the prompt
/// and the index, so it plainly comes from the reference and differs by prompt. `None`
/// when the reference is not a PNG this can read.
pub fn edited(reference: &[u8], prompt: &str, index: u32, width: u32, height: u32) -> Option<Vec<u8>> {
    let (source, sw, sh) = decode_rgb(reference)?;
    let scene = Scene::new(prompt, index, 2, 0.4);
    let (w, h) = (width as usize, height as usize);
    let tint = scene.top;
    let mut pixels = vec![0u8; w * h * 3];
    for y in 0..h {
        let sy = y * sh / h;
        for x in 0..w {
            let at = (sy * sw + x * sw / w) * 3;
            for c in 0..3 {
                pixels[(y * w + x) * 3 + c] = ((u16::from(source[at + c]) * 3 + u16::from(tint[c])) / 4) as u8;
            }
        }
    }
    let mut canvas = Canvas { width: w, height: h, pixels };
    for disc in &scene.discs {
        canvas.disc(disc);
    }
    canvas.frame((w.min(h) / 32).max(2), scene.bottom);
    Some(canvas.encode())
}

/// A PNG's pixels as RGB, with its width and height; `None` if it is not a PNG this
/// reads, or would decode to more than [`MAX_DECODED`] bytes.
fn decode_rgb(bytes: &[u8]) -> Option<(Vec<u8>, usize, usize)> {
    let mut decoder = png::Decoder::new_with_limits(std::io::Cursor::new(bytes), png::Limits { bytes: MAX_DECODED });
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().ok()?;
    let mut buffer = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buffer).ok()?;
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return None,
    };
    if w == 0 || h == 0 {
        return None;
    }
    let mut rgb = Vec::with_capacity(w * h * 3);
    for px in buffer[..w * h * channels].chunks_exact(channels) {
        match channels {
            1 | 2 => rgb.extend_from_slice(&[px[0]; 3]),
            _ => rgb.extend_from_slice(&px[..3]),
        }
    }
    Some((rgb, w, h))
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// The pixel at (x, y) of a PNG, as RGB.
    pub fn pixel(png: &[u8], x: usize, y: usize) -> [u8; 3] {
        let (rgb, w, _) = decode_rgb(png).expect("a PNG");
        let at = (y * w + x) * 3;
        [rgb[at], rgb[at + 1], rgb[at + 2]]
    }

    /// A PNG whose left half is red and right half blue.
    pub fn red_and_blue(width: u32, height: u32) -> Vec<u8> {
        let mut canvas = Canvas::gradient(width as usize, height as usize, [255, 0, 0], [255, 0, 0]);
        let half = width as usize / 2;
        for y in 0..height as usize {
            for x in half..width as usize {
                let at = (y * width as usize + x) * 3;
                canvas.pixels[at..at + 3].copy_from_slice(&[0, 0, 255]);
            }
        }
        canvas.encode()
    }

    #[test]
    fn the_same_prompt_and_index_give_the_same_picture_and_others_differ() {
        let a = picture("red panda", 0, 64, 48, false);
        assert_eq!(a, picture("red panda", 0, 64, 48, false));
        assert_ne!(a, picture("red pandas", 0, 64, 48, false));
        assert_ne!(a, picture("red panda", 1, 64, 48, false));
    }

    #[test]
    fn noise_makes_pictures_that_hardly_compress() {
        let plain = picture("x", 0, 128, 128, false);
        let noisy = picture("x", 0, 128, 128, true);
        assert!(noisy.len() > 128 * 128 * 3 * 9 / 10, "{}", noisy.len());
        assert!(plain.len() < noisy.len() / 2, "{} vs {}", plain.len(), noisy.len());
    }

    #[test]
    fn pictures_are_whole_pngs_of_the_size_asked() {
        let png = picture("x", 0, 64, 48, false);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&png[16..24], &[0, 0, 0, 64, 0, 0, 0, 48]);
        assert!(png.ends_with(b"IEND\xAE\x42\x60\x82"));
        let odd = picture("x", 3, 1, 3, false);
        assert_eq!(&odd[16..24], &[0, 0, 0, 1, 0, 0, 0, 3]);
    }

    #[test]
    fn the_gradient_runs_from_the_top_colour_to_the_bottom_one() {
        let canvas = Canvas::gradient(100, 100, [0, 0, 0], [250, 250, 250]);
        assert_eq!(&canvas.pixels[..3], &[0, 0, 0]);
        let last = canvas.pixels.len() - 3;
        assert!(canvas.pixels[last] > 240, "{}", canvas.pixels[last]);
    }

    #[test]
    fn an_edit_comes_from_its_reference_and_is_marked_by_the_prompt() {
        let reference = red_and_blue(300, 300);
        let edit = edited(&reference, "at night", 0, 64, 64).unwrap();
        assert_eq!(&edit[16..24], &[0, 0, 0, 64, 0, 0, 0, 64], "the size asked, not the reference's");
        // away from the frame and the prompt's discs, the reference shows through its tint
        let left = (8..24).map(|y| pixel(&edit, 8, y)).filter(|p| p[0] > p[2] + 60).count();
        let right = (8..24).map(|y| pixel(&edit, 56, y)).filter(|p| p[2] > p[0] + 60).count();
        assert!(left >= 8 && right >= 8, "left red {left}, right blue {right}");
        assert_ne!(edit, edited(&reference, "at dawn", 0, 64, 64).unwrap(), "another prompt marks it otherwise");
        assert_ne!(edit, edited(&reference, "at night", 1, 64, 64).unwrap(), "another index too");
        assert_ne!(pixel(&edit, 0, 0), pixel(&reference, 0, 0), "the frame is the prompt's");
    }

    #[test]
    fn a_reference_it_cannot_read_gives_none() {
        assert!(edited(b"\xFF\xD8\xFF\xE0 a jpeg", "x", 0, 8, 8).is_none());
        assert!(edited(b"", "x", 0, 8, 8).is_none());
        let grey = {
            let mut out = Vec::new();
            let mut encoder = png::Encoder::new(&mut out, 4, 4);
            encoder.set_color(png::ColorType::Grayscale);
            let mut writer = encoder.write_header().unwrap();
            writer.write_image_data(&[128; 16]).unwrap();
            writer.finish().unwrap();
            out
        };
        assert!(edited(&grey, "x", 0, 8, 8).is_some(), "greyscale is read too");
    }
}
