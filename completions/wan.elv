
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
            cand regen 'Make an image again: the request that made FILE (model, prompt, size, seed, fields, references), sent again into its folder'
            cand models 'List the models: their routes, prices, images per request, edit limits and size rules'
            cand resume 'Finish what an interrupted or partial run left: fetch its paid images, send what was never sent'
            cand history 'Past runs from the journal, newest first'
            cand gallery 'A contact sheet of a run: one HTML page of its images, with their prompts, models and costs'
            cand cost 'What was spent, from the journal (this machine''s runs only)'
            cand info 'Where an image came from: its label (XMP), its Content Credentials, the journal''s record'
            cand balance 'The account''s balance, from the service'
            cand video 'Make videos through the service''s asynchronous tasks: create, wait, status, list'
            cand emulator 'Run a local, offline stand-in for the AIsa endpoint, with fault injection'
            cand config 'Show where the config file is, or the settings in force and where each came from'
            cand doctor 'Check the set-up, one line per check: config, key, service, folders'
            cand mcp 'Serve image tools to coding agents: an MCP server on standard input and output'
            cand skill 'Print the agent skill (SKILL.md) that teaches coding agents to use wan'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wan;generate'= {
            cand -f 'A batch: one prompt (or template) per line (`-` for standard input); blank and `#` lines skipped'
            cand --file 'A batch: one prompt (or template) per line (`-` for standard input); blank and `#` lines skipped'
            cand -n 'How many images (split into requests of at most the model''s images per request)'
            cand --count 'How many images (split into requests of at most the model''s images per request)'
            cand --var 'The values {NAME} takes in a template: the lines of FILE (blank and `#` lines skipped; at most 1 MiB); repeatable, one per name'
            cand --shard 'Only the prompts numbered K modulo N, counting the prompts kept from 1: this machine''s share of a batch spread over N (one prompt alone is shard 1/N''s)'
            cand -m 'The model to use [env: WAN_MODEL] [default: the config file''s `model`, else wan2.7-image]'
            cand --model 'The model to use [env: WAN_MODEL] [default: the config file''s `model`, else wan2.7-image]'
            cand -o 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]'
            cand --out 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]'
            cand --name 'File name stem, instead of one made from the prompt'
            cand --base-url 'The API base URL [env: AISA_BASE_URL] [default: https://api.aisa.one/v1]'
            cand --timeout 'Seconds to wait for one API answer [default: 300]'
            cand --download-timeout 'Seconds to wait for one image download [default: 120]'
            cand --route 'Where to send requests: the model''s own route (auto; for Wan, chat first and the images route where the model moved), or only one of them [env: WAN_ROUTE] [default: auto]'
            cand --retries 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables); never of one that may have been carried out [default: 2]'
            cand -j 'Requests in flight at once, across the whole run [default: 4]'
            cand --jobs 'Requests in flight at once, across the whole run [default: 4]'
            cand --rpm 'Start at most N requests a minute, across all jobs (the key''s rate limit); without it, the service''s rate-limit headers and 429s pace the run'
            cand --size 'Image size, sent as the `size` field (`auto` for gpt-image); checked against the model''s rule (see `wan models`)'
            cand --aspect 'The picture''s shape, W:H (1:1, 3:2, 16:9, 9:16…), asked of each model its own way: a size of that shape within its rules, or Gemini''s aspectRatio; refused where the model has none of that shape'
            cand --param 'Another field for the request body; VALUE is JSON where it parses, else a string'
            cand --seed 'The seed, for the models whose API takes one (`wan models` says which): sent as the body''s `seed` (Gemini: in generationConfig) and written into each file''s label, so that `wan regen` sends it again'
            cand --max-cost 'Refuse to send anything if the run would cost more than this many US dollars'
            cand --no-template 'Send the prompts as written: `{`, `|` and `}` are text, not a template of choices ({a|b}) and variables ({NAME})'
            cand --pro 'Use wan2.7-image-pro ($0.075 per image instead of $0.030)'
            cand --json 'Print one JSON object per prompt on standard output instead of paths'
            cand -q 'No progress, retry notices or summary line; errors and warnings still print'
            cand --quiet 'No progress, retry notices or summary line; errors and warnings still print'
            cand -v 'Print each request and answer (method, URL, status, request id, timings)'
            cand --verbose 'Print each request and answer (method, URL, status, request id, timings)'
            cand --offline 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
            cand --dry-run 'Print the request body (or bodies) and the cost; send nothing; no key needed'
            cand --quote 'With --dry-run: ask the service to price each distinct request (a quote, not run or billed) and show its estimate beside the list price; needs the key'
            cand --no-journal 'Keep no record of this run in the journal (also WAN_JOURNAL=off); it cannot be resumed'
            cand --no-metadata 'Write the bytes exactly as served: no label (XMP) in the files'
            cand --no-prompt-in-file 'Leave the prompt out of each file''s label (it stays in the journal)'
            cand --open 'Open the saved files in the system''s image viewer when the run ends'
            cand --preview 'Show each saved image in the terminal as it lands (kitty, iTerm2 or sixel images where the terminal has them, a line otherwise; on standard error, never on a pipe)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;edit'= {
            cand --mask 'A mask for the first image, for the models whose API takes one (gpt-image): a PNG of the same size with an alpha channel, transparent where the image is to change'
            cand -n 'How many images (split into requests of at most the model''s images per request)'
            cand --count 'How many images (split into requests of at most the model''s images per request)'
            cand --var 'The values {NAME} takes in a template: the lines of FILE (blank and `#` lines skipped; at most 1 MiB); repeatable, one per name'
            cand --shard 'Only the prompts numbered K modulo N, counting the prompts kept from 1: this machine''s share of a batch spread over N (one prompt alone is shard 1/N''s)'
            cand -m 'The model to use [env: WAN_MODEL] [default: the config file''s `model`, else wan2.7-image]'
            cand --model 'The model to use [env: WAN_MODEL] [default: the config file''s `model`, else wan2.7-image]'
            cand -o 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]'
            cand --out 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]'
            cand --name 'File name stem, instead of one made from the prompt'
            cand --base-url 'The API base URL [env: AISA_BASE_URL] [default: https://api.aisa.one/v1]'
            cand --timeout 'Seconds to wait for one API answer [default: 300]'
            cand --download-timeout 'Seconds to wait for one image download [default: 120]'
            cand --route 'Where to send requests: the model''s own route (auto; for Wan, chat first and the images route where the model moved), or only one of them [env: WAN_ROUTE] [default: auto]'
            cand --retries 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables); never of one that may have been carried out [default: 2]'
            cand -j 'Requests in flight at once, across the whole run [default: 4]'
            cand --jobs 'Requests in flight at once, across the whole run [default: 4]'
            cand --rpm 'Start at most N requests a minute, across all jobs (the key''s rate limit); without it, the service''s rate-limit headers and 429s pace the run'
            cand --size 'Image size, sent as the `size` field (`auto` for gpt-image); checked against the model''s rule (see `wan models`)'
            cand --aspect 'The picture''s shape, W:H (1:1, 3:2, 16:9, 9:16…), asked of each model its own way: a size of that shape within its rules, or Gemini''s aspectRatio; refused where the model has none of that shape'
            cand --param 'Another field for the request body; VALUE is JSON where it parses, else a string'
            cand --seed 'The seed, for the models whose API takes one (`wan models` says which): sent as the body''s `seed` (Gemini: in generationConfig) and written into each file''s label, so that `wan regen` sends it again'
            cand --max-cost 'Refuse to send anything if the run would cost more than this many US dollars'
            cand --no-template 'Send the prompts as written: `{`, `|` and `}` are text, not a template of choices ({a|b}) and variables ({NAME})'
            cand --pro 'Use wan2.7-image-pro ($0.075 per image instead of $0.030)'
            cand --json 'Print one JSON object per prompt on standard output instead of paths'
            cand -q 'No progress, retry notices or summary line; errors and warnings still print'
            cand --quiet 'No progress, retry notices or summary line; errors and warnings still print'
            cand -v 'Print each request and answer (method, URL, status, request id, timings)'
            cand --verbose 'Print each request and answer (method, URL, status, request id, timings)'
            cand --offline 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
            cand --dry-run 'Print the request body (or bodies) and the cost; send nothing; no key needed'
            cand --quote 'With --dry-run: ask the service to price each distinct request (a quote, not run or billed) and show its estimate beside the list price; needs the key'
            cand --no-journal 'Keep no record of this run in the journal (also WAN_JOURNAL=off); it cannot be resumed'
            cand --no-metadata 'Write the bytes exactly as served: no label (XMP) in the files'
            cand --no-prompt-in-file 'Leave the prompt out of each file''s label (it stays in the journal)'
            cand --open 'Open the saved files in the system''s image viewer when the run ends'
            cand --preview 'Show each saved image in the terminal as it lands (kitty, iTerm2 or sixel images where the terminal has them, a line otherwise; on standard error, never on a pipe)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;regen'= {
            cand -n 'How many images of each (split into requests as for generate)'
            cand --count 'How many images of each (split into requests as for generate)'
            cand -o 'Folder for the new images, created if missing [default: each FILE''s own folder]'
            cand --out 'Folder for the new images, created if missing [default: each FILE''s own folder]'
            cand --max-cost 'Refuse to send anything if all the FILEs'' requests together would cost more than this many US dollars'
            cand --base-url 'The API base URL [env: AISA_BASE_URL] [default: https://api.aisa.one/v1]'
            cand --timeout 'Seconds to wait for one API answer [default: 300]'
            cand --download-timeout 'Seconds to wait for one image download [default: 120]'
            cand --retries 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables) [default: 2]'
            cand -j 'Requests in flight at once [default: 4]'
            cand --jobs 'Requests in flight at once [default: 4]'
            cand --dry-run 'Print the request body (or bodies) and the cost; send nothing; no key needed'
            cand --json 'Print one JSON object per FILE on standard output instead of paths'
            cand -q 'No progress, retry notices or summary line; errors and warnings still print'
            cand --quiet 'No progress, retry notices or summary line; errors and warnings still print'
            cand -v 'Print each request and answer (method, URL, status, request id, timings)'
            cand --verbose 'Print each request and answer (method, URL, status, request id, timings)'
            cand --offline 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
            cand --no-journal 'Keep no record of this run in the journal (also WAN_JOURNAL=off)'
            cand --no-metadata 'Write the bytes exactly as served: no label (XMP) in the files'
            cand --no-prompt-in-file 'Leave the prompt out of each file''s label (it stays in the journal)'
            cand --open 'Open the saved files in the system''s image viewer when the run ends'
            cand -h 'Print help'
            cand --help 'Print help'
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
        &'wan;resume'= {
            cand -j 'Requests in flight at once'
            cand --jobs 'Requests in flight at once'
            cand --rpm 'Start at most N requests a minute, across all jobs (the key''s rate limit)'
            cand --retries 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx'
            cand --timeout 'Seconds to wait for one API answer'
            cand --download-timeout 'Seconds to wait for one image download'
            cand --base-url 'The API base URL [env: AISA_BASE_URL, not for a video task, which is followed where it was made] [default: the run''s own]'
            cand --resend-unknown 'Also send requests that were sent and never answered (they may have been billed)'
            cand --dry-run 'Say what would be done and what it would cost; do nothing'
            cand --json 'Print one JSON object per prompt on standard output instead of paths'
            cand -q 'No progress, retry notices or summary line; errors and warnings still print'
            cand --quiet 'No progress, retry notices or summary line; errors and warnings still print'
            cand -v 'Print each request and answer'
            cand --verbose 'Print each request and answer'
            cand --offline 'Finish a run made with --offline inside wan again (such a run always is; a run made by the service never is) [env: WAN_OFFLINE]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;history'= {
            cand --limit 'How many runs at most'
            cand --json 'Print one JSON object per run instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;gallery'= {
            cand -o 'Where to write the page: a file (a page written before is replaced, anything else is refused), a folder (the page goes in it as gallery-RUN.html), or - for standard output, with the images linked from the current folder [default: gallery-RUN.html in the run''s folder]'
            cand --out 'Where to write the page: a file (a page written before is replaced, anything else is refused), a folder (the page goes in it as gallery-RUN.html), or - for standard output, with the images linked from the current folder [default: gallery-RUN.html in the run''s folder]'
            cand --open 'Show the page in the system''s browser once it is written (xdg-open; open on macOS)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;cost'= {
            cand --since 'From when: a date (2026-11-01), `today`, or a span back from now (7d, 24h)'
            cand --until 'Until when (not included), in the same forms [default: now]'
            cand --by 'Group the sums by day (local time) or by model'
            cand --base-url 'The API base URL, as for generate (with --reconcile)'
            cand --reconcile 'Set the journal''s total beside what the service says the account was charged over the same span (GET /usage); needs the key'
            cand --json 'Print a JSON object instead of text'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;info'= {
            cand --json 'Print one JSON object per file'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;balance'= {
            cand --base-url 'The API base URL [env: AISA_BASE_URL] [default: the config file''s, else https://api.aisa.one/v1]'
            cand --json 'Print a JSON object instead of text'
            cand --offline 'Ask the emulator inside wan instead (a play balance) [env: WAN_OFFLINE]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;video'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Start a video task (text or image to video), wait for it and save the clip'
            cand wait 'Follow tasks to the end and save their videos'
            cand status 'One look at tasks: their state, progress and clip URL; nothing is saved (exit 0 whatever the state)'
            cand list 'The video tasks this machine started, newest first, with their last known state'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wan;video;create'= {
            cand --image 'The first frame: an image file (sent as a data URI) or an http(s) URL'
            cand --last-frame 'The last frame: an image file or an http(s) URL'
            cand --media 'Another media item, repeatable: TYPE is first_frame, last_frame, driving_audio or first_clip, REF a file (sent as a data URI) or an http(s) URL'
            cand -m 'The model [default: wan2.7-t2v, or wan2.7-i2v when a first frame is given]'
            cand --model 'The model [default: wan2.7-t2v, or wan2.7-i2v when a first frame is given]'
            cand --resolution 'The resolution [default: 720P]'
            cand --duration 'The clip''s length in seconds, one the model makes (`wan models` lists them: Wan 2.7 takes 2 to 15) [default: 5]'
            cand --param 'Another field for the body''s `parameters` (Seedance: the body itself); VALUE is JSON where it parses, else a string'
            cand --max-cost 'Refuse to send anything if the video could cost more than this many US dollars (video prices are not in wan''s catalogue, so this refuses unless the catalogue has one)'
            cand -o 'Folder for the video, created if missing [default: the current folder]'
            cand --out 'Folder for the video, created if missing [default: the current folder]'
            cand --name 'File name stem, instead of one made from the prompt'
            cand --poll 'Seconds between looks at the task, at least 2 (a little jitter is added)'
            cand --wait-timeout 'Seconds to wait for the task to end; then exit 8 (the task goes on at the service)'
            cand --download-timeout 'Seconds one download of the video may take [default: 600]'
            cand --base-url 'The API base URL [env: AISA_BASE_URL] [default: https://api.aisa.one/v1]'
            cand --timeout 'Seconds to wait for one API answer [default: 300]'
            cand --retries 'Retries of a create that never connected or met the cap of tasks per key (429); never of one that may have been carried out [default: 2]'
            cand --no-wait 'Print the task id on standard output and exit at once; `wan video wait ID` saves the clip later'
            cand --dry-run 'Print the request body and what it would cost; send nothing; no key needed'
            cand --json 'Print one JSON object per task on standard output instead of paths'
            cand -q 'No progress or summary line; errors and warnings still print'
            cand --quiet 'No progress or summary line; errors and warnings still print'
            cand --no-journal 'Keep no record in the journal (also WAN_JOURNAL=off); the task cannot be picked up by id then'
            cand --offline 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
            cand -v 'Print each request and answer (method, URL, status, request id, timings)'
            cand --verbose 'Print each request and answer (method, URL, status, request id, timings)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;video;wait'= {
            cand --poll 'Seconds between looks at the task, at least 2 (a little jitter is added)'
            cand --wait-timeout 'Seconds to wait for the task to end; then exit 8 (the task goes on at the service)'
            cand --download-timeout 'Seconds one download of the video may take [default: 600]'
            cand --timeout 'Seconds to wait for one API answer [default: 300]'
            cand --retries 'Retries of a create that never connected or met the cap of tasks per key (429); never of one that may have been carried out [default: 2]'
            cand -o 'Folder for the videos, created if missing [default: the folder recorded for each task, else the current one]'
            cand --out 'Folder for the videos, created if missing [default: the folder recorded for each task, else the current one]'
            cand --name 'File name stem [default: the stem recorded for each task, else one made from its prompt]'
            cand --base-url 'Follow the tasks at this API base URL [default: the one each task was made at; AISA_BASE_URL is for new tasks]'
            cand --json 'Print one JSON object per task on standard output instead of paths'
            cand -q 'No progress or summary line; errors and warnings still print'
            cand --quiet 'No progress or summary line; errors and warnings still print'
            cand --no-journal 'Keep no record in the journal (also WAN_JOURNAL=off); the task cannot be picked up by id then'
            cand --offline 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
            cand -v 'Print each request and answer (method, URL, status, request id, timings)'
            cand --verbose 'Print each request and answer (method, URL, status, request id, timings)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;video;status'= {
            cand --timeout 'Seconds to wait for one API answer [default: 300]'
            cand --retries 'Retries of a create that never connected or met the cap of tasks per key (429); never of one that may have been carried out [default: 2]'
            cand --base-url 'Look at the tasks at this API base URL [default: the one each task was made at; AISA_BASE_URL is for new tasks]'
            cand --json 'Print one JSON object per task instead of a line'
            cand --offline 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
            cand -v 'Print each request and answer (method, URL, status, request id, timings)'
            cand --verbose 'Print each request and answer (method, URL, status, request id, timings)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;video;list'= {
            cand --limit 'How many tasks at most'
            cand --json 'Print one JSON object per task instead of a table'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;video;help'= {
            cand create 'Start a video task (text or image to video), wait for it and save the clip'
            cand wait 'Follow tasks to the end and save their videos'
            cand status 'One look at tasks: their state, progress and clip URL; nothing is saved (exit 0 whatever the state)'
            cand list 'The video tasks this machine started, newest first, with their last known state'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wan;video;help;create'= {
        }
        &'wan;video;help;wait'= {
        }
        &'wan;video;help;status'= {
        }
        &'wan;video;help;list'= {
        }
        &'wan;video;help;help'= {
        }
        &'wan;emulator'= {
            cand --host 'Address to listen on'
            cand -p 'Port to listen on; 0 picks a free one'
            cand --port 'Port to listen on; 0 picks a free one'
            cand --api-key 'Refuse any bearer key but this one (by default any key is taken; a missing one is a 401)'
            cand --idempotency 'Remember each Idempotency-Key for the emulator''s run (a repeat of a completed request is a 409, not billed); off plays a service that ignores the header'
            cand --size 'Size of the images drawn, unless a request asks for one (within the model''s limits)'
            cand --balance 'The account''s balance at start, in US dollars: `GET /v1/credits/balance` shows it going down by the list price of what is made'
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
            cand --video-ms 'Milliseconds a video task takes: queued, then in progress, then completed'
            cand --video-fail 'Share of video tasks that fail at the end (0 to 1)'
            cand --video-size 'Size of the clips drawn (small: the frames are encoded as the task completes)'
            cand --rpm 'Allow N image requests a minute, a second''s worth at once; past that, 429 with Retry-After. The x-ratelimit-* headers then say what is left (without it nothing is limited and they are not sent)'
            cand --moved-to-images 'Play the service after 2026-07-28: Wan on /v1/images/*, chat answers model_route_not_supported'
            cand --gemini-v1beta-only 'Serve Gemini on /v1beta/models/… only: /v1/models/{model}:generateContent answers a plain 404, to exercise a client''s move to /v1beta'
            cand --gemini-snake-case 'Answer Gemini in snake_case (inline_data, mime_type), as AIsa''s OpenAPI file names the fields, instead of Google''s camelCase (inlineData, mimeType)'
            cand --goog-api-key 'Also take the key from x-goog-api-key, as Google''s SDKs send it (AIsa documents only Authorization: Bearer)'
            cand --bill-per-request 'Charge the Wan models their list price per request instead of per image (the catalogue page has said both), in the balance, the usage and x-aisa-customer-cost-micros-usd'
            cand --base64 'Answer the Wan models with base64 images instead of URLs (the others answer in their own form: Seedream URLs, gpt-image and Gemini base64)'
            cand --noise 'Scramble every pixel, so images hardly compress (large answers, for size tests)'
            cand --no-video-gateway 'Answer /v1/video/generations with a plain 404, as the April service did: only the DashScope task route serves video'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;config'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand path 'Print the config file''s path (it may not exist yet)'
            cand show 'Print each setting a run without flags would use, and where it came from (env, file, default)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wan;config;path'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;config;show'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;config;help'= {
            cand path 'Print the config file''s path (it may not exist yet)'
            cand show 'Print each setting a run without flags would use, and where it came from (env, file, default)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wan;config;help;path'= {
        }
        &'wan;config;help;show'= {
        }
        &'wan;config;help;help'= {
        }
        &'wan;doctor'= {
            cand --offline 'Check the set-up for --offline: the emulator inside wan stands for the service [env: WAN_OFFLINE]'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;mcp'= {
            cand -o 'Folder every tool writes under, created if missing (a leading `~/` is the home folder); a call''s `out_dir` is taken inside it and may not leave it [default: the current folder]'
            cand --out 'Folder every tool writes under, created if missing (a leading `~/` is the home folder); a call''s `out_dir` is taken inside it and may not leave it [default: the current folder]'
            cand --max-cost-per-call 'Refuse, before sending, a call that could cost more than this many US dollars (or whose price is unknown)'
            cand --allow-video 'Offer the video tools (create_video, video_status): a video''s price is not known before it is made, so they are off unless asked for'
            cand --offline 'Serve every tool from the emulator inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'wan;skill'= {
            cand -h 'Print help'
            cand --help 'Print help'
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
            cand regen 'Make an image again: the request that made FILE (model, prompt, size, seed, fields, references), sent again into its folder'
            cand models 'List the models: their routes, prices, images per request, edit limits and size rules'
            cand resume 'Finish what an interrupted or partial run left: fetch its paid images, send what was never sent'
            cand history 'Past runs from the journal, newest first'
            cand gallery 'A contact sheet of a run: one HTML page of its images, with their prompts, models and costs'
            cand cost 'What was spent, from the journal (this machine''s runs only)'
            cand info 'Where an image came from: its label (XMP), its Content Credentials, the journal''s record'
            cand balance 'The account''s balance, from the service'
            cand video 'Make videos through the service''s asynchronous tasks: create, wait, status, list'
            cand emulator 'Run a local, offline stand-in for the AIsa endpoint, with fault injection'
            cand config 'Show where the config file is, or the settings in force and where each came from'
            cand doctor 'Check the set-up, one line per check: config, key, service, folders'
            cand mcp 'Serve image tools to coding agents: an MCP server on standard input and output'
            cand skill 'Print the agent skill (SKILL.md) that teaches coding agents to use wan'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'wan;help;generate'= {
        }
        &'wan;help;edit'= {
        }
        &'wan;help;regen'= {
        }
        &'wan;help;models'= {
        }
        &'wan;help;resume'= {
        }
        &'wan;help;history'= {
        }
        &'wan;help;gallery'= {
        }
        &'wan;help;cost'= {
        }
        &'wan;help;info'= {
        }
        &'wan;help;balance'= {
        }
        &'wan;help;video'= {
            cand create 'Start a video task (text or image to video), wait for it and save the clip'
            cand wait 'Follow tasks to the end and save their videos'
            cand status 'One look at tasks: their state, progress and clip URL; nothing is saved (exit 0 whatever the state)'
            cand list 'The video tasks this machine started, newest first, with their last known state'
        }
        &'wan;help;video;create'= {
        }
        &'wan;help;video;wait'= {
        }
        &'wan;help;video;status'= {
        }
        &'wan;help;video;list'= {
        }
        &'wan;help;emulator'= {
        }
        &'wan;help;config'= {
            cand path 'Print the config file''s path (it may not exist yet)'
            cand show 'Print each setting a run without flags would use, and where it came from (env, file, default)'
        }
        &'wan;help;config;path'= {
        }
        &'wan;help;config;show'= {
        }
        &'wan;help;doctor'= {
        }
        &'wan;help;mcp'= {
        }
        &'wan;help;skill'= {
        }
        &'wan;help;completions'= {
        }
        &'wan;help;help'= {
        }
    ]
    $completions[$command]
}
