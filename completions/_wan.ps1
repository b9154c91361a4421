
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
            [CompletionResult]::new('regen', 'regen', [CompletionResultType]::ParameterValue, 'Make an image again: the request that made FILE (model, prompt, size, seed, fields, references), sent again into its folder')
            [CompletionResult]::new('models', 'models', [CompletionResultType]::ParameterValue, 'List the models: their routes, prices, images per request, edit limits and size rules')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Finish what an interrupted or partial run left: fetch its paid images, send what was never sent')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Past runs from the journal, newest first')
            [CompletionResult]::new('gallery', 'gallery', [CompletionResultType]::ParameterValue, 'A contact sheet of a run: one HTML page of its images, with their prompts, models and costs')
            [CompletionResult]::new('cost', 'cost', [CompletionResultType]::ParameterValue, 'What was spent, from the journal (this machine''s runs only)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Where an image came from: its label (XMP), its Content Credentials, the journal''s record')
            [CompletionResult]::new('balance', 'balance', [CompletionResultType]::ParameterValue, 'The account''s balance, from the service')
            [CompletionResult]::new('video', 'video', [CompletionResultType]::ParameterValue, 'Make videos through the service''s asynchronous tasks: create, wait, status, list')
            [CompletionResult]::new('emulator', 'emulator', [CompletionResultType]::ParameterValue, 'Run a local, offline stand-in for the AIsa endpoint, with fault injection')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show where the config file is, or the settings in force and where each came from')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the set-up, one line per check: config, key, service, folders')
            [CompletionResult]::new('mcp', 'mcp', [CompletionResultType]::ParameterValue, 'Serve image tools to coding agents: an MCP server on standard input and output')
            [CompletionResult]::new('skill', 'skill', [CompletionResultType]::ParameterValue, 'Print the agent skill (SKILL.md) that teaches coding agents to use wan')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wan;generate' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'A batch: one prompt (or template) per line (`-` for standard input); blank and `#` lines skipped')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'A batch: one prompt (or template) per line (`-` for standard input); blank and `#` lines skipped')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many images (split into requests of at most the model''s images per request)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'How many images (split into requests of at most the model''s images per request)')
            [CompletionResult]::new('--var', '--var', [CompletionResultType]::ParameterName, 'The values {NAME} takes in a template: the lines of FILE (blank and `#` lines skipped; at most 1 MiB); repeatable, one per name')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the prompts numbered K modulo N, counting the prompts kept from 1: this machine''s share of a batch spread over N (one prompt alone is shard 1/N''s)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The model to use [env: WAN_MODEL] [default: the config file''s `model`, else wan2.7-image]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'The model to use [env: WAN_MODEL] [default: the config file''s `model`, else wan2.7-image]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'File name stem, instead of one made from the prompt')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The API base URL [env: AISA_BASE_URL] [default: https://api.aisa.one/v1]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one API answer [default: 300]')
            [CompletionResult]::new('--download-timeout', '--download-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one image download [default: 120]')
            [CompletionResult]::new('--route', '--route', [CompletionResultType]::ParameterName, 'Where to send requests: the model''s own route (auto; for Wan, chat first and the images route where the model moved), or only one of them [env: WAN_ROUTE] [default: auto]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables); never of one that may have been carried out [default: 2]')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once, across the whole run [default: 4]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Requests in flight at once, across the whole run [default: 4]')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Start at most N requests a minute, across all jobs (the key''s rate limit); without it, the service''s rate-limit headers and 429s pace the run')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Image size, sent as the `size` field (`auto` for gpt-image); checked against the model''s rule (see `wan models`)')
            [CompletionResult]::new('--aspect', '--aspect', [CompletionResultType]::ParameterName, 'The picture''s shape, W:H (1:1, 3:2, 16:9, 9:16…), asked of each model its own way: a size of that shape within its rules, or Gemini''s aspectRatio; refused where the model has none of that shape')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Another field for the request body; VALUE is JSON where it parses, else a string')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'The seed, for the models whose API takes one (`wan models` says which): sent as the body''s `seed` (Gemini: in generationConfig) and written into each file''s label, so that `wan regen` sends it again')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Refuse to send anything if the run would cost more than this many US dollars')
            [CompletionResult]::new('--no-template', '--no-template', [CompletionResultType]::ParameterName, 'Send the prompts as written: `{`, `|` and `}` are text, not a template of choices ({a|b}) and variables ({NAME})')
            [CompletionResult]::new('--pro', '--pro', [CompletionResultType]::ParameterName, 'Use wan2.7-image-pro ($0.075 per image instead of $0.030)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per prompt on standard output instead of paths')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress, retry notices or summary line; errors and warnings still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress, retry notices or summary line; errors and warnings still print')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the request body (or bodies) and the cost; send nothing; no key needed')
            [CompletionResult]::new('--quote', '--quote', [CompletionResultType]::ParameterName, 'With --dry-run: ask the service to price each distinct request (a quote, not run or billed) and show its estimate beside the list price; needs the key')
            [CompletionResult]::new('--no-journal', '--no-journal', [CompletionResultType]::ParameterName, 'Keep no record of this run in the journal (also WAN_JOURNAL=off); it cannot be resumed')
            [CompletionResult]::new('--no-metadata', '--no-metadata', [CompletionResultType]::ParameterName, 'Write the bytes exactly as served: no label (XMP) in the files')
            [CompletionResult]::new('--no-prompt-in-file', '--no-prompt-in-file', [CompletionResultType]::ParameterName, 'Leave the prompt out of each file''s label (it stays in the journal)')
            [CompletionResult]::new('--open', '--open', [CompletionResultType]::ParameterName, 'Open the saved files in the system''s image viewer when the run ends')
            [CompletionResult]::new('--preview', '--preview', [CompletionResultType]::ParameterName, 'Show each saved image in the terminal as it lands (kitty, iTerm2 or sixel images where the terminal has them, a line otherwise; on standard error, never on a pipe)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;edit' {
            [CompletionResult]::new('--mask', '--mask', [CompletionResultType]::ParameterName, 'A mask for the first image, for the models whose API takes one (gpt-image): a PNG of the same size with an alpha channel, transparent where the image is to change')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many images (split into requests of at most the model''s images per request)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'How many images (split into requests of at most the model''s images per request)')
            [CompletionResult]::new('--var', '--var', [CompletionResultType]::ParameterName, 'The values {NAME} takes in a template: the lines of FILE (blank and `#` lines skipped; at most 1 MiB); repeatable, one per name')
            [CompletionResult]::new('--shard', '--shard', [CompletionResultType]::ParameterName, 'Only the prompts numbered K modulo N, counting the prompts kept from 1: this machine''s share of a batch spread over N (one prompt alone is shard 1/N''s)')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The model to use [env: WAN_MODEL] [default: the config file''s `model`, else wan2.7-image]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'The model to use [env: WAN_MODEL] [default: the config file''s `model`, else wan2.7-image]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Folder for the images, created if missing; `-` writes the one image to standard output [default: the current folder]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'File name stem, instead of one made from the prompt')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The API base URL [env: AISA_BASE_URL] [default: https://api.aisa.one/v1]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one API answer [default: 300]')
            [CompletionResult]::new('--download-timeout', '--download-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one image download [default: 120]')
            [CompletionResult]::new('--route', '--route', [CompletionResultType]::ParameterName, 'Where to send requests: the model''s own route (auto; for Wan, chat first and the images route where the model moved), or only one of them [env: WAN_ROUTE] [default: auto]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables); never of one that may have been carried out [default: 2]')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once, across the whole run [default: 4]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Requests in flight at once, across the whole run [default: 4]')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Start at most N requests a minute, across all jobs (the key''s rate limit); without it, the service''s rate-limit headers and 429s pace the run')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Image size, sent as the `size` field (`auto` for gpt-image); checked against the model''s rule (see `wan models`)')
            [CompletionResult]::new('--aspect', '--aspect', [CompletionResultType]::ParameterName, 'The picture''s shape, W:H (1:1, 3:2, 16:9, 9:16…), asked of each model its own way: a size of that shape within its rules, or Gemini''s aspectRatio; refused where the model has none of that shape')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Another field for the request body; VALUE is JSON where it parses, else a string')
            [CompletionResult]::new('--seed', '--seed', [CompletionResultType]::ParameterName, 'The seed, for the models whose API takes one (`wan models` says which): sent as the body''s `seed` (Gemini: in generationConfig) and written into each file''s label, so that `wan regen` sends it again')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Refuse to send anything if the run would cost more than this many US dollars')
            [CompletionResult]::new('--no-template', '--no-template', [CompletionResultType]::ParameterName, 'Send the prompts as written: `{`, `|` and `}` are text, not a template of choices ({a|b}) and variables ({NAME})')
            [CompletionResult]::new('--pro', '--pro', [CompletionResultType]::ParameterName, 'Use wan2.7-image-pro ($0.075 per image instead of $0.030)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per prompt on standard output instead of paths')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress, retry notices or summary line; errors and warnings still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress, retry notices or summary line; errors and warnings still print')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the request body (or bodies) and the cost; send nothing; no key needed')
            [CompletionResult]::new('--quote', '--quote', [CompletionResultType]::ParameterName, 'With --dry-run: ask the service to price each distinct request (a quote, not run or billed) and show its estimate beside the list price; needs the key')
            [CompletionResult]::new('--no-journal', '--no-journal', [CompletionResultType]::ParameterName, 'Keep no record of this run in the journal (also WAN_JOURNAL=off); it cannot be resumed')
            [CompletionResult]::new('--no-metadata', '--no-metadata', [CompletionResultType]::ParameterName, 'Write the bytes exactly as served: no label (XMP) in the files')
            [CompletionResult]::new('--no-prompt-in-file', '--no-prompt-in-file', [CompletionResultType]::ParameterName, 'Leave the prompt out of each file''s label (it stays in the journal)')
            [CompletionResult]::new('--open', '--open', [CompletionResultType]::ParameterName, 'Open the saved files in the system''s image viewer when the run ends')
            [CompletionResult]::new('--preview', '--preview', [CompletionResultType]::ParameterName, 'Show each saved image in the terminal as it lands (kitty, iTerm2 or sixel images where the terminal has them, a line otherwise; on standard error, never on a pipe)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;regen' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many images of each (split into requests as for generate)')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'How many images of each (split into requests as for generate)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Folder for the new images, created if missing [default: each FILE''s own folder]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Folder for the new images, created if missing [default: each FILE''s own folder]')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Refuse to send anything if all the FILEs'' requests together would cost more than this many US dollars')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The API base URL [env: AISA_BASE_URL] [default: https://api.aisa.one/v1]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one API answer [default: 300]')
            [CompletionResult]::new('--download-timeout', '--download-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one image download [default: 120]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx (0 disables) [default: 2]')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once [default: 4]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Requests in flight at once [default: 4]')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the request body (or bodies) and the cost; send nothing; no key needed')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per FILE on standard output instead of paths')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress, retry notices or summary line; errors and warnings still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress, retry notices or summary line; errors and warnings still print')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]')
            [CompletionResult]::new('--no-journal', '--no-journal', [CompletionResultType]::ParameterName, 'Keep no record of this run in the journal (also WAN_JOURNAL=off)')
            [CompletionResult]::new('--no-metadata', '--no-metadata', [CompletionResultType]::ParameterName, 'Write the bytes exactly as served: no label (XMP) in the files')
            [CompletionResult]::new('--no-prompt-in-file', '--no-prompt-in-file', [CompletionResultType]::ParameterName, 'Leave the prompt out of each file''s label (it stays in the journal)')
            [CompletionResult]::new('--open', '--open', [CompletionResultType]::ParameterName, 'Open the saved files in the system''s image viewer when the run ends')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
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
        'wan;resume' {
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Requests in flight at once')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Start at most N requests a minute, across all jobs (the key''s rate limit)')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries of a request that never connected or that the service answered with 408, 429 or 5xx')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one API answer')
            [CompletionResult]::new('--download-timeout', '--download-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one image download')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The API base URL [env: AISA_BASE_URL, not for a video task, which is followed where it was made] [default: the run''s own]')
            [CompletionResult]::new('--resend-unknown', '--resend-unknown', [CompletionResultType]::ParameterName, 'Also send requests that were sent and never answered (they may have been billed)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say what would be done and what it would cost; do nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per prompt on standard output instead of paths')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress, retry notices or summary line; errors and warnings still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress, retry notices or summary line; errors and warnings still print')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print each request and answer')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print each request and answer')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Finish a run made with --offline inside wan again (such a run always is; a run made by the service never is) [env: WAN_OFFLINE]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;history' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many runs at most')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per run instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;gallery' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Where to write the page: a file (a page written before is replaced, anything else is refused), a folder (the page goes in it as gallery-RUN.html), or - for standard output, with the images linked from the current folder [default: gallery-RUN.html in the run''s folder]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Where to write the page: a file (a page written before is replaced, anything else is refused), a folder (the page goes in it as gallery-RUN.html), or - for standard output, with the images linked from the current folder [default: gallery-RUN.html in the run''s folder]')
            [CompletionResult]::new('--open', '--open', [CompletionResultType]::ParameterName, 'Show the page in the system''s browser once it is written (xdg-open; open on macOS)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;cost' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'From when: a date (2026-11-01), `today`, or a span back from now (7d, 24h)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Until when (not included), in the same forms [default: now]')
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'Group the sums by day (local time) or by model')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The API base URL, as for generate (with --reconcile)')
            [CompletionResult]::new('--reconcile', '--reconcile', [CompletionResultType]::ParameterName, 'Set the journal''s total beside what the service says the account was charged over the same span (GET /usage); needs the key')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON object instead of text')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;info' {
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per file')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;balance' {
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The API base URL [env: AISA_BASE_URL] [default: the config file''s, else https://api.aisa.one/v1]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON object instead of text')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Ask the emulator inside wan instead (a play balance) [env: WAN_OFFLINE]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;video' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Start a video task (text or image to video), wait for it and save the clip')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Follow tasks to the end and save their videos')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'One look at tasks: their state, progress and clip URL; nothing is saved (exit 0 whatever the state)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The video tasks this machine started, newest first, with their last known state')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wan;video;create' {
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The first frame: an image file (sent as a data URI) or an http(s) URL')
            [CompletionResult]::new('--last-frame', '--last-frame', [CompletionResultType]::ParameterName, 'The last frame: an image file or an http(s) URL')
            [CompletionResult]::new('--media', '--media', [CompletionResultType]::ParameterName, 'Another media item, repeatable: TYPE is first_frame, last_frame, driving_audio or first_clip, REF a file (sent as a data URI) or an http(s) URL')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'The model [default: wan2.7-t2v, or wan2.7-i2v when a first frame is given]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'The model [default: wan2.7-t2v, or wan2.7-i2v when a first frame is given]')
            [CompletionResult]::new('--resolution', '--resolution', [CompletionResultType]::ParameterName, 'The resolution [default: 720P]')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'The clip''s length in seconds, one the model makes (`wan models` lists them: Wan 2.7 takes 2 to 15) [default: 5]')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'Another field for the body''s `parameters` (Seedance: the body itself); VALUE is JSON where it parses, else a string')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Refuse to send anything if the video could cost more than this many US dollars (video prices are not in wan''s catalogue, so this refuses unless the catalogue has one)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Folder for the video, created if missing [default: the current folder]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Folder for the video, created if missing [default: the current folder]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'File name stem, instead of one made from the prompt')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'Seconds between looks at the task, at least 2 (a little jitter is added)')
            [CompletionResult]::new('--wait-timeout', '--wait-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the task to end; then exit 8 (the task goes on at the service)')
            [CompletionResult]::new('--download-timeout', '--download-timeout', [CompletionResultType]::ParameterName, 'Seconds one download of the video may take [default: 600]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'The API base URL [env: AISA_BASE_URL] [default: https://api.aisa.one/v1]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one API answer [default: 300]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries of a create that never connected or met the cap of tasks per key (429); never of one that may have been carried out [default: 2]')
            [CompletionResult]::new('--no-wait', '--no-wait', [CompletionResultType]::ParameterName, 'Print the task id on standard output and exit at once; `wan video wait ID` saves the clip later')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the request body and what it would cost; send nothing; no key needed')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per task on standard output instead of paths')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress or summary line; errors and warnings still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress or summary line; errors and warnings still print')
            [CompletionResult]::new('--no-journal', '--no-journal', [CompletionResultType]::ParameterName, 'Keep no record in the journal (also WAN_JOURNAL=off); the task cannot be picked up by id then')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;video;wait' {
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'Seconds between looks at the task, at least 2 (a little jitter is added)')
            [CompletionResult]::new('--wait-timeout', '--wait-timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for the task to end; then exit 8 (the task goes on at the service)')
            [CompletionResult]::new('--download-timeout', '--download-timeout', [CompletionResultType]::ParameterName, 'Seconds one download of the video may take [default: 600]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one API answer [default: 300]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries of a create that never connected or met the cap of tasks per key (429); never of one that may have been carried out [default: 2]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Folder for the videos, created if missing [default: the folder recorded for each task, else the current one]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Folder for the videos, created if missing [default: the folder recorded for each task, else the current one]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'File name stem [default: the stem recorded for each task, else one made from its prompt]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Follow the tasks at this API base URL [default: the one each task was made at; AISA_BASE_URL is for new tasks]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per task on standard output instead of paths')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No progress or summary line; errors and warnings still print')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No progress or summary line; errors and warnings still print')
            [CompletionResult]::new('--no-journal', '--no-journal', [CompletionResultType]::ParameterName, 'Keep no record in the journal (also WAN_JOURNAL=off); the task cannot be picked up by id then')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;video;status' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Seconds to wait for one API answer [default: 300]')
            [CompletionResult]::new('--retries', '--retries', [CompletionResultType]::ParameterName, 'Retries of a create that never connected or met the cap of tasks per key (429); never of one that may have been carried out [default: 2]')
            [CompletionResult]::new('--base-url', '--base-url', [CompletionResultType]::ParameterName, 'Look at the tasks at this API base URL [default: the one each task was made at; AISA_BASE_URL is for new tasks]')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per task instead of a line')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Play the service inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print each request and answer (method, URL, status, request id, timings)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;video;list' {
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'How many tasks at most')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per task instead of a table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;video;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Start a video task (text or image to video), wait for it and save the clip')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Follow tasks to the end and save their videos')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'One look at tasks: their state, progress and clip URL; nothing is saved (exit 0 whatever the state)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The video tasks this machine started, newest first, with their last known state')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wan;video;help;create' {
            break
        }
        'wan;video;help;wait' {
            break
        }
        'wan;video;help;status' {
            break
        }
        'wan;video;help;list' {
            break
        }
        'wan;video;help;help' {
            break
        }
        'wan;emulator' {
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Address to listen on')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port to listen on; 0 picks a free one')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on; 0 picks a free one')
            [CompletionResult]::new('--api-key', '--api-key', [CompletionResultType]::ParameterName, 'Refuse any bearer key but this one (by default any key is taken; a missing one is a 401)')
            [CompletionResult]::new('--idempotency', '--idempotency', [CompletionResultType]::ParameterName, 'Remember each Idempotency-Key for the emulator''s run (a repeat of a completed request is a 409, not billed); off plays a service that ignores the header')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Size of the images drawn, unless a request asks for one (within the model''s limits)')
            [CompletionResult]::new('--balance', '--balance', [CompletionResultType]::ParameterName, 'The account''s balance at start, in US dollars: `GET /v1/credits/balance` shows it going down by the list price of what is made')
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
            [CompletionResult]::new('--video-ms', '--video-ms', [CompletionResultType]::ParameterName, 'Milliseconds a video task takes: queued, then in progress, then completed')
            [CompletionResult]::new('--video-fail', '--video-fail', [CompletionResultType]::ParameterName, 'Share of video tasks that fail at the end (0 to 1)')
            [CompletionResult]::new('--video-size', '--video-size', [CompletionResultType]::ParameterName, 'Size of the clips drawn (small: the frames are encoded as the task completes)')
            [CompletionResult]::new('--rpm', '--rpm', [CompletionResultType]::ParameterName, 'Allow N image requests a minute, a second''s worth at once; past that, 429 with Retry-After. The x-ratelimit-* headers then say what is left (without it nothing is limited and they are not sent)')
            [CompletionResult]::new('--moved-to-images', '--moved-to-images', [CompletionResultType]::ParameterName, 'Play the service after 2026-07-28: Wan on /v1/images/*, chat answers model_route_not_supported')
            [CompletionResult]::new('--gemini-v1beta-only', '--gemini-v1beta-only', [CompletionResultType]::ParameterName, 'Serve Gemini on /v1beta/models/… only: /v1/models/{model}:generateContent answers a plain 404, to exercise a client''s move to /v1beta')
            [CompletionResult]::new('--gemini-snake-case', '--gemini-snake-case', [CompletionResultType]::ParameterName, 'Answer Gemini in snake_case (inline_data, mime_type), as AIsa''s OpenAPI file names the fields, instead of Google''s camelCase (inlineData, mimeType)')
            [CompletionResult]::new('--goog-api-key', '--goog-api-key', [CompletionResultType]::ParameterName, 'Also take the key from x-goog-api-key, as Google''s SDKs send it (AIsa documents only Authorization: Bearer)')
            [CompletionResult]::new('--bill-per-request', '--bill-per-request', [CompletionResultType]::ParameterName, 'Charge the Wan models their list price per request instead of per image (the catalogue page has said both), in the balance, the usage and x-aisa-customer-cost-micros-usd')
            [CompletionResult]::new('--base64', '--base64', [CompletionResultType]::ParameterName, 'Answer the Wan models with base64 images instead of URLs (the others answer in their own form: Seedream URLs, gpt-image and Gemini base64)')
            [CompletionResult]::new('--noise', '--noise', [CompletionResultType]::ParameterName, 'Scramble every pixel, so images hardly compress (large answers, for size tests)')
            [CompletionResult]::new('--no-video-gateway', '--no-video-gateway', [CompletionResultType]::ParameterName, 'Answer /v1/video/generations with a plain 404, as the April service did: only the DashScope task route serves video')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;config' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file''s path (it may not exist yet)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print each setting a run without flags would use, and where it came from (env, file, default)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wan;config;path' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;config;show' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;config;help' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file''s path (it may not exist yet)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print each setting a run without flags would use, and where it came from (env, file, default)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'wan;config;help;path' {
            break
        }
        'wan;config;help;show' {
            break
        }
        'wan;config;help;help' {
            break
        }
        'wan;doctor' {
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Check the set-up for --offline: the emulator inside wan stands for the service [env: WAN_OFFLINE]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;mcp' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Folder every tool writes under, created if missing (a leading `~/` is the home folder); a call''s `out_dir` is taken inside it and may not leave it [default: the current folder]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Folder every tool writes under, created if missing (a leading `~/` is the home folder); a call''s `out_dir` is taken inside it and may not leave it [default: the current folder]')
            [CompletionResult]::new('--max-cost-per-call', '--max-cost-per-call', [CompletionResultType]::ParameterName, 'Refuse, before sending, a call that could cost more than this many US dollars (or whose price is unknown)')
            [CompletionResult]::new('--allow-video', '--allow-video', [CompletionResultType]::ParameterName, 'Offer the video tools (create_video, video_status): a video''s price is not known before it is made, so they are off unless asked for')
            [CompletionResult]::new('--offline', '--offline', [CompletionResultType]::ParameterName, 'Serve every tool from the emulator inside wan: no key needed, nothing sent off this machine, nothing billed; the pictures are drawn locally [env: WAN_OFFLINE]')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'wan;skill' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
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
            [CompletionResult]::new('regen', 'regen', [CompletionResultType]::ParameterValue, 'Make an image again: the request that made FILE (model, prompt, size, seed, fields, references), sent again into its folder')
            [CompletionResult]::new('models', 'models', [CompletionResultType]::ParameterValue, 'List the models: their routes, prices, images per request, edit limits and size rules')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Finish what an interrupted or partial run left: fetch its paid images, send what was never sent')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Past runs from the journal, newest first')
            [CompletionResult]::new('gallery', 'gallery', [CompletionResultType]::ParameterValue, 'A contact sheet of a run: one HTML page of its images, with their prompts, models and costs')
            [CompletionResult]::new('cost', 'cost', [CompletionResultType]::ParameterValue, 'What was spent, from the journal (this machine''s runs only)')
            [CompletionResult]::new('info', 'info', [CompletionResultType]::ParameterValue, 'Where an image came from: its label (XMP), its Content Credentials, the journal''s record')
            [CompletionResult]::new('balance', 'balance', [CompletionResultType]::ParameterValue, 'The account''s balance, from the service')
            [CompletionResult]::new('video', 'video', [CompletionResultType]::ParameterValue, 'Make videos through the service''s asynchronous tasks: create, wait, status, list')
            [CompletionResult]::new('emulator', 'emulator', [CompletionResultType]::ParameterValue, 'Run a local, offline stand-in for the AIsa endpoint, with fault injection')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Show where the config file is, or the settings in force and where each came from')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check the set-up, one line per check: config, key, service, folders')
            [CompletionResult]::new('mcp', 'mcp', [CompletionResultType]::ParameterValue, 'Serve image tools to coding agents: an MCP server on standard input and output')
            [CompletionResult]::new('skill', 'skill', [CompletionResultType]::ParameterValue, 'Print the agent skill (SKILL.md) that teaches coding agents to use wan')
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
        'wan;help;regen' {
            break
        }
        'wan;help;models' {
            break
        }
        'wan;help;resume' {
            break
        }
        'wan;help;history' {
            break
        }
        'wan;help;gallery' {
            break
        }
        'wan;help;cost' {
            break
        }
        'wan;help;info' {
            break
        }
        'wan;help;balance' {
            break
        }
        'wan;help;video' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Start a video task (text or image to video), wait for it and save the clip')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Follow tasks to the end and save their videos')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'One look at tasks: their state, progress and clip URL; nothing is saved (exit 0 whatever the state)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The video tasks this machine started, newest first, with their last known state')
            break
        }
        'wan;help;video;create' {
            break
        }
        'wan;help;video;wait' {
            break
        }
        'wan;help;video;status' {
            break
        }
        'wan;help;video;list' {
            break
        }
        'wan;help;emulator' {
            break
        }
        'wan;help;config' {
            [CompletionResult]::new('path', 'path', [CompletionResultType]::ParameterValue, 'Print the config file''s path (it may not exist yet)')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Print each setting a run without flags would use, and where it came from (env, file, default)')
            break
        }
        'wan;help;config;path' {
            break
        }
        'wan;help;config;show' {
            break
        }
        'wan;help;doctor' {
            break
        }
        'wan;help;mcp' {
            break
        }
        'wan;help;skill' {
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
