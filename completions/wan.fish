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
complete -c wan -n "__fish_wan_needs_command" -f -a "models" -d 'List the models, their price per image, and what each is for'
complete -c wan -n "__fish_wan_needs_command" -f -a "emulator" -d 'Run a local, offline stand-in for the AIsa endpoint, with fault injection'
complete -c wan -n "__fish_wan_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c wan -n "__fish_wan_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c wan -n "__fish_wan_using_subcommand generate" -s f -l file -d 'A batch: one prompt per line (`-` for standard input); blank and `#` lines skipped' -r -F
complete -c wan -n "__fish_wan_using_subcommand generate" -l shard -d 'Only the prompts numbered K modulo N (counting the prompts kept, from 1): one machine\'s share of a batch spread over N' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -s n -l count -d 'How many images (requests of at most 4 are sent)' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -s m -l model -d 'The model to use [env: WAN_MODEL] [default: wan2.7-image]' -r -f -a "wan2.7-image\t''
wan2.7-image-pro\t''"
complete -c wan -n "__fish_wan_using_subcommand generate" -s o -l out -d 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]' -r -f -a "(__fish_complete_directories)"
complete -c wan -n "__fish_wan_using_subcommand generate" -l name -d 'File name stem, instead of one made from the prompt' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l base-url -d 'The API base URL' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l timeout -d 'Seconds to wait for one API answer' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l download-timeout -d 'Seconds to wait for one image download' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l route -d 'Where to send requests: chat first and the images route where the model moved (auto), or only one of them' -r -f -a "auto\t'Chat first; the images route where the service has moved the model'
chat\t'Only POST /chat/completions'
images\t'Only POST /images/generations and /images/edits'"
complete -c wan -n "__fish_wan_using_subcommand generate" -l retries -d 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables); never of one that may have been carried out' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -s j -l jobs -d 'Requests in flight at once, across the whole run' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l rpm -d 'Start at most N requests a minute, across all jobs (the key\'s rate limit); without it, the service\'s rate-limit headers and 429s pace the run' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l size -d 'Image size, sent as the `size` field' -r -f -a "1024x1024\t''
1280x720\t''
720x1280\t''
1536x1024\t''
1024x1536\t''
2048x2048\t''"
complete -c wan -n "__fish_wan_using_subcommand generate" -l param -d 'Another field for the request body; VALUE is JSON where it parses, else a string' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l max-cost -d 'Refuse to send anything if the run would cost more than this many US dollars' -r
complete -c wan -n "__fish_wan_using_subcommand generate" -l pro -d 'Use wan2.7-image-pro ($0.075 per image instead of $0.030)'
complete -c wan -n "__fish_wan_using_subcommand generate" -l json -d 'Print one JSON object per prompt on standard output instead of paths'
complete -c wan -n "__fish_wan_using_subcommand generate" -s q -l quiet -d 'No progress, retry notices or summary line; errors and warnings still print'
complete -c wan -n "__fish_wan_using_subcommand generate" -s v -l verbose -d 'Print each request and answer (method, URL, status, request id, timings)'
complete -c wan -n "__fish_wan_using_subcommand generate" -l dry-run -d 'Print the request body (or bodies) and the cost; send nothing; no key needed'
complete -c wan -n "__fish_wan_using_subcommand generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wan -n "__fish_wan_using_subcommand generate" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand edit" -s n -l count -d 'How many images (requests of at most 4 are sent)' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -s m -l model -d 'The model to use [env: WAN_MODEL] [default: wan2.7-image]' -r -f -a "wan2.7-image\t''
wan2.7-image-pro\t''"
complete -c wan -n "__fish_wan_using_subcommand edit" -s o -l out -d 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]' -r -f -a "(__fish_complete_directories)"
complete -c wan -n "__fish_wan_using_subcommand edit" -l name -d 'File name stem, instead of one made from the prompt' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l base-url -d 'The API base URL' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l timeout -d 'Seconds to wait for one API answer' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l download-timeout -d 'Seconds to wait for one image download' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l route -d 'Where to send requests: chat first and the images route where the model moved (auto), or only one of them' -r -f -a "auto\t'Chat first; the images route where the service has moved the model'
chat\t'Only POST /chat/completions'
images\t'Only POST /images/generations and /images/edits'"
complete -c wan -n "__fish_wan_using_subcommand edit" -l retries -d 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables); never of one that may have been carried out' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -s j -l jobs -d 'Requests in flight at once, across the whole run' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l rpm -d 'Start at most N requests a minute, across all jobs (the key\'s rate limit); without it, the service\'s rate-limit headers and 429s pace the run' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l size -d 'Image size, sent as the `size` field' -r -f -a "1024x1024\t''
1280x720\t''
720x1280\t''
1536x1024\t''
1024x1536\t''
2048x2048\t''"
complete -c wan -n "__fish_wan_using_subcommand edit" -l param -d 'Another field for the request body; VALUE is JSON where it parses, else a string' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l max-cost -d 'Refuse to send anything if the run would cost more than this many US dollars' -r
complete -c wan -n "__fish_wan_using_subcommand edit" -l pro -d 'Use wan2.7-image-pro ($0.075 per image instead of $0.030)'
complete -c wan -n "__fish_wan_using_subcommand edit" -l json -d 'Print one JSON object per prompt on standard output instead of paths'
complete -c wan -n "__fish_wan_using_subcommand edit" -s q -l quiet -d 'No progress, retry notices or summary line; errors and warnings still print'
complete -c wan -n "__fish_wan_using_subcommand edit" -s v -l verbose -d 'Print each request and answer (method, URL, status, request id, timings)'
complete -c wan -n "__fish_wan_using_subcommand edit" -l dry-run -d 'Print the request body (or bodies) and the cost; send nothing; no key needed'
complete -c wan -n "__fish_wan_using_subcommand edit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wan -n "__fish_wan_using_subcommand edit" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand models" -l json -d 'Print one JSON object per model instead of a table'
complete -c wan -n "__fish_wan_using_subcommand models" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand models" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand emulator" -l host -d 'Address to listen on' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -s p -l port -d 'Port to listen on; 0 picks a free one' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l api-key -d 'Refuse any bearer key but this one (by default any key is taken, none is refused)' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l size -d 'Size of the images drawn, unless a request asks for one' -r
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
complete -c wan -n "__fish_wan_using_subcommand emulator" -l rpm -d 'Allow N API requests a minute, a second\'s worth at once; past that, 429 with Retry-After. The x-ratelimit-* headers then say what is left (without it nothing is limited and they are not sent)' -r
complete -c wan -n "__fish_wan_using_subcommand emulator" -l moved-to-images -d 'Play the service after 2026-07-28: Wan on /v1/images/*, chat answers model_route_not_supported'
complete -c wan -n "__fish_wan_using_subcommand emulator" -l base64 -d 'Answer with base64 images instead of URLs'
complete -c wan -n "__fish_wan_using_subcommand emulator" -l noise -d 'Scramble every pixel, so images hardly compress (large answers, for size tests)'
complete -c wan -n "__fish_wan_using_subcommand emulator" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c wan -n "__fish_wan_using_subcommand emulator" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand completions" -s h -l help -d 'Print help'
complete -c wan -n "__fish_wan_using_subcommand completions" -s V -l version -d 'Print version'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit models emulator completions help" -f -a "generate" -d 'Make images from a text prompt'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit models emulator completions help" -f -a "edit" -d 'Make images from reference images and an instruction'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit models emulator completions help" -f -a "models" -d 'List the models, their price per image, and what each is for'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit models emulator completions help" -f -a "emulator" -d 'Run a local, offline stand-in for the AIsa endpoint, with fault injection'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit models emulator completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c wan -n "__fish_wan_using_subcommand help; and not __fish_seen_subcommand_from generate edit models emulator completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
