# Activate a cove environment from PowerShell:  . __BIN_NAME__/Activate.ps1
function global:deactivate([switch] $NonDestructive) {
    if (Test-Path variable:_OLD_VIRTUAL_PROMPT) {
        Copy-Item -Path function:_OLD_VIRTUAL_PROMPT -Destination function:prompt
        Remove-Item -Path function:_OLD_VIRTUAL_PROMPT
        Remove-Variable -Name _OLD_VIRTUAL_PROMPT -Scope global
    }
    if (Test-Path variable:_OLD_VIRTUAL_PYTHONHOME) {
        $env:PYTHONHOME = $global:_OLD_VIRTUAL_PYTHONHOME
        Remove-Variable -Name _OLD_VIRTUAL_PYTHONHOME -Scope global
    }
    if (Test-Path variable:_OLD_VIRTUAL_PATH) {
        $env:PATH = $global:_OLD_VIRTUAL_PATH
        Remove-Variable -Name _OLD_VIRTUAL_PATH -Scope global
    }
    if (Test-Path env:VIRTUAL_ENV) { Remove-Item env:VIRTUAL_ENV }
    if (Test-Path env:VIRTUAL_ENV_PROMPT) { Remove-Item env:VIRTUAL_ENV_PROMPT }
    if (-not $NonDestructive) { Remove-Item -Path function:deactivate }
}

deactivate -NonDestructive

$env:VIRTUAL_ENV = __VIRTUAL_ENV__
$env:VIRTUAL_ENV_PROMPT = __VIRTUAL_PROMPT__

if (Test-Path env:PYTHONHOME) {
    $global:_OLD_VIRTUAL_PYTHONHOME = $env:PYTHONHOME
    Remove-Item env:PYTHONHOME
}

$global:_OLD_VIRTUAL_PATH = $env:PATH
$env:PATH = (Join-Path $env:VIRTUAL_ENV __BIN_NAME_PS__) + [System.IO.Path]::PathSeparator + $env:PATH

if (-not $env:VIRTUAL_ENV_DISABLE_PROMPT) {
    $global:_OLD_VIRTUAL_PROMPT = $true
    Copy-Item -Path function:prompt -Destination function:_OLD_VIRTUAL_PROMPT
    function global:prompt {
        Write-Host -NoNewline "($env:VIRTUAL_ENV_PROMPT) "
        _OLD_VIRTUAL_PROMPT
    }
}
