
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'wan' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'wan'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'wan' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Make images from a text prompt')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Make images from reference images and an instruction')
            [CompletionResult]::new('models', 'models', [CompletionResultType]::ParameterValue, 'List the models, their price per image, and what each is for')
            [CompletionResult]::new('emulator', 'emulator', [CompletionResultType]::ParameterValue, 'Run a local, offline stand-in for the AIsa endpoint, with fault injection')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wan;generate' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A batch: one prompt per line (`-` for standard input); blank and `#` lines skipped')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'A batch: one prompt per line (`-` for standard input); blank and `#` lines skipped')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the prompts numbered K modulo N (counting the prompts kept, from 1): one machine''s share of a batch spread over N')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many images (requests of at most 4 are sent)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'How many images (requests of at most 4 are sent)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The model to use [env: WAN_MODEL] [default: wan2.7-image]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'The model to use [env: WAN_MODEL] [default: wan2.7-image]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'File name stem, instead of one made from the prompt')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The API base URL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one API answer')
            [CompletionResult]::new('--download-timeout', '--download-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one image download')
            [CompletionResult]::new('--route', '--route', [CompletionResultType]::ParameterName, 'Where to send requests: chat first and the images route where the model moved (auto), or only one of them')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables); never of one that may have been carried out')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once, across the whole run')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Requests in flight at once, across the whole run')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Start at most N requests a minute, across all jobs (the key''s rate limit); without it, the service''s rate-limit headers and 429s pace the run')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Image size, sent as the `size` field')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Another field for the request body; VALUE is JSON where it parses, else a string')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Refuse to send anything if the run would cost more than this many US dollars')
            [CompletionResult]::new('--pro', '--pro', [CompletionResultType]::ParameterName, 'Use wan2.7-image-pro ($0.075 per image instead of $0.030)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per prompt on standard output instead of paths')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress, retry notices or summary line; errors and warnings still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress, retry notices or summary line; errors and warnings still print')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the request body (or bodies) and the cost; send nothing; no key needed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;edit' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many images (requests of at most 4 are sent)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'How many images (requests of at most 4 are sent)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The model to use [env: WAN_MODEL] [default: wan2.7-image]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'The model to use [env: WAN_MODEL] [default: wan2.7-image]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'File name stem, instead of one made from the prompt')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The API base URL')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one API answer')
            [CompletionResult]::new('--download-timeout', '--download-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one image download')
            [CompletionResult]::new('--route', '--route', [CompletionResultType]::ParameterName, 'Where to send requests: chat first and the images route where the model moved (auto), or only one of them')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables); never of one that may have been carried out')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once, across the whole run')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Requests in flight at once, across the whole run')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Start at most N requests a minute, across all jobs (the key''s rate limit); without it, the service''s rate-limit headers and 429s pace the run')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Image size, sent as the `size` field')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Another field for the request body; VALUE is JSON where it parses, else a string')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Refuse to send anything if the run would cost more than this many US dollars')
            [CompletionResult]::new('--pro', '--pro', [CompletionResultType]::ParameterName, 'Use wan2.7-image-pro ($0.075 per image instead of $0.030)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per prompt on standard output instead of paths')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress, retry notices or summary line; errors and warnings still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress, retry notices or summary line; errors and warnings still print')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the request body (or bodies) and the cost; send nothing; no key needed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;models' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per model instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;emulator' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address to listen on')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port to listen on; 0 picks a free one')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on; 0 picks a free one')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'Refuse any bearer key but this one (by default any key is taken, none is refused)')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Size of the images drawn, unless a request asks for one')
            [CompletionResult]::new('--url-ttl', '--url-ttl', [CompletionResultType]::ParameterName, 'Seconds an image URL lives; then it answers 403 as an expired CDN link does')
            [CompletionResult]::new('--latency', '--latency', [CompletionResultType]::ParameterName, 'Milliseconds added before every API answer')
            [CompletionResult]::new('--download-latency', '--download-latency', [CompletionResultType]::ParameterName, 'Milliseconds added before every image download')
            [CompletionResult]::new('--error-429', '--error-429', [CompletionResultType]::ParameterName, 'Share of API requests answered 429 with Retry-After (0 to 1)')
            [CompletionResult]::new('--retry-after', '--retry-after', [CompletionResultType]::ParameterName, 'Seconds in the Retry-After of those 429s')
            [CompletionResult]::new('--error-5xx', '--error-5xx', [CompletionResultType]::ParameterName, 'Share of API requests answered 500 or 503 (0 to 1)')
            [CompletionResult]::new('--drop', '--drop', [CompletionResultType]::ParameterName, 'Share of API requests whose connection is dropped after the request is read (0 to 1)')
            [CompletionResult]::new('--cut-downloads', '--cut-downloads', [CompletionResultType]::ParameterName, 'Share of image downloads cut short halfway (0 to 1)')
            [CompletionResult]::new('--slow-downloads', '--slow-downloads', [CompletionResultType]::ParameterName, 'Download speed in bytes per second (0: as fast as possible)')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'Seed for the faults: the same seed and order of requests give the same faults')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Allow N API requests a minute, a second''s worth at once; past that, 429 with Retry-After. The x-ratelimit-* headers then say what is left (without it nothing is limited and they are not sent)')
            [CompletionResult]::new('--moved-to-images', '--moved-to-images', [CompletionResultType]::ParameterName, 'Play the service after 2026-07-28: Wan on /v1/images/*, chat answers model_route_not_supported')
            [CompletionResult]::new('--base64', '--base64', [CompletionResultType]::ParameterName, 'Answer with base64 images instead of URLs')
            [CompletionResult]::new('--noise', '--noise', [CompletionResultType]::ParameterName, 'Scramble every pixel, so images hardly compress (large answers, for size tests)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;help' {
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Make images from a text prompt')
            [CompletionResult]::new('edit', 'edit', [CompletionResultType]::ParameterValue, 'Make images from reference images and an instruction')
            [CompletionResult]::new('models', 'models', [CompletionResultType]::ParameterValue, 'List the models, their price per image, and what each is for')
            [CompletionResult]::new('emulator', 'emulator', [CompletionResultType]::ParameterValue, 'Run a local, offline stand-in for the AIsa endpoint, with fault injection')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wan;help;generate' {
            break
        }
        'wan;help;edit' {
            break
        }
        'wan;help;models' {
            break
        }
        'wan;help;emulator' {
            break
        }
        'wan;help;completions' {
            break
        }
        'wan;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
