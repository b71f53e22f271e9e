"""One module per command that changes something: the flow of that command (settings,
environment, requirements, resolve, plan, prepare, install), wired from the stages below it and
driven by one frozen request value that cli/ builds from argv."""
