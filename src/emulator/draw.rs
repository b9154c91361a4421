//! The emulator's pictures: real PNGs drawn from the prompt, the same prompt giving the same picture.

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

struct Circle {
    cx: f32,
    cy: f32,
    r2: f32,
    color: [u8; 3],
}

fn color(bits: u64) -> [u8; 3] {
    [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]
}

/// A `width`×`height` PNG for image `index` of `prompt`: a diagonal gradient between two
/// colours with a few discs on it, every choice taken from the prompt's hash. With
/// `noise`, every pixel is scrambled too, so the PNG hardly compresses (for size tests).
pub fn picture(prompt: &str, index: u32, width: u32, height: u32, noise: bool) -> Vec<u8> {
    let seed = fnv1a(prompt.as_bytes()) ^ mix(u64::from(index));
    let mut next = {
        let mut state = seed;
        move || {
            state = mix(state);
            state
        }
    };
    let (top, bottom) = (color(next()), color(next()));
    let circles: Vec<Circle> = (0..3 + next() % 4)
        .map(|_| {
            let r = (next() % 1000) as f32 / 1000.0 * 0.25 + 0.08;
            Circle {
                cx: (next() % 1000) as f32 / 1000.0,
                cy: (next() % 1000) as f32 / 1000.0,
                r2: r * r,
                color: color(next()),
            }
        })
        .collect();
    let (w, h) = (width as f32, height as f32);
    let mut pixels = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        for x in 0..width {
            let (u, v) = (x as f32 / w, y as f32 / h);
            let t = (u + v) / 2.0;
            let mut rgb = [0u8; 3];
            for c in 0..3 {
                rgb[c] = (f32::from(top[c]) * (1.0 - t) + f32::from(bottom[c]) * t) as u8;
            }
            for circle in &circles {
                let (dx, dy) = (u - circle.cx, v - circle.cy);
                if dx * dx + dy * dy < circle.r2 {
                    rgb = circle.color;
                }
            }
            if noise {
                let bits = mix(seed ^ (u64::from(y) << 32 | u64::from(x)));
                rgb = [rgb[0] ^ bits as u8, rgb[1] ^ (bits >> 8) as u8, rgb[2] ^ (bits >> 16) as u8];
            }
            pixels.extend_from_slice(&rgb);
        }
    }
    encode(&pixels, width, height)
}

fn encode(pixels: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().expect("writing a PNG into memory cannot fail");
    writer.write_image_data(pixels).expect("the pixel buffer matches the header");
    writer.finish().expect("writing a PNG into memory cannot fail");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_prompt_gives_the_same_picture_and_others_differ() {
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
    }
}
