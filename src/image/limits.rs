//! The catalogue's limits applied to a run before anything is sent: edit support, the
//! number of references, the size rule (and `--aspect` in the model's terms), and how many
//! images one request may ask for.

use serde_json::{Map, Value};

use crate::api::route::Route;
use crate::catalogue::aspect::{Aspect, AspectRequest};
use crate::catalogue::size::{Size, parse_size};
use crate::catalogue::{self, ImageModel, SizeRule};
use crate::error::Error;

/// The hint for a size on the Gemini route: what it takes instead.
pub const IMAGE_CONFIG_HINT: &str =
    r#"the gemini route sets the picture with --param imageConfig='{"aspectRatio":"16:9","imageSize":"2K"}'"#;

/// Checks a run for `model` on `route` with `references` reference images and the body
/// fields `extra`, adding `--aspect` as the model asks for it and the `size` the model
/// always needs; returns the images one request may ask for.
pub fn apply(
    model: &ImageModel,
    route: Route,
    references: usize,
    aspect: Option<Aspect>,
    extra: &mut Map<String, Value>,
) -> Result<u32, Error> {
    let (profile, model) = (model.row, model.name.as_str());
    let gemini = route.is_gemini(profile.routes);
    check_references(model, profile.max_references, references)?;
    let rule = if gemini { SizeRule::NoSize } else { profile.size };
    if let Some(aspect) = aspect {
        add_aspect(model, rule, aspect, extra)?;
    }
    if let Some(size) = check_size(model, rule, extra.get("size"))? {
        extra.insert("size".into(), Value::String(size.to_string()));
    }
    // The Gemini route makes one image per request, whatever the model.
    Ok(if gemini { 1 } else { profile.per_request })
}

/// `--aspect` as the body field the model takes: `size`, or Gemini's
/// `imageConfig.aspectRatio` (beside what `--param imageConfig=…` gives it).
fn add_aspect(model: &str, rule: SizeRule, aspect: Aspect, extra: &mut Map<String, Value>) -> Result<(), Error> {
    let request = rule.for_aspect(aspect).map_err(|why| {
        let error = Error::usage(format!("--aspect {aspect} does not suit {model}: {why}"));
        match rule {
            // The list is in the message; no size is taken there.
            SizeRule::NoSize => error,
            _ => error.with_hint("the README's table of aspects says what each model is sent; or give --size WxH"),
        }
    })?;
    match request {
        AspectRequest::Size(size) => {
            if extra.contains_key("size") {
                return Err(Error::usage("--aspect and --param size=… both set the size; give one"));
            }
            extra.insert("size".into(), Value::String(size.to_string()));
        }
        AspectRequest::AspectRatio(ratio) => {
            let config = extra.entry("imageConfig").or_insert_with(|| Value::Object(Map::new()));
            let Some(config) = config.as_object_mut() else {
                return Err(Error::usage("--param imageConfig=… is not a JSON object, so --aspect cannot join it"));
            };
            if config.contains_key("aspectRatio") {
                return Err(Error::usage(
                    "--aspect and --param imageConfig's aspectRatio both set the shape; give one",
                ));
            }
            config.insert("aspectRatio".into(), Value::String(ratio.to_string()));
        }
    }
    Ok(())
}

fn check_references(model: &str, max: usize, given: usize) -> Result<(), Error> {
    if given == 0 {
        return Ok(());
    }
    if max == 0 {
        return Err(Error::usage(format!("{model} cannot edit images: the service has no edit route for it"))
            .with_hint(format!("models that can: {}", catalogue::editors().join(", "))));
    }
    if given > max {
        return Err(Error::usage(format!("{given} reference images given; {model} takes at most {max}")));
    }
    Ok(())
}

