# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_wan_global_optspecs
    string join \n h/help V/version
end

function __fish_wan_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_wan_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_wan_using_subcommand
    set -l cmd (__fish_wan_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c wan -n "__fish_wan_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wan -n "__fish_wan_needs_command" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_needs_command" -f -a "generate" -d 'Make images from a text prompt'
complete -c wan -n "__fish_wan_needs_command" -f -a "edit" -d 'Make images from reference images and an instruction'
complete -c wan -n "__fish_wan_needs_command" -f -a "regen" -d 'Make an image again: the request that made FILE (model, prompt, size, seed, fields, references), sent again into its folder'
complete -c wan -n "__fish_wan_needs_command" -f -a "models" -d 'List the models: their routes, prices, images per request, edit limits and size rules'
complete -c wan -n "__fish_wan_needs_command" -f -a "resume" -d 'Finish what an interrupted or partial run left: fetch its paid images, send what was never sent'
complete -c wan -n "__fish_wan_needs_command" -f -a "history" -d 'Past runs from the journal, newest first'
complete -c wan -n "__fish_wan_needs_command" -f -a "gallery" -d 'A contact sheet of a run: one HTML page of its images, with their prompts, models and costs'
complete -c wan -n "__fish_wan_needs_command" -f -a "cost" -d 'What was spent, from the journal (this machine\'s runs only)'
complete -c wan -n "__fish_wan_needs_command" -f -a "info" -d 'Where an image came from: its label (XMP), its Content Credentials, the journal\'s record'
complete -c wan -n "__fish_wan_needs_command" -f -a "balance" -d 'The account\'s balance, from the service'
complete -c wan -n "__fish_wan_needs_command" -f -a "video" -d 'Make videos through the service\'s asynchronous tasks: create, wait, status, list'
complete -c wan -n "__fish_wan_needs_command" -f -a "emulator" -d 'Run a local, offline stand-in for the AIsa endpoint, with fault injection'
complete -c wan -n "__fish_wan_needs_command" -f -a "config" -d 'Show where the config file is, or the settings in force and where each came from'
complete -c wan -n "__fish_wan_needs_command" -f -a "doctor" -d 'Check the set-up, one line per check: config, key, service, folders'
complete -c wan -n "__fish_wan_needs_command" -f -a "mcp" -d 'Serve image tools to coding agents: an MCP server on standard input and output'
complete -c wan -n "__fish_wan_needs_command" -f -a "skill" -d 'Print the agent skill (SKILL.md) that teaches coding agents to use wan'
complete -c wan -n "__fish_wan_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c wan -n "__fish_wan_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wan -n "__fish_wan_using_subcommand generate" -s f -l file -d 'A batch: one prompt (or template) per line (`-` for standard input); blank and `#` lines skipped' -r -F
complete -c wan -n "__fish_wan_using_subcommand generate" -s n -l count -d 'How many images (split into requests of at most the model\'s images per request)' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l var -d 'The values {NAME} takes in a template: the lines of FILE (blank and `#` lines skipped; at most 1 MiB); repeatable, one per name' -r -f
complete -c wan -n "__fish_wan_using_subcommand generate" -l shard -d 'Only the prompts numbered K modulo N, counting the prompts kept from 1: this machine\'s share of a batch spread over N (one prompt alone is shard 1/N\'s)' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -s m -l model -d 'The model to use [env: WAN_MODEL] [default: the config file\'s `model`, else wan2.7-image]' -r -f -a "wan2.7-image\t''
wan2.7-image-pro\t''
seedream-5-0-260128\t''
seedream-4-5-251128\t''
gpt-image-2\t''
gpt-image-2.5-flare\t''
gpt-image-2.5-sunburst\t''
gemini-3-pro-image-preview\t''"
complete -c wan -n "__fish_wan_using_subcommand generate" -s o -l out -d 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]' -r -f -a "(__fish_complete_directories)"
complete -c wan -n "__fish_wan_using_subcommand generate" -l name -d 'File name stem, instead of one made from the prompt' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l base-url -d 'The API base URL [env: AISA_BASE_URL] [default: https://api.aisa.one/v1]' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l timeout -d 'Seconds to wait for one API answer [default: 300]' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l download-timeout -d 'Seconds to wait for one image download [default: 120]' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l route -d 'Where to send requests: the model\'s own route (auto; for Wan, chat first and the images route where the model moved), or only one of them [env: WAN_ROUTE] [default: auto]' -r -f -a "auto\t'Chat first; the images route where the service has moved the model'
chat\t'Only POST /chat/completions'
images\t'Only POST /images/generations and /images/edits'
gemini\t'Only POST /models/{model}:generateContent (or /v1beta/…), one image per request'"
complete -c wan -n "__fish_wan_using_subcommand generate" -l retries -d 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables); never of one that may have been carried out [default: 2]' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -s j -l jobs -d 'Requests in flight at once, across the whole run [default: 4]' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l rpm -d 'Start at most N requests a minute, across all jobs (the key\'s rate limit); without it, the service\'s rate-limit headers and 429s pace the run' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l size -d 'Image size, sent as the `size` field (`auto` for gpt-image); checked against the model\'s rule (see `wan models`)' -r -f -a "1024x1024\t''
1280x720\t''
720x1280\t''
1536x1024\t''
1024x1536\t''
2048x2048\t''"
complete -c wan -n "__fish_wan_using_subcommand generate" -l aspect -d 'The picture\'s shape, W:H (1:1, 3:2, 16:9, 9:16…), asked of each model its own way: a size of that shape within its rules, or Gemini\'s aspectRatio; refused where the model has none of that shape' -r -f -a "1:1\t''
4:3\t''
3:4\t''
3:2\t''
2:3\t''
16:9\t''
9:16\t''
21:9\t''"
complete -c wan -n "__fish_wan_using_subcommand generate" -l param -d 'Another field for the request body; VALUE is JSON where it parses, else a string' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l seed -d 'The seed, for the models whose API takes one (`wan models` says which): sent as the body\'s `seed` (Gemini: in generationConfig) and written into each file\'s label, so that `wan regen` sends it again' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l max-cost -d 'Refuse to send anything if the run would cost more than this many US dollars' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l no-template -d 'Send the prompts as written: `{`, `|` and `}` are text, not a template of choices ({a|b}) and variables ({NAME})'
complete -c wan -n "__fish_wan_using_subcommand generate" -l pro -d 'Use wan2.7-image-pro ($0.075 per image instead of $0.030)'
complete -c wan -n "__fish_wan_using_subcommand generate" -l json -d 'Print one JSON object per prompt on standard output instead of paths'
complete -c wan -n "__fish_wan_using_subcommand generate" -s q -l quiet -d 'No progress, retry notices or summary line; errors and warnings still print'
complete -c wan -n "__fish_wan_using_subcommand generate" -s v -l verbose -d 'Print each request and answer (method, URL, status, request id, timings)'
complete -c wan -n "__fish_wan_using_subcommand generate" -l offline -d 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
complete -c wan -n "__fish_wan_using_subcommand generate" -l dry-run -d 'Print the request body (or bodies) and the cost; send nothing; no key needed'
complete -c wan -n "__fish_wan_using_subcommand generate" -l quote -d 'With --dry-run: ask the service to price each distinct request (a quote, not run or billed) and show its estimate beside the list price; needs the key'
complete -c wan -n "__fish_wan_using_subcommand generate" -l no-journal -d 'Keep no record of this run in the journal (also WAN_JOURNAL=off); it cannot be resumed'
complete -c wan -n "__fish_wan_using_subcommand generate" -l no-metadata -d 'Write the bytes exactly as served: no label (XMP) in the files'
complete -c wan -n "__fish_wan_using_subcommand generate" -l no-prompt-in-file -d 'Leave the prompt out of each file\'s label (it stays in the journal)'
complete -c wan -n "__fish_wan_using_subcommand generate" -l open -d 'Open the saved files in the system\'s image viewer when the run ends'
complete -c wan -n "__fish_wan_using_subcommand generate" -l preview -d 'Show each saved image in the terminal as it lands (kitty, iTerm2 or sixel images where the terminal has them, a line otherwise; on standard error, never on a pipe)'
complete -c wan -n "__fish_wan_using_subcommand generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wan -n "__fish_wan_using_subcommand generate" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand edit" -l mask -d 'A mask for the first image, for the models whose API takes one (gpt-image): a PNG of the same size with an alpha channel, transparent where the image is to change' -r -F
complete -c wan -n "__fish_wan_using_subcommand edit" -s n -l count -d 'How many images (split into requests of at most the model\'s images per request)' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l var -d 'The values {NAME} takes in a template: the lines of FILE (blank and `#` lines skipped; at most 1 MiB); repeatable, one per name' -r -f
complete -c wan -n "__fish_wan_using_subcommand edit" -l shard -d 'Only the prompts numbered K modulo N, counting the prompts kept from 1: this machine\'s share of a batch spread over N (one prompt alone is shard 1/N\'s)' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -s m -l model -d 'The model to use [env: WAN_MODEL] [default: the config file\'s `model`, else wan2.7-image]' -r -f -a "wan2.7-image\t''
wan2.7-image-pro\t''
seedream-5-0-260128\t''
seedream-4-5-251128\t''
gpt-image-2\t''
gpt-image-2.5-flare\t''
gpt-image-2.5-sunburst\t''
gemini-3-pro-image-preview\t''"
complete -c wan -n "__fish_wan_using_subcommand edit" -s o -l out -d 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]' -r -f -a "(__fish_complete_directories)"
complete -c wan -n "__fish_wan_using_subcommand edit" -l name -d 'File name stem, instead of one made from the prompt' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l base-url -d 'The API base URL [env: AISA_BASE_URL] [default: https://api.aisa.one/v1]' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l timeout -d 'Seconds to wait for one API answer [default: 300]' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l download-timeout -d 'Seconds to wait for one image download [default: 120]' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l route -d 'Where to send requests: the model\'s own route (auto; for Wan, chat first and the images route where the model moved), or only one of them [env: WAN_ROUTE] [default: auto]' -r -f -a "auto\t'Chat first; the images route where the service has moved the model'
chat\t'Only POST /chat/completions'
images\t'Only POST /images/generations and /images/edits'
gemini\t'Only POST /models/{model}:generateContent (or /v1beta/…), one image per request'"
complete -c wan -n "__fish_wan_using_subcommand edit" -l retries -d 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables); never of one that may have been carried out [default: 2]' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -s j -l jobs -d 'Requests in flight at once, across the whole run [default: 4]' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l rpm -d 'Start at most N requests a minute, across all jobs (the key\'s rate limit); without it, the service\'s rate-limit headers and 429s pace the run' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l size -d 'Image size, sent as the `size` field (`auto` for gpt-image); checked against the model\'s rule (see `wan models`)' -r -f -a "1024x1024\t''
1280x720\t''
720x1280\t''
1536x1024\t''
1024x1536\t''
2048x2048\t''"
complete -c wan -n "__fish_wan_using_subcommand edit" -l aspect -d 'The picture\'s shape, W:H (1:1, 3:2, 16:9, 9:16…), asked of each model its own way: a size of that shape within its rules, or Gemini\'s aspectRatio; refused where the model has none of that shape' -r -f -a "1:1\t''
4:3\t''
3:4\t''
3:2\t''
2:3\t''
16:9\t''
9:16\t''
21:9\t''"
complete -c wan -n "__fish_wan_using_subcommand edit" -l param -d 'Another field for the request body; VALUE is JSON where it parses, else a string' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l seed -d 'The seed, for the models whose API takes one (`wan models` says which): sent as the body\'s `seed` (Gemini: in generationConfig) and written into each file\'s label, so that `wan regen` sends it again' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l max-cost -d 'Refuse to send anything if the run would cost more than this many US dollars' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l no-template -d 'Send the prompts as written: `{`, `|` and `}` are text, not a template of choices ({a|b}) and variables ({NAME})'
complete -c wan -n "__fish_wan_using_subcommand edit" -l pro -d 'Use wan2.7-image-pro ($0.075 per image instead of $0.030)'
complete -c wan -n "__fish_wan_using_subcommand edit" -l json -d 'Print one JSON object per prompt on standard output instead of paths'
complete -c wan -n "__fish_wan_using_subcommand edit" -s q -l quiet -d 'No progress, retry notices or summary line; errors and warnings still print'
complete -c wan -n "__fish_wan_using_subcommand edit" -s v -l verbose -d 'Print each request and answer (method, URL, status, request id, timings)'
complete -c wan -n "__fish_wan_using_subcommand edit" -l offline -d 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
complete -c wan -n "__fish_wan_using_subcommand edit" -l dry-run -d 'Print the request body (or bodies) and the cost; send nothing; no key needed'
complete -c wan -n "__fish_wan_using_subcommand edit" -l quote -d 'With --dry-run: ask the service to price each distinct request (a quote, not run or billed) and show its estimate beside the list price; needs the key'
complete -c wan -n "__fish_wan_using_subcommand edit" -l no-journal -d 'Keep no record of this run in the journal (also WAN_JOURNAL=off); it cannot be resumed'
complete -c wan -n "__fish_wan_using_subcommand edit" -l no-metadata -d 'Write the bytes exactly as served: no label (XMP) in the files'
complete -c wan -n "__fish_wan_using_subcommand edit" -l no-prompt-in-file -d 'Leave the prompt out of each file\'s label (it stays in the journal)'
complete -c wan -n "__fish_wan_using_subcommand edit" -l open -d 'Open the saved files in the system\'s image viewer when the run ends'
complete -c wan -n "__fish_wan_using_subcommand edit" -l preview -d 'Show each saved image in the terminal as it lands (kitty, iTerm2 or sixel images where the terminal has them, a line otherwise; on standard error, never on a pipe)'
complete -c wan -n "__fish_wan_using_subcommand edit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wan -n "__fish_wan_using_subcommand edit" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand regen" -s n -l count -d 'How many images of each (split into requests as for generate)' -r
complete -c wan -n "__fish_wan_using_subcommand regen" -s o -l out -d 'Folder for the new images, created if missing [default: each FILE\'s own folder]' -r -f -a "(__fish_complete_directories)"
complete -c wan -n "__fish_wan_using_subcommand regen" -l max-cost -d 'Refuse to send anything if all the FILEs\' requests together would cost more than this many US dollars' -r
complete -c wan -n "__fish_wan_using_subcommand regen" -l base-url -d 'The API base URL [env: AISA_BASE_URL] [default: https://api.aisa.one/v1]' -r
complete -c wan -n "__fish_wan_using_subcommand regen" -l timeout -d 'Seconds to wait for one API answer [default: 300]' -r
complete -c wan -n "__fish_wan_using_subcommand regen" -l download-timeout -d 'Seconds to wait for one image download [default: 120]' -r
complete -c wan -n "__fish_wan_using_subcommand regen" -l retries -d 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables) [default: 2]' -r
complete -c wan -n "__fish_wan_using_subcommand regen" -s j -l jobs -d 'Requests in flight at once [default: 4]' -r
complete -c wan -n "__fish_wan_using_subcommand regen" -l dry-run -d 'Print the request body (or bodies) and the cost; send nothing; no key needed'
complete -c wan -n "__fish_wan_using_subcommand regen" -l json -d 'Print one JSON object per FILE on standard output instead of paths'
complete -c wan -n "__fish_wan_using_subcommand regen" -s q -l quiet -d 'No progress, retry notices or summary line; errors and warnings still print'
complete -c wan -n "__fish_wan_using_subcommand regen" -s v -l verbose -d 'Print each request and answer (method, URL, status, request id, timings)'
complete -c wan -n "__fish_wan_using_subcommand regen" -l offline -d 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
complete -c wan -n "__fish_wan_using_subcommand regen" -l no-journal -d 'Keep no record of this run in the journal (also WAN_JOURNAL=off)'
complete -c wan -n "__fish_wan_using_subcommand regen" -l no-metadata -d 'Write the bytes exactly as served: no label (XMP) in the files'
complete -c wan -n "__fish_wan_using_subcommand regen" -l no-prompt-in-file -d 'Leave the prompt out of each file\'s label (it stays in the journal)'
complete -c wan -n "__fish_wan_using_subcommand regen" -l open -d 'Open the saved files in the system\'s image viewer when the run ends'
complete -c wan -n "__fish_wan_using_subcommand regen" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand regen" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand models" -l json -d 'Print one JSON object per model instead of a table'
complete -c wan -n "__fish_wan_using_subcommand models" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand models" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand resume" -s j -l jobs -d 'Requests in flight at once' -r
complete -c wan -n "__fish_wan_using_subcommand resume" -l rpm -d 'Start at most N requests a minute, across all jobs (the key\'s rate limit)' -r
complete -c wan -n "__fish_wan_using_subcommand resume" -l retries -d 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx' -r
complete -c wan -n "__fish_wan_using_subcommand resume" -l timeout -d 'Seconds to wait for one API answer' -r
complete -c wan -n "__fish_wan_using_subcommand resume" -l download-timeout -d 'Seconds to wait for one image download' -r
complete -c wan -n "__fish_wan_using_subcommand resume" -l base-url -d 'The API base URL [env: AISA_BASE_URL, not for a video task, which is followed where it was made] [default: the run\'s own]' -r
complete -c wan -n "__fish_wan_using_subcommand resume" -l resend-unknown -d 'Also send requests that were sent and never answered (they may have been billed)'
complete -c wan -n "__fish_wan_using_subcommand resume" -l dry-run -d 'Say what would be done and what it would cost; do nothing'
complete -c wan -n "__fish_wan_using_subcommand resume" -l json -d 'Print one JSON object per prompt on standard output instead of paths'
complete -c wan -n "__fish_wan_using_subcommand resume" -s q -l quiet -d 'No progress, retry notices or summary line; errors and warnings still print'
complete -c wan -n "__fish_wan_using_subcommand resume" -s v -l verbose -d 'Print each request and answer'
complete -c wan -n "__fish_wan_using_subcommand resume" -l offline -d 'Finish a run made with --offline inside wan again (such a run always is; a run made by the service never is) [env: WAN_OFFLINE]'
complete -c wan -n "__fish_wan_using_subcommand resume" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand resume" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand history" -l limit -d 'How many runs at most' -r
complete -c wan -n "__fish_wan_using_subcommand history" -l json -d 'Print one JSON object per run instead of a table'
complete -c wan -n "__fish_wan_using_subcommand history" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand history" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand gallery" -s o -l out -d 'Where to write the page: a file (a page written before is replaced, anything else is refused), a folder (the page goes in it as gallery-RUN.html), or - for standard output, with the images linked from the current folder [default: gallery-RUN.html in the run\'s folder]' -r -F
complete -c wan -n "__fish_wan_using_subcommand gallery" -l open -d 'Show the page in the system\'s browser once it is written (xdg-open; open on macOS)'
complete -c wan -n "__fish_wan_using_subcommand gallery" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand gallery" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand cost" -l since -d 'From when: a date (2026-11-01), `today`, or a span back from now (7d, 24h)' -r
complete -c wan -n "__fish_wan_using_subcommand cost" -l until -d 'Until when (not included), in the same forms [default: now]' -r
complete -c wan -n "__fish_wan_using_subcommand cost" -l by -d 'Group the sums by day (local time) or by model' -r -f -a "day\t''
model\t''"
complete -c wan -n "__fish_wan_using_subcommand cost" -l base-url -d 'The API base URL, as for generate (with --reconcile)' -r
complete -c wan -n "__fish_wan_using_subcommand cost" -l reconcile -d 'Set the journal\'s total beside what the service says the account was charged over the same span (GET /usage); needs the key'
complete -c wan -n "__fish_wan_using_subcommand cost" -l json -d 'Print a JSON object instead of text'
complete -c wan -n "__fish_wan_using_subcommand cost" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand cost" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand info" -l json -d 'Print one JSON object per file'
complete -c wan -n "__fish_wan_using_subcommand info" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand info" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand balance" -l base-url -d 'The API base URL [env: AISA_BASE_URL] [default: the config file\'s, else https://api.aisa.one/v1]' -r
complete -c wan -n "__fish_wan_using_subcommand balance" -l json -d 'Print a JSON object instead of text'
complete -c wan -n "__fish_wan_using_subcommand balance" -l offline -d 'Ask the emulator inside wan instead (a play balance) [env: WAN_OFFLINE]'
complete -c wan -n "__fish_wan_using_subcommand balance" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand balance" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand video; and not __fish_seen_subcommand_from create wait status list help" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand video; and not __fish_seen_subcommand_from create wait status list help" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand video; and not __fish_seen_subcommand_from create wait status list help" -f -a "create" -d 'Start a video task (text or image to video), wait for it and save the clip'
complete -c wan -n "__fish_wan_using_subcommand video; and not __fish_seen_subcommand_from create wait status list help" -f -a "wait" -d 'Follow tasks to the end and save their videos'
complete -c wan -n "__fish_wan_using_subcommand video; and not __fish_seen_subcommand_from create wait status list help" -f -a "status" -d 'One look at tasks: their state, progress and clip URL; nothing is saved (exit 0 whatever the state)'
complete -c wan -n "__fish_wan_using_subcommand video; and not __fish_seen_subcommand_from create wait status list help" -f -a "list" -d 'The video tasks this machine started, newest first, with their last known state'
complete -c wan -n "__fish_wan_using_subcommand video; and not __fish_seen_subcommand_from create wait status list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l image -d 'The first frame: an image file (sent as a data URI) or an http(s) URL' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l last-frame -d 'The last frame: an image file or an http(s) URL' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l media -d 'Another media item, repeatable: TYPE is first_frame, last_frame, driving_audio or first_clip, REF a file (sent as a data URI) or an http(s) URL' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -s m -l model -d 'The model [default: wan2.7-t2v, or wan2.7-i2v when a first frame is given]' -r -f -a "wan2.7-t2v\t''
wan2.7-i2v\t''
wan2.7-r2v\t''
wan2.6-t2v\t''
wan2.6-i2v\t''
happyhorse-1.1-t2v\t''
happyhorse-1.1-i2v\t''
happyhorse-1.1-r2v\t''
dreamina-seedance-2-0-260128\t''
dreamina-seedance-2-0-fast-260128\t''
dreamina-seedance-2-5\t''"
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l resolution -d 'The resolution [default: 720P]' -r -f -a "720P\t''
1080P\t''"
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l duration -d 'The clip\'s length in seconds, one the model makes (`wan models` lists them: Wan 2.7 takes 2 to 15) [default: 5]' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l param -d 'Another field for the body\'s `parameters` (Seedance: the body itself); VALUE is JSON where it parses, else a string' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l max-cost -d 'Refuse to send anything if the video could cost more than this many US dollars (video prices are not in wan\'s catalogue, so this refuses unless the catalogue has one)' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -s o -l out -d 'Folder for the video, created if missing [default: the current folder]' -r -f -a "(__fish_complete_directories)"
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l name -d 'File name stem, instead of one made from the prompt' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l poll -d 'Seconds between looks at the task, at least 2 (a little jitter is added)' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l wait-timeout -d 'Seconds to wait for the task to end; then exit 8 (the task goes on at the service)' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l download-timeout -d 'Seconds one download of the video may take [default: 600]' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l base-url -d 'The API base URL [env: AISA_BASE_URL] [default: https://api.aisa.one/v1]' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l timeout -d 'Seconds to wait for one API answer [default: 300]' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l retries -d 'Retries of a create that never connected or met the cap of tasks per key (429); never of one that may have been carried out [default: 2]' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l no-wait -d 'Print the task id on standard output and exit at once; `wan video wait ID` saves the clip later'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l dry-run -d 'Print the request body and what it would cost; send nothing; no key needed'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l json -d 'Print one JSON object per task on standard output instead of paths'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -s q -l quiet -d 'No progress or summary line; errors and warnings still print'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l no-journal -d 'Keep no record in the journal (also WAN_JOURNAL=off); the task cannot be picked up by id then'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -l offline -d 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Print each request and answer (method, URL, status, request id, timings)'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -l poll -d 'Seconds between looks at the task, at least 2 (a little jitter is added)' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -l wait-timeout -d 'Seconds to wait for the task to end; then exit 8 (the task goes on at the service)' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -l download-timeout -d 'Seconds one download of the video may take [default: 600]' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -l timeout -d 'Seconds to wait for one API answer [default: 300]' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -l retries -d 'Retries of a create that never connected or met the cap of tasks per key (429); never of one that may have been carried out [default: 2]' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -s o -l out -d 'Folder for the videos, created if missing [default: the folder recorded for each task, else the current one]' -r -f -a "(__fish_complete_directories)"
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -l name -d 'File name stem [default: the stem recorded for each task, else one made from its prompt]' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -l base-url -d 'Follow the tasks at this API base URL [default: the one each task was made at; AISA_BASE_URL is for new tasks]' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -l json -d 'Print one JSON object per task on standard output instead of paths'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -s q -l quiet -d 'No progress or summary line; errors and warnings still print'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -l no-journal -d 'Keep no record in the journal (also WAN_JOURNAL=off); the task cannot be picked up by id then'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -l offline -d 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -s v -l verbose -d 'Print each request and answer (method, URL, status, request id, timings)'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from wait" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from status" -l timeout -d 'Seconds to wait for one API answer [default: 300]' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from status" -l retries -d 'Retries of a create that never connected or met the cap of tasks per key (429); never of one that may have been carried out [default: 2]' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from status" -l base-url -d 'Look at the tasks at this API base URL [default: the one each task was made at; AISA_BASE_URL is for new tasks]' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from status" -l json -d 'Print one JSON object per task instead of a line'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from status" -l offline -d 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Print each request and answer (method, URL, status, request id, timings)'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from list" -l limit -d 'How many tasks at most' -r
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON object per task instead of a table'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from help" -f -a "create" -d 'Start a video task (text or image to video), wait for it and save the clip'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from help" -f -a "wait" -d 'Follow tasks to the end and save their videos'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from help" -f -a "status" -d 'One look at tasks: their state, progress and clip URL; nothing is saved (exit 0 whatever the state)'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from help" -f -a "list" -d 'The video tasks this machine started, newest first, with their last known state'
complete -c wan -n "__fish_wan_using_subcommand video; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wan -n "__fish_wan_using_subcommand emulator" -l host -d 'Address to listen on' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -s p -l port -d 'Port to listen on; 0 picks a free one' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l api-key -d 'Refuse any bearer key but this one (by default any key is taken; a missing one is a 401)' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l idempotency -d 'Remember each Idempotency-Key for the emulator\'s run (a repeat of a completed request is a 409, not billed); off plays a service that ignores the header' -r -f -a "on\t''
off\t''"
complete -c wan -n "__fish_wan_using_subcommand emulator" -l size -d 'Size of the images drawn, unless a request asks for one (within the model\'s limits)' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l balance -d 'The account\'s balance at start, in US dollars: `GET /v1/credits/balance` shows it going down by the list price of what is made' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l url-ttl -d 'Seconds an image URL lives; then it answers 403 as an expired CDN link does' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l latency -d 'Milliseconds added before every API answer' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l download-latency -d 'Milliseconds added before every image download' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l error-429 -d 'Share of API requests answered 429 with Retry-After (0 to 1)' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l retry-after -d 'Seconds in the Retry-After of those 429s' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l error-5xx -d 'Share of API requests answered 500 or 503 (0 to 1)' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l drop -d 'Share of API requests whose connection is dropped after the request is read (0 to 1)' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l cut-downloads -d 'Share of image downloads cut short halfway (0 to 1)' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l slow-downloads -d 'Download speed in bytes per second (0: as fast as possible)' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l seed -d 'Seed for the faults: the same seed and order of requests give the same faults' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l video-ms -d 'Milliseconds a video task takes: queued, then in progress, then completed' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l video-fail -d 'Share of video tasks that fail at the end (0 to 1)' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l video-size -d 'Size of the clips drawn (small: the frames are encoded as the task completes)' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l rpm -d 'Allow N image requests a minute, a second\'s worth at once; past that, 429 with Retry-After. The x-ratelimit-* headers then say what is left (without it nothing is limited and they are not sent)' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l moved-to-images -d 'Play the service after 2026-07-28: Wan on /v1/images/*, chat answers model_route_not_supported'
complete -c wan -n "__fish_wan_using_subcommand emulator" -l gemini-v1beta-only -d 'Serve Gemini on /v1beta/models/… only: /v1/models/{model}:generateContent answers a plain 404, to exercise a client\'s move to /v1beta'
complete -c wan -n "__fish_wan_using_subcommand emulator" -l gemini-snake-case -d 'Answer Gemini in snake_case (inline_data, mime_type), as AIsa\'s OpenAPI file names the fields, instead of Google\'s camelCase (inlineData, mimeType)'
complete -c wan -n "__fish_wan_using_subcommand emulator" -l goog-api-key -d 'Also take the key from x-goog-api-key, as Google\'s SDKs send it (AIsa documents only Authorization: Bearer)'
complete -c wan -n "__fish_wan_using_subcommand emulator" -l bill-per-request -d 'Charge the Wan models their list price per request instead of per image (the catalogue page has said both), in the balance, the usage and x-aisa-customer-cost-micros-usd'
complete -c wan -n "__fish_wan_using_subcommand emulator" -l base64 -d 'Answer the Wan models with base64 images instead of URLs (the others answer in their own form: Seedream URLs, gpt-image and Gemini base64)'
complete -c wan -n "__fish_wan_using_subcommand emulator" -l noise -d 'Scramble every pixel, so images hardly compress (large answers, for size tests)'
complete -c wan -n "__fish_wan_using_subcommand emulator" -l no-video-gateway -d 'Answer /v1/video/generations with a plain 404, as the April service did: only the DashScope task route serves video'
complete -c wan -n "__fish_wan_using_subcommand emulator" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wan -n "__fish_wan_using_subcommand emulator" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand config; and not __fish_seen_subcommand_from path show help" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand config; and not __fish_seen_subcommand_from path show help" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand config; and not __fish_seen_subcommand_from path show help" -f -a "path" -d 'Print the config file\'s path (it may not exist yet)'
complete -c wan -n "__fish_wan_using_subcommand config; and not __fish_seen_subcommand_from path show help" -f -a "show" -d 'Print each setting a run without flags would use, and where it came from (env, file, default)'
complete -c wan -n "__fish_wan_using_subcommand config; and not __fish_seen_subcommand_from path show help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wan -n "__fish_wan_using_subcommand config; and __fish_seen_subcommand_from path" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand config; and __fish_seen_subcommand_from path" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "path" -d 'Print the config file\'s path (it may not exist yet)'
complete -c wan -n "__fish_wan_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print each setting a run without flags would use, and where it came from (env, file, default)'
complete -c wan -n "__fish_wan_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wan -n "__fish_wan_using_subcommand doctor" -l offline -d 'Check the set-up for --offline: the emulator inside wan stands for the service [env: WAN_OFFLINE]'
complete -c wan -n "__fish_wan_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand mcp" -s o -l out -d 'Folder every tool writes under, created if missing (a leading `~/` is the home folder); a call\'s `out_dir` is taken inside it and may not leave it [default: the current folder]' -r -f -a "(__fish_complete_directories)"
complete -c wan -n "__fish_wan_using_subcommand mcp" -l max-cost-per-call -d 'Refuse, before sending, a call that could cost more than this many US dollars (or whose price is unknown)' -r
complete -c wan -n "__fish_wan_using_subcommand mcp" -l allow-video -d 'Offer the video tools (create_video, video_status): a video\'s price is not known before it is made, so they are off unless asked for'
complete -c wan -n "__fish_wan_using_subcommand mcp" -l offline -d 'Serve every tool from the emulator inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]'
complete -c wan -n "__fish_wan_using_subcommand mcp" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wan -n "__fish_wan_using_subcommand mcp" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand skill" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand skill" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand completions" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand completions" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "generate" -d 'Make images from a text prompt'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "edit" -d 'Make images from reference images and an instruction'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "regen" -d 'Make an image again: the request that made FILE (model, prompt, size, seed, fields, references), sent again into its folder'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "models" -d 'List the models: their routes, prices, images per request, edit limits and size rules'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "resume" -d 'Finish what an interrupted or partial run left: fetch its paid images, send what was never sent'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "history" -d 'Past runs from the journal, newest first'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "gallery" -d 'A contact sheet of a run: one HTML page of its images, with their prompts, models and costs'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "cost" -d 'What was spent, from the journal (this machine\'s runs only)'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "info" -d 'Where an image came from: its label (XMP), its Content Credentials, the journal\'s record'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "balance" -d 'The account\'s balance, from the service'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "video" -d 'Make videos through the service\'s asynchronous tasks: create, wait, status, list'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "emulator" -d 'Run a local, offline stand-in for the AIsa endpoint, with fault injection'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "config" -d 'Show where the config file is, or the settings in force and where each came from'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "doctor" -d 'Check the set-up, one line per check: config, key, service, folders'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "mcp" -d 'Serve image tools to coding agents: an MCP server on standard input and output'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "skill" -d 'Print the agent skill (SKILL.md) that teaches coding agents to use wan'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit regen models resume history gallery cost info balance video emulator config doctor mcp skill completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wan -n "__fish_wan_using_subcommand help; and __fish_seen_subcommand_from video" -f -a "create" -d 'Start a video task (text or image to video), wait for it and save the clip'
complete -c wan -n "__fish_wan_using_subcommand help; and __fish_seen_subcommand_from video" -f -a "wait" -d 'Follow tasks to the end and save their videos'
complete -c wan -n "__fish_wan_using_subcommand help; and __fish_seen_subcommand_from video" -f -a "status" -d 'One look at tasks: their state, progress and clip URL; nothing is saved (exit 0 whatever the state)'
complete -c wan -n "__fish_wan_using_subcommand help; and __fish_seen_subcommand_from video" -f -a "list" -d 'The video tasks this machine started, newest first, with their last known state'
complete -c wan -n "__fish_wan_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "path" -d 'Print the config file\'s path (it may not exist yet)'
complete -c wan -n "__fish_wan_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "show" -d 'Print each setting a run without flags would use, and where it came from (env, file, default)'
