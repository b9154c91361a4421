
use builtin;
use str;

set edit:completion:arg-completer[wan] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'wan'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'wan'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand generate 'Make images from a text prompt'
            cand edit 'Make images from reference images and an instruction'
            cand models 'List the models, their price per image, and what each is for'
            cand emulator 'Run a local, offline stand-in for the AIsa endpoint, with fault injection'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wan;generate'= {
            cand -f 'A batch: one prompt per line (`-` for standard input); blank and `#` lines skipped'
            cand --file 'A batch: one prompt per line (`-` for standard input); blank and `#` lines skipped'
            cand --shard 'Only the prompts numbered K modulo N (counting the prompts kept, from 1): one machine''s share of a batch spread over N'
            cand -n 'How many images (requests of at most 4 are sent)'
            cand --count 'How many images (requests of at most 4 are sent)'
            cand -m 'The model to use [env: WAN_MODEL] [default: wan2.7-image]'
            cand --model 'The model to use [env: WAN_MODEL] [default: wan2.7-image]'
            cand -o 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]'
            cand --out 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]'
            cand --name 'File name stem, instead of one made from the prompt'
            cand --base-url 'The API base URL'
            cand --timeout 'Seconds to wait for one API answer'
            cand --download-timeout 'Seconds to wait for one image download'
            cand --route 'Where to send requests: chat first and the images route where the model moved (auto), or only one of them'
            cand --retries 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables); never of one that may have been carried out'
            cand -j 'Requests in flight at once, across the whole run'
            cand --jobs 'Requests in flight at once, across the whole run'
            cand --rpm 'Start at most N requests a minute, across all jobs (the key''s rate limit); without it, the service''s rate-limit headers and 429s pace the run'
            cand --size 'Image size, sent as the `size` field'
            cand --param 'Another field for the request body; VALUE is JSON where it parses, else a string'
            cand --max-cost 'Refuse to send anything if the run would cost more than this many US dollars'
            cand --pro 'Use wan2.7-image-pro ($0.075 per image instead of $0.030)'
            cand --json 'Print one JSON object per prompt on standard output instead of paths'
            cand -q 'No progress, retry notices or summary line; errors and warnings still print'
            cand --quiet 'No progress, retry notices or summary line; errors and warnings still print'
            cand -v 'Print each request and answer (method, URL, status, request id, timings)'
            cand --verbose 'Print each request and answer (method, URL, status, request id, timings)'
            cand --dry-run 'Print the request body (or bodies) and the cost; send nothing; no key needed'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;edit'= {
            cand -n 'How many images (requests of at most 4 are sent)'
            cand --count 'How many images (requests of at most 4 are sent)'
            cand -m 'The model to use [env: WAN_MODEL] [default: wan2.7-image]'
            cand --model 'The model to use [env: WAN_MODEL] [default: wan2.7-image]'
            cand -o 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]'
            cand --out 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]'
            cand --name 'File name stem, instead of one made from the prompt'
            cand --base-url 'The API base URL'
            cand --timeout 'Seconds to wait for one API answer'
            cand --download-timeout 'Seconds to wait for one image download'
            cand --route 'Where to send requests: chat first and the images route where the model moved (auto), or only one of them'
            cand --retries 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables); never of one that may have been carried out'
            cand -j 'Requests in flight at once, across the whole run'
            cand --jobs 'Requests in flight at once, across the whole run'
            cand --rpm 'Start at most N requests a minute, across all jobs (the key''s rate limit); without it, the service''s rate-limit headers and 429s pace the run'
            cand --size 'Image size, sent as the `size` field'
            cand --param 'Another field for the request body; VALUE is JSON where it parses, else a string'
            cand --max-cost 'Refuse to send anything if the run would cost more than this many US dollars'
            cand --pro 'Use wan2.7-image-pro ($0.075 per image instead of $0.030)'
            cand --json 'Print one JSON object per prompt on standard output instead of paths'
            cand -q 'No progress, retry notices or summary line; errors and warnings still print'
            cand --quiet 'No progress, retry notices or summary line; errors and warnings still print'
            cand -v 'Print each request and answer (method, URL, status, request id, timings)'
            cand --verbose 'Print each request and answer (method, URL, status, request id, timings)'
            cand --dry-run 'Print the request body (or bodies) and the cost; send nothing; no key needed'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;models'= {
            cand --json 'Print one JSON object per model instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;emulator'= {
            cand --host 'Address to listen on'
            cand -p 'Port to listen on; 0 picks a free one'
            cand --port 'Port to listen on; 0 picks a free one'
            cand --api-key 'Refuse any bearer key but this one (by default any key is taken, none is refused)'
            cand --size 'Size of the images drawn, unless a request asks for one'
            cand --url-ttl 'Seconds an image URL lives; then it answers 403 as an expired CDN link does'
            cand --latency 'Milliseconds added before every API answer'
            cand --download-latency 'Milliseconds added before every image download'
            cand --error-429 'Share of API requests answered 429 with Retry-After (0 to 1)'
            cand --retry-after 'Seconds in the Retry-After of those 429s'
            cand --error-5xx 'Share of API requests answered 500 or 503 (0 to 1)'
            cand --drop 'Share of API requests whose connection is dropped after the request is read (0 to 1)'
            cand --cut-downloads 'Share of image downloads cut short halfway (0 to 1)'
            cand --slow-downloads 'Download speed in bytes per second (0: as fast as possible)'
            cand --seed 'Seed for the faults: the same seed and order of requests give the same faults'
            cand --rpm 'Allow N API requests a minute, a second''s worth at once; past that, 429 with Retry-After. The x-ratelimit-* headers then say what is left (without it nothing is limited and they are not sent)'
            cand --moved-to-images 'Play the service after 2026-07-28: Wan on /v1/images/*, chat answers model_route_not_supported'
            cand --base64 'Answer with base64 images instead of URLs'
            cand --noise 'Scramble every pixel, so images hardly compress (large answers, for size tests)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;help'= {
            cand generate 'Make images from a text prompt'
            cand edit 'Make images from reference images and an instruction'
            cand models 'List the models, their price per image, and what each is for'
            cand emulator 'Run a local, offline stand-in for the AIsa endpoint, with fault injection'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wan;help;generate'= {
        }
        &'wan;help;edit'= {
        }
        &'wan;help;models'= {
        }
        &'wan;help;emulator'= {
        }
        &'wan;help;completions'= {
        }
        &'wan;help;help'= {
        }
    ]
    $completions[$command]
}