/// Checks the size a run would send against `rule`; `Some` is the size to send where
/// none was given and the model needs one.
fn check_size(model: &str, rule: SizeRule, given: Option<&Value>) -> Result<Option<Size>, Error> {
    let text = given.map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
    let refuse = |why: String, hint: &str| Err(Error::usage(why).with_hint(hint));
    let example = match rule {
        SizeRule::MinPixels { default, .. } => format!("--size {default} (its default), or 1920x1920 at the least"),
        SizeRule::GptImage => "for example 1024x1024, 1536x1024, 1024x1536, or auto".to_string(),
        _ => "for example --size 1024x1024".to_string(),
    };
    let Some(text) = text else {
        return Ok(match rule {
            SizeRule::MinPixels { default, .. } => Some(default),
            _ => None,
        });
    };
    let auto = text.eq_ignore_ascii_case("auto");
    match rule {
        SizeRule::NoSize => {
            refuse(format!("--size does not apply on the gemini route: {model} takes no size field"), IMAGE_CONFIG_HINT)
        }
        SizeRule::GptImage if auto => Ok(None),
        _ if auto => refuse(format!("--size auto is for gpt-image models; {model} takes WxH"), &example),
        SizeRule::AsGiven => Ok(None),
        SizeRule::MinPixels { .. } | SizeRule::GptImage => {
            let Some(size) = parse_size(&text).ok() else {
                return refuse(format!("--size {text} is not WxH, which {model} needs"), &example);
            };
            match rule.problem(size) {
                Some(why) => refuse(format!("--size {size} does not suit {model}: {why}"), &example),
                None => Ok(None),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(model: &str, route: Route, refs: usize, size: Option<&str>) -> Result<(u32, Option<Value>), String> {
        let mut extra = Map::new();
        if let Some(size) = size {
            extra.insert("size".into(), json!(size));
        }
        apply(&ImageModel::named(model.to_string()), route, refs, None, &mut extra)
            .map(|n| (n, extra.get("size").cloned()))
            .map_err(|e| format!("{e} / {}", e.hint.clone().unwrap_or_default()))
    }

    const SEEDREAM: &str = "seedream-5-0-260128";

    #[test]
    fn seedream_always_gets_a_size_of_at_least_its_minimum() {
        assert_eq!(run(SEEDREAM, Route::Auto, 0, None), Ok((1, Some(json!("2048x2048")))));
        assert_eq!(run(SEEDREAM, Route::Auto, 0, Some("1920x1920")), Ok((1, Some(json!("1920x1920")))));
        let small = run(SEEDREAM, Route::Auto, 0, Some("1024x1024")).unwrap_err();
        assert!(small.contains("does not suit seedream-5-0-260128: width × height must be at least 3,686,400 pixels (1024x1024 is 1,048,576)"), "{small}");
        assert!(small.contains("--size 2048x2048 (its default)"), "{small}");
        assert!(run("seedream-9", Route::Auto, 0, Some("1919x1920")).is_err(), "the family's rule for unknown ones");
        assert!(run(SEEDREAM, Route::Auto, 0, Some("big")).unwrap_err().contains("not WxH"));
        assert!(run(SEEDREAM, Route::Auto, 0, Some("4096x4096")).is_ok());
        assert!(run(SEEDREAM, Route::Auto, 0, Some("auto")).unwrap_err().contains("auto is for gpt-image"));
    }

    #[test]
    fn gpt_image_takes_auto_or_multiples_of_16_within_3840_and_3_to_1() {
        for good in ["auto", "AUTO", "1024x1024", "1536x1024", "3840x1280", "16x16"] {
            assert_eq!(run("gpt-image-2", Route::Auto, 0, Some(good)).map(|r| r.0), Ok(10), "{good}");
        }
        let why = |size| run("gpt-image-2", Route::Auto, 0, Some(size)).unwrap_err();
        assert!(why("1000x1000").contains("multiples of 16"));
        assert!(why("4096x1024").contains("at most 3840"));
        assert!(why("3840x1264").contains("ratio must be at most 3:1 (it is 3.04:1)"), "{}", why("3840x1264"));
        assert_eq!(run("gpt-image-2", Route::Auto, 0, None), Ok((10, None)));
    }

    #[test]
    fn the_gemini_route_takes_no_size_and_hints_at_image_config() {
        let why = run("gemini-3-pro-image-preview", Route::Auto, 0, Some("1024x1024")).unwrap_err();
        assert!(why.contains("--size does not apply on the gemini route"), "{why}");
        assert!(why.contains(r#"--param imageConfig='{"aspectRatio":"16:9","imageSize":"2K"}'"#), "{why}");
        assert!(run("wan2.7-image", Route::Gemini, 0, Some("1024x1024")).is_err(), "the route decides");
        assert_eq!(run("wan2.7-image", Route::Gemini, 0, None), Ok((1, None)), "one image per request");
        assert_eq!(run("gemini-3-pro-image-preview", Route::Auto, 14, None), Ok((1, None)));
    }

    #[test]
    fn edits_need_a_model_that_edits_and_no_more_references_than_it_takes() {
        let why = run(SEEDREAM, Route::Auto, 1, None).unwrap_err();
        assert!(why.starts_with("seedream-5-0-260128 cannot edit images"), "{why}");
        assert!(why.contains("gpt-image-2"), "{why}");
        assert!(
            run("gpt-image-2", Route::Auto, 17, None)
                .unwrap_err()
                .contains("17 reference images given; gpt-image-2 takes at most 16")
        );
        assert!(run("gpt-image-2", Route::Auto, 16, None).is_ok());
        assert!(run("gemini-3-pro-image-preview", Route::Auto, 15, None).unwrap_err().contains("at most 14"));
        assert!(run("wan2.7-image", Route::Auto, 10, None).unwrap_err().contains("at most 9"));
        assert!(run("wan2.7-image", Route::Auto, 9, Some("auto")).unwrap_err().contains("auto is for"));
    }

    fn with_aspect(model: &str, route: Route, aspect: &str, extra: Value) -> Result<Value, String> {
        let mut extra = extra.as_object().unwrap().clone();
        let aspect = crate::catalogue::aspect::parse_aspect(aspect).unwrap();
        apply(&ImageModel::named(model.to_string()), route, 0, Some(aspect), &mut extra)
            .map(|_| Value::Object(extra))
            .map_err(|e| format!("{e} / {}", e.hint.clone().unwrap_or_default()))
    }

    #[test]
    fn an_aspect_becomes_the_size_or_the_aspect_ratio_the_route_takes() {
        assert_eq!(with_aspect("wan2.7-image", Route::Auto, "16:9", json!({})), Ok(json!({"size": "1280x720"})));
        assert_eq!(with_aspect(SEEDREAM, Route::Auto, "16:9", json!({})), Ok(json!({"size": "2816x1584"})));
        assert_eq!(
            with_aspect("wan2.7-image", Route::Gemini, "16:9", json!({"seed": 1})),
            Ok(json!({"seed": 1, "imageConfig": {"aspectRatio": "16:9"}})),
            "the route decides"
        );
        assert_eq!(
            with_aspect("gemini-3-pro-image-preview", Route::Auto, "9:16", json!({"imageConfig": {"imageSize": "2K"}})),
            Ok(json!({"imageConfig": {"imageSize": "2K", "aspectRatio": "9:16"}}))
        );
    }

    #[test]
    fn an_aspect_the_model_cannot_serve_or_set_twice_is_refused() {
        let why = with_aspect("gpt-image-2", Route::Auto, "4:1", json!({})).unwrap_err();
        assert!(why.starts_with("--aspect 4:1 does not suit gpt-image-2: its sides are multiples of 16"), "{why}");
        let why = with_aspect("gemini-3-pro-image-preview", Route::Auto, "2:1", json!({})).unwrap_err();
        assert!(why.contains("it takes an aspect ratio of 1:1, 2:3"), "{why}");
        let twice = with_aspect("wan2.7-image", Route::Auto, "1:1", json!({"size": "1x1"})).unwrap_err();
        assert!(twice.starts_with("--aspect and --param size=… both set the size"), "{twice}");
        let twice = with_aspect(GEMINI, Route::Auto, "1:1", json!({"imageConfig": {"aspectRatio": "1:1"}}));
        assert!(twice.unwrap_err().contains("both set the shape"));
        let not_an_object = with_aspect(GEMINI, Route::Auto, "1:1", json!({"imageConfig": "2K"}));
        assert!(not_an_object.unwrap_err().contains("is not a JSON object"));
    }

    const GEMINI: &str = "gemini-3-pro-image-preview";
}
