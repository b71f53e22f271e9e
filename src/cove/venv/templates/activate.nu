# Activate a cove environment from nushell:  overlay use __BIN_NAME__/activate.nu
# Leave it with `deactivate` (an alias for `overlay hide activate`).

export-env {
    let venv = __VIRTUAL_ENV__
    let bin = ($venv | path join __BIN_NAME_NU__)
    let path_name = if (has-env Path) { "Path" } else { "PATH" }
    let new_path = ($env | get $path_name | prepend $bin)
    let prompt = __VIRTUAL_PROMPT__
    let old_prompt = if (has-env PROMPT_COMMAND) { $env.PROMPT_COMMAND } else { "" }
    let new_prompt = if (has-env VIRTUAL_ENV_DISABLE_PROMPT) { $old_prompt } else {
        if ($old_prompt | describe) == "closure" {
            {|| $"\(($prompt)\) (do $old_prompt)" }
        } else {
            {|| $"\(($prompt)\) ($old_prompt)" }
        }
    }
    load-env {
        VIRTUAL_ENV: $venv
        VIRTUAL_ENV_PROMPT: $prompt
        $path_name: $new_path
        PROMPT_COMMAND: $new_prompt
    }
    hide-env -i PYTHONHOME
}

export alias deactivate = overlay hide activate
