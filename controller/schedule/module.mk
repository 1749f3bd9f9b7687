# controller/schedule — when gamedays run: cron expressions (cron.c), the schedule file
# and its state (schedule.c, schedule_state.c: last runs, missed runs, the lock). The
# scheduler daemon that acts on them is still in the CLI verb (cli/cmd_schedule.c).
# May use: common only.
schedule_USES :=
schedule_DIRS := controller/schedule
