# controller/cli — the `faultline` command: main.c, option parsing helpers (cli.c) and one
# file per verb (cmd_*.c). Verbs parse flags, call the parts below and print; they hold no
# logic another program (the scheduler, the coming healer) would need.
# May use: engine, report, schedule (and what they use).
cli_USES := engine report schedule
cli_DIRS := controller/cli
