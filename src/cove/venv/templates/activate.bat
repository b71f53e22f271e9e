@echo off
rem Activate a cove environment from cmd.exe:  __BIN_NAME__\activate.bat

set "VIRTUAL_ENV=__VIRTUAL_ENV__"
set "VIRTUAL_ENV_PROMPT=__VIRTUAL_PROMPT__"

if defined _OLD_VIRTUAL_PROMPT (
    set "PROMPT=%_OLD_VIRTUAL_PROMPT%"
) else (
    if not defined PROMPT set "PROMPT=$P$G"
    if not defined VIRTUAL_ENV_DISABLE_PROMPT set "_OLD_VIRTUAL_PROMPT=%PROMPT%"
)
if not defined VIRTUAL_ENV_DISABLE_PROMPT set "PROMPT=(%VIRTUAL_ENV_PROMPT%) %PROMPT%"

if defined _OLD_VIRTUAL_PYTHONHOME goto ENDIFVHOME
set "_OLD_VIRTUAL_PYTHONHOME=%PYTHONHOME%"
:ENDIFVHOME
set PYTHONHOME=

if defined _OLD_VIRTUAL_PATH (
    set "PATH=%_OLD_VIRTUAL_PATH%"
) else (
    set "_OLD_VIRTUAL_PATH=%PATH%"
)
set "PATH=%VIRTUAL_ENV%\__BIN_NAME__;%PATH%"
